#!/usr/bin/env bash
# Low-latency host code (docs/performance.md) against the same programs in C, in one run:
#   book     200,000,000 updates of a price-level order book, nothing allocated (book.fu, book.c)
#   dot      10,000,000 dot products of 256 floats with vec<f32, 8> and fma against AVX intrinsics,
#            both built for this machine's CPU (fusion --cpu native, cc -march=native)
#   latency  p50/p99/p99.9 in ns of one call of the book's `@hot @noalloc` update, each call
#            timed with the monotonic clock (the clock's cost included on both sides)
# Prints times (best of RUNS) and ratios to C (target: at most 1.05), then the percentiles
# (the median of RUNS runs of each). The outputs of each pair must agree.
# Usage: bench/lowlatency/run.sh      FUSION=path (default build/bin/fusion), CC=cc, RUNS=n (default 5)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
FUSION=${FUSION:-build/bin/fusion}
CC=${CC:-cc}
RUNS=${RUNS:-5}
OUT=$root/bench/out/lowlatency
mkdir -p "$OUT"
src=bench/lowlatency

"$FUSION" build -O2 "$src/book.fu" -o "$OUT/book.fu.exe"
$CC -O2 "$src/book.c" -o "$OUT/book.c.exe"
"$FUSION" build -O2 --cpu native "$src/dot.fu" -o "$OUT/dot.fu.exe"
$CC -O2 -march=native "$src/dot.c" -o "$OUT/dot.c.exe"
"$FUSION" build -O2 "$src/latency.fu" -o "$OUT/latency.fu.exe"
$CC -O2 "$src/latency.c" -o "$OUT/latency.c.exe"

best_ms() {  # best wall time of RUNS runs of "$@", in ms
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
printf '%-8s %10s %10s %9s %7s\n' bench "C ms" "Fusion ms" "Fusion/C" target
for p in book dot; do
  c=$(best_ms "$OUT/$p.c.exe"); cout=$(cat "$OUT/last.out")
  fu=$(best_ms "$OUT/$p.fu.exe"); fout=$(cat "$OUT/last.out")
  if [[ $cout != "$fout" ]]; then
    echo "$p: outputs differ: C '$cout', Fusion '$fout'" >&2
    status=1
  fi
  ratio=$(awk -v a="$fu" -v b="$c" 'BEGIN { printf "%.2f", a / b }')
  verdict=$(awk -v r="$ratio" 'BEGIN { print (r <= 1.05) ? "ok" : "MISS" }')
  printf '%-8s %10s %10s %9s %7s\n' "$p" "$c" "$fu" "$ratio" "$verdict"
done

# latency: each run prints "checksum p50 p99 p99.9"; the median of each over RUNS runs.
median_percentiles() {
  for _ in $(seq "$RUNS"); do "$1"; done | python3 -c '
import statistics, sys
rows = [list(map(int, l.split())) for l in sys.stdin]
if len({r[0] for r in rows}) != 1: sys.exit("checksums differ between runs")
print(rows[0][0], *(int(statistics.median(r[i] for r in rows)) for i in (1, 2, 3)))'
}
c=$(median_percentiles "$OUT/latency.c.exe")
fu=$(median_percentiles "$OUT/latency.fu.exe")
if [[ ${c%% *} != "${fu%% *}" ]]; then
  echo "latency: checksums differ: C '$c', Fusion '$fu'" >&2
  status=1
fi
printf '\n%-8s %8s %8s %8s   (ns per call, clock included; median of %s runs)\n' latency p50 p99 p99.9 "$RUNS"
read -r _ cp50 cp99 cp999 <<< "$c"
read -r _ fp50 fp99 fp999 <<< "$fu"
printf '%-8s %8s %8s %8s\n' C "$cp50" "$cp99" "$cp999" Fusion "$fp50" "$fp99" "$fp999"
exit $status
