#!/usr/bin/env bash
# CPU kernels benchmark (issue 6): GPU kernels run by Fusion's CPU executor against the same
# computations as plain C loops, in one run. Builds kernels.fu with `fusion build -O2` and
# kernels.c with `clang-19 -O2` under bench/out/kernels_cpu/, runs the C program, the Fusion program
# with FUSION_CPU_THREADS=1 (one core against one core: the comparison the targets are judged on)
# and the Fusion program with the executor's default worker count (one per core), RUNS rounds
# interleaved, checks that every checksum equals C's, and prints the best time of each kernel, the
# ratio Fusion / C and PASS/MISS against the targets. See bench/README.md ("CPU kernels").
#
# Usage: bench/kernels_cpu/run.sh
#   FUSION=path    the compiler (default build/bin/fusion, relative to the repository root)
#   CLANG=path     the C compiler (default clang-19, else cc)
#   RUNS=n         rounds; each kernel's time is the best over all rounds (default 2)
#   THREADS=n      FUSION_CPU_THREADS of the compared Fusion run (default 1)
# Exit status: 0 when both programs built and every run printed the right checksums (speed targets
# missed or not), 1 otherwise.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$root/bench/kernels_cpu
cd "$root"
FUSION=${FUSION:-build/bin/fusion}
case $FUSION in /*) ;; *) FUSION=$root/$FUSION ;; esac
if [[ -z ${CLANG:-} ]]; then
  if command -v clang-19 >/dev/null; then CLANG=clang-19; else CLANG=cc; fi
fi
RUNS=${RUNS:-2}
THREADS=${THREADS:-1}
PYTHON=${PYTHON:-python3}
OUT=$root/bench/out/kernels_cpu

command -v "$CLANG" >/dev/null || { echo "run.sh: no C compiler '$CLANG' (set CLANG=...)" >&2; exit 1; }
command -v "$PYTHON" >/dev/null || { echo "run.sh: python3 is needed for the report" >&2; exit 1; }
[[ -x $FUSION ]] || { echo "run.sh: no compiler at $FUSION (set FUSION=...)" >&2; exit 1; }
rm -rf "$OUT"
mkdir -p "$OUT"

cores=$(nproc)
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $cores cores"
echo "fusion:  $FUSION ($("$FUSION" --version 2>/dev/null | head -1 || echo missing))"
echo "C:       $("$CLANG" --version | head -1)"

echo "== building in $OUT"
"$FUSION" build -O2 "$here/kernels.fu" -o "$OUT/kernels_fu"
"$CLANG" -O2 -o "$OUT/kernels_c" "$here/kernels.c"

# ---- run ---------------------------------------------------------------------------------------
status=0
run() {  # run NAME OUTFILE CMD...: one program, its output kept; a failure is recorded
  local name=$1 out=$2
  shift 2
  if ! "$@" >"$out" 2>"$out.err"; then
    echo "run.sh: $name failed (exit $?):" >&2
    cat "$out.err" >&2
    status=1
  fi
}
for ((r = 1; r <= RUNS; r++)); do
  echo "== round $r of $RUNS"
  run "C" "$OUT/c.$r.txt" env FUSION_CPU_THREADS="$THREADS" "$OUT/kernels_c"
  run "Fusion ($THREADS thread(s))" "$OUT/fu.$r.txt" env FUSION_CPU_THREADS="$THREADS" "$OUT/kernels_fu"
  run "Fusion (default threads)" "$OUT/fu_all.$r.txt" env -u FUSION_CPU_THREADS "$OUT/kernels_fu"
done

# ---- report ------------------------------------------------------------------------------------
"$PYTHON" - "$OUT" "$RUNS" "$THREADS" "$cores" <<'PY' || status=1
import os
import sys

out, runs, threads, cores = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
# kernel -> (the C loop it is compared with, target ratio or None, what it is)
rows = [
    ("saxpy", "saxpy", 1.5, "saxpy, 10^7 f32, 1 element/thread, 39,063 blocks of 256"),
    ("saxpy_chunk", "saxpy", None, "  variant: 64 blocks of 256, a contiguous run per thread"),
    ("saxpy_vec4", "saxpy", None, "  variant: one vec<f32, 4> per thread"),
    ("matmul", "matmul", 3.0, "matmul 512x512 f32, 16x16 shared tiles (C: naive i-j-k)"),
    ("reduce", "reduce", None, "reduce 2^24 f32, 1 element/thread, 65,536 blocks, 9 barriers each"),
    ("reduce_chunk", "reduce", None, "  variant: 64 blocks of 256, 1,024 elements/thread first"),
    ("reduce_warp", "reduce", None, "  variant: warp shuffles (shfl_down_sync), 1 barrier"),
]
ok = True

def load(prefix):
    best, sums = {}, {}
    for r in range(1, runs + 1):
        path = os.path.join(out, "%s.%d.txt" % (prefix, r))
        if not os.path.exists(path):
            continue
        for line in open(path):
            f = line.split()
            if len(f) != 4:
                continue
            name, ns, checksum = f[0], int(f[2]), f[3]
            best[name] = min(best.get(name, ns), ns)
            sums.setdefault(name, set()).add(checksum)
    return best, sums

c, c_sums = load("c")
fu, fu_sums = load("fu")
fa, fa_sums = load("fu_all")
for name, base, _, _ in rows:
    want = c_sums.get(base)
    if not want or len(want) != 1:
        print("checksum: C's %s missing or not the same in every run: %s" % (base, want))
        ok = False
        continue
    for label, sums in (("Fusion (%s thread)" % threads, fu_sums), ("Fusion (default threads)", fa_sums)):
        got = sums.get(name)
        if got != want:
            print("checksum MISMATCH: %s %s printed %s, C printed %s" % (label, name, got, want))
            ok = False

def ms(ns):
    return "%.1f" % (ns / 1e6) if ns >= 1e7 else "%.2f" % (ns / 1e6)

head = ("| kernel | C -O2 (ms) | Fusion, %s thread (ms) | Fusion / C | target | result | Fusion, default %s threads (ms) (/ C) |"
        % (threads, cores))
lines = [head, "| --- | ---: | ---: | ---: | ---: | --- | ---: |"]
for name, base, target, what in rows:
    if base not in c or name not in fu:
        lines.append("| %s | %s | %s | | | FAILED | |" % (what, ms(c[base]) if base in c else "-", ms(fu[name]) if name in fu else "-"))
        continue
    ratio = fu[name] / c[base]
    if target is None:
        tgt, res = "-", "recorded"
    else:
        tgt, res = "<= %.1f" % target, "PASS" if ratio <= target else "MISS"
    extra = "%s (%.2f)" % (ms(fa[name]), fa[name] / c[base]) if name in fa else "-"
    lines.append("| %s | %s | %s | **%.2f** | %s | %s | %s |" % (what, ms(c[base]), ms(fu[name]), ratio, tgt, res, extra))
lines.append("")
lines.append("best of %d round(s); checksums %s" % (runs, "all equal to C's" if ok else "WRONG (see above)"))
text = "\n".join(lines)
print(text)
with open(os.path.join(out, "results.txt"), "w") as f:
    f.write(text + "\n")
sys.exit(0 if ok else 1)
PY
exit $status
