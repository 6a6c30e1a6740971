#!/usr/bin/env bash
# Strings and files (docs/strings.md): Fusion's `string` and `io` against the same programs in C
# and in Python, in one run. Prints a table of times (best of RUNS) and ratios to C.
#   lines   2,000,000 "key,value" lines read from a file: find, slice, parse_i64, contains
#   concat  1,000,000 numbers appended with `+=` to one string, then every byte read with s[i]
# Usage: bench/strings/run.sh      FUSION=path (default build/bin/fusion), CC=cc, RUNS=n (default 3)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
FUSION=${FUSION:-build/bin/fusion}
CC=${CC:-cc}
RUNS=${RUNS:-3}
OUT=$root/bench/out/strings
mkdir -p "$OUT"
LINES=2000000
NUMS=1000000

python3 - "$OUT/data.csv" "$LINES" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write("key%d,%d\n" % (i, (i * 7919) % 100003))
PY
for p in lines concat; do
  "$FUSION" build -O2 "bench/strings/$p.fu" -o "$OUT/$p.fu.exe"
  $CC -O2 "bench/strings/$p.c" -o "$OUT/$p.c.exe"
done

best_ms() {  # best wall time of RUNS runs of "$@", in ms; the output must be the same each time
  local best=""
  for _ in $(seq "$RUNS"); do
    local t0=$EPOCHREALTIME
    "$@" > "$OUT/last.out"
    local t1=$EPOCHREALTIME
    local us=$(( ${t1/./} - ${t0/./} ))
    [[ -z $best || $us -lt $best ]] && best=$us
  done
  awk -v u="$best" 'BEGIN { printf "%.1f", u / 1e3 }'
}

status=0
printf '%-8s %10s %10s %10s %9s %9s\n' bench "C ms" "Fusion ms" "Python ms" "Fusion/C" "Python/C"
for p in lines concat; do
  arg=$OUT/data.csv
  [[ $p == concat ]] && arg=$NUMS
  c=$(best_ms "$OUT/$p.c.exe" "$arg"); cout=$(cat "$OUT/last.out")
  fu=$(best_ms "$OUT/$p.fu.exe" "$arg"); fout=$(cat "$OUT/last.out")
  py=$(best_ms python3 "bench/strings/$p.py" "$arg"); pout=$(cat "$OUT/last.out")
  if [[ $cout != "$fout" || $cout != "$pout" ]]; then
    echo "$p: outputs differ: C '$cout', Fusion '$fout', Python '$pout'" >&2
    status=1
  fi
  printf '%-8s %10s %10s %10s %9s %9s\n' "$p" "$c" "$fu" "$py" \
    "$(awk -v a="$fu" -v b="$c" 'BEGIN { printf "%.2f", a / b }')" "$(awk -v a="$py" -v b="$c" 'BEGIN { printf "%.2f", a / b }')"
done
exit $status
