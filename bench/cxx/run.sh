#!/usr/bin/env bash
# Per-call overhead of a C++ library through `fusion wrap` (issue 16, "Speed"): N = 10^6 calls of
# libtorch's add of two 4-element f32 tensors from Fusion (add.fu, through lib/torch.fu's thin API:
# handles freed automatically) against the same loop in C++ calling libtorch directly (add.cpp,
# built with the flags lib/torch.spec gives the shim), in one run. Each program times its own loop
# (CLOCK_MONOTONIC, after a warm-up call that loads the libraries); best of RUNS, interleaved.
# Prints both times, ns per call and the ratio Fusion / C++ (target <= 1.10).
# Usage: bench/cxx/run.sh      FUSION=path (default build/bin/fusion), CXX=c++, RUNS=n (default 3),
#        N=calls (default 1000000). Needs libtorch-dev. About 20 s.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
FUSION=${FUSION:-build/bin/fusion}
CXX=${CXX:-c++}
RUNS=${RUNS:-3}
N=${N:-1000000}
OUT=$root/bench/out/cxx
mkdir -p "$OUT"
export OMP_NUM_THREADS=1   # a 4-element add is one thread's work; keep both sides alike

# The shim as `fusion wrap` builds it (c++ -O2), and add.fu over it.
"$FUSION" wrap lib/torch.spec -o "$OUT/shim" 2> "$OUT/wrap.log"
"$FUSION" build -O2 -L "$OUT/shim" bench/cxx/add.fu -o "$OUT/add.fu.exe"
# The C++ twin, with lib/torch.spec's flags (std, include, link) and -O2, as the shim.
"$CXX" -std=c++17 -O2 -w -I/usr/include/torch/csrc/api/include bench/cxx/add.cpp -o "$OUT/add.cpp.exe" \
  -ltorch -ltorch_cpu -lc10

sum_ok=1
best_c="" ; best_f=""
expect="add $N"
for _ in $(seq "$RUNS"); do
  for side in c f; do
    exe=$OUT/add.cpp.exe; [[ $side == f ]] && exe=$OUT/add.fu.exe
    line=$(CXX_CALLS_N=$N "$exe")
    read -r name n ns sum <<< "$line"
    want=$(awk -v n="$N" 'BEGIN { printf "%.1f", 4 * n }')
    if [[ "$name $n" != "$expect" || $sum != "$want" ]]; then
      echo "$exe: printed '$line', expected '$expect NS $want'" >&2
      sum_ok=0
    fi
    if [[ $side == c ]]; then [[ -z $best_c || $ns -lt $best_c ]] && best_c=$ns
    else [[ -z $best_f || $ns -lt $best_f ]] && best_f=$ns; fi
  done
done

ratio=$(awk -v f="$best_f" -v c="$best_c" 'BEGIN { printf "%.2f", f / c }')
verdict=$(awk -v r="$ratio" 'BEGIN { print (r <= 1.10 ? "PASS" : "MISS") }')
{
  printf '%-10s %12s %12s %11s %11s %9s\n' bench "C++ ms" "Fusion ms" "C++ ns/call" "Fu ns/call" "Fusion/C++"
  printf '%-10s %12.1f %12.1f %11.0f %11.0f %9s  %s (target <= 1.10; best of %d, N = %d)\n' add \
    "$(awk -v x="$best_c" 'BEGIN { print x / 1e6 }')" "$(awk -v x="$best_f" 'BEGIN { print x / 1e6 }')" \
    "$(awk -v x="$best_c" -v n="$N" 'BEGIN { print x / n }')" "$(awk -v x="$best_f" -v n="$N" 'BEGIN { print x / n }')" \
    "$ratio" "$verdict" "$RUNS" "$N"
} | tee "$OUT/results.txt"
[[ $sum_ok == 1 ]]
