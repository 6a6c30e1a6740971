#!/usr/bin/env bash
# FFI call benchmark (issue 4): calls from Fusion into a C shared library against the same loops in
# C calling through function pointers, plus LuaJIT's FFI and Python's ctypes as reference points.
# Builds what it needs under bench/out/ffi_calls/, runs every implementation RUNS times (interleaved,
# so all see the same machine load), and prints the best time per call of each loop and the ratio
# to C. See bench/README.md ("FFI calls").
#
# Usage: bench/ffi_calls/run.sh
#   FUSION=path    the compiler (default build/bin/fusion, relative to the repository root)
#   CLANG=path     the C compiler for the library and the C baseline (default clang-19, else cc)
#   GCC=path       a second C baseline, built with gcc (default gcc; GCC= to skip). Ratios are
#                  taken against the faster of the two C builds, loop by loop
#   RUNS=n         best of n runs (default 5)
#   N=n            calls per loop for C and Fusion (default 100000000; even)
#   LUA_N=n        calls in LuaJIT's add1 loop (default N)
#   LUA_NSTRUCT=n  calls in LuaJIT's dot and step loops (default 1000000: not JIT-compiled, slow)
#   PY_N=n         calls per loop for Python ctypes (default 1000000)
#   NO_JIT=1       skip `fusion run`;  NO_LUA=1, NO_PY=1 skip the reference points
# Exit status: 0 when the library, the C baseline and the Fusion program built and every
# implementation that ran printed the expected checksums (speed targets missed or not), 1 otherwise.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$root/bench/ffi_calls
cd "$root"
FUSION=${FUSION:-build/bin/fusion}
case $FUSION in /*) ;; *) FUSION=$root/$FUSION ;; esac
if [[ -z ${CLANG:-} ]]; then
  if command -v clang-19 >/dev/null; then CLANG=clang-19; else CLANG=cc; fi
fi
RUNS=${RUNS:-5}
N=${N:-100000000}
LUA_N=${LUA_N:-$N}
LUA_NSTRUCT=${LUA_NSTRUCT:-1000000}
PY_N=${PY_N:-1000000}
PYTHON=${PYTHON:-python3}
GCC=${GCC-gcc}
OUT=$root/bench/out/ffi_calls
TARGET=1.15

command -v "$CLANG" >/dev/null || { echo "run.sh: no C compiler '$CLANG' (set CLANG=...)" >&2; exit 1; }
command -v "$PYTHON" >/dev/null || { echo "run.sh: python3 is needed for the report" >&2; exit 1; }
rm -rf "$OUT"
mkdir -p "$OUT"
status=0

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
echo "fusion:  $FUSION ($("$FUSION" --version 2>/dev/null | head -1 || echo missing))"
echo "C:       $("$CLANG" --version | head -1)${GCC:+; $("$GCC" --version 2>/dev/null | head -1 || true)}"

# ---- build -------------------------------------------------------------------------------------
echo "== building in $OUT"
"$CLANG" -O2 -shared -fPIC -o "$OUT/libbench_ffi.so" "$here/bench_ffi.c"
"$CLANG" -O2 -o "$OUT/calls_c" "$here/calls_c.c" -ldl
impls=(c)
if [[ -n $GCC ]] && command -v "$GCC" >/dev/null; then
  "$GCC" -O2 -o "$OUT/calls_gcc" "$here/calls_c.c" -ldl && impls+=(gcc)
fi
declare -A label=([c]="C (clang)" [gcc]="C (gcc)" [fu]="Fusion build -O2" [jit]="fusion run -O2"
                  [lua]="LuaJIT FFI" [py]="Python ctypes")
if [[ ! -x $FUSION ]]; then
  echo "   no fusion compiler at $FUSION: Fusion rows skipped"; status=1
elif "$FUSION" build -O2 -L "$OUT" "$here/calls.fu" -o "$OUT/calls_fu" 2> "$OUT/fusion_build.err"; then
  impls+=(fu)
  [[ ${NO_JIT:-0} == 1 ]] || impls+=(jit)
else
  echo "   fusion build FAILED:"; sed 's/^/     /' "$OUT/fusion_build.err" | head -20; status=1
fi
if [[ ${NO_LUA:-0} != 1 ]]; then
  if ! command -v luajit >/dev/null && [[ $(id -u) == 0 ]]; then
    echo "   installing luajit (apt-get)"
    apt-get install -y luajit >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y luajit >/dev/null 2>&1; } || true
  fi
  if command -v luajit >/dev/null; then impls+=(lua); else echo "   no luajit: its rows are skipped"; fi
fi
[[ ${NO_PY:-0} == 1 ]] || impls+=(py)
[[ " ${impls[*]} " == *" lua "* ]] && echo "LuaJIT:  $(luajit -v | head -1)"
[[ " ${impls[*]} " == *" py "* ]] && echo "Python:  $("$PYTHON" --version 2>&1) ($(command -v "$PYTHON"))"

run_impl() {  # run_impl IMPL: one run, the loop lines on stdout
  case $1 in
    c)   "$OUT/calls_c" "$OUT/libbench_ffi.so" "$N" ;;
    gcc) "$OUT/calls_gcc" "$OUT/libbench_ffi.so" "$N" ;;
    fu)  FFI_CALLS_N=$N "$OUT/calls_fu" ;;
    jit) FFI_CALLS_N=$N "$FUSION" run -O2 -L "$OUT" "$here/calls.fu" ;;
    lua) luajit "$here/calls.lua" "$OUT/libbench_ffi.so" "$LUA_N" "$LUA_NSTRUCT" ;;
    py)  "$PYTHON" "$here/calls_ctypes.py" "$OUT/libbench_ffi.so" "$PY_N" ;;
  esac
}

# ---- run: RUNS rounds, each implementation once per round ---------------------------------------
echo "== running ${impls[*]}, best of $RUNS"
for ((r = 1; r <= RUNS; r++)); do
  for im in "${impls[@]}"; do
    rc=0; run_impl "$im" > "$OUT/$im.$r.out" 2> "$OUT/$im.$r.err" || rc=$?
    if (( rc != 0 )); then
      echo "   ${label[$im]} (run $r) exited with $rc:"; sed 's/^/     /' "$OUT/$im.$r.err" | head -10
      echo "FAILED" >> "$OUT/$im.$r.out"
    fi
  done
done

# ---- report ------------------------------------------------------------------------------------
"$PYTHON" - "$OUT" "$RUNS" "$TARGET" "${impls[@]}" <<'PY' | tee "$OUT/results.txt" || status=1
import sys
out, runs, target, impls = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4:]
labels = {"c": "C clang -O2", "gcc": "C gcc -O2", "fu": "Fusion -O2", "jit": "fusion run",
          "lua": "LuaJIT FFI", "py": "Python ctypes"}
loops = ["add1", "dot", "step"]
desc = {"add1": "int64_t add1(int64_t)", "dot": "double dot(D2, D2), 16 B",
        "step": "S24 step(S24), 24 B"}

def expected(loop, n):  # the checksum fields every implementation must print for n calls
    if loop in ("add1", "dot"):
        return [str(n * (n + 1) // 2)]
    return [str(n // 2), str(3 * n), str(n // 2)]

best = {}      # (impl, loop) -> best ns per call
ns_used = {}   # (impl, loop) -> N
bad = []
for im in impls:
    for r in range(1, runs + 1):
        lines = open(f"{out}/{im}.{r}.out").read().split("\n")
        seen = set()
        for ln in lines:
            f = ln.split()
            if len(f) < 4 or f[0] not in loops:
                continue
            loop, n, ns, ck = f[0], int(f[1]), int(f[2]), f[3:]
            seen.add(loop)
            if ck != expected(loop, n):
                bad.append(f"{labels[im]} run {r}: {loop} N={n} checksum {' '.join(ck)}, "
                           f"expected {' '.join(expected(loop, n))}")
                continue
            per = ns / n
            if (im, loop) not in best or per < best[im, loop]:
                best[im, loop] = per
                ns_used[im, loop] = n
        for loop in loops:
            if loop not in seen:
                bad.append(f"{labels[im]} run {r}: no result for {loop}")

def fmt_n(n):
    e = len(str(n)) - 1
    return f"1e{e}" if n == 10 ** e else str(n)

print()
print(f"Best of {runs} runs; time per call in ns (each loop's elapsed time / N); "
      f"(ratio) = implementation / the faster C build of that loop, same run.")
cols = [im for im in impls]
head = f"{'loop':<28}" + "".join(f"{labels[im]:>22}" for im in cols) + f"  {'target':>8}  result"
print(head)
for loop in loops:
    cs = [best[k, loop] for k in ("c", "gcc") if (k, loop) in best]
    c = min(cs) if cs else None
    row = f"{desc[loop]:<28}"
    for im in cols:
        v = best.get((im, loop))
        if v is None:
            cell = "-"
        elif im in ("c", "gcc") or c is None:
            cell = f"{v:.2f}"
        else:
            cell = f"{v:.2f} ({v / c:.2f}x)"
        row += f"{cell:>22}"
    fu = best.get(("fu", loop))
    if fu is None or c is None:
        verdict = "FAIL"
    else:
        verdict = "PASS" if fu / c <= target else "MISS"
    row += f"  {'<= ' + str(target):>8}  {verdict}"
    print(row)
print("N per loop: " + ", ".join(
    f"{labels[im]} " + "/".join(sorted({fmt_n(ns_used[im, l]) for l in loops if (im, l) in ns_used}))
    for im in cols))
if bad:
    print("CHECKSUM PROBLEMS:")
    for b in bad:
        print("  " + b)
    sys.exit(1)
print("checksums: every run of every implementation printed the expected values "
      "(add1, dot: N(N+1)/2; step: N/2 3N N/2)")
PY
exit $status
