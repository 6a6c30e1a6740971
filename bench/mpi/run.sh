#!/usr/bin/env bash
# MPI from Fusion against the same programs in C with MPI (issue 19, "Speed"), in one run, with the
# same ranks on this machine: the time per step of a Jacobi step with halo exchange (halo.fu,
# halo.c: target <= 1.05x) and MPI_Allreduce's bandwidth on 8 MiB (allreduce.fu, allreduce.c).
# Both sides are built (fusion build -O2; mpicc -O2 over clang-19, LLVM as Fusion: MPI_CC=gcc for
# gcc) and run under mpirun -np NP, alternately,
# best of RUNS, and the median of the runs' pairwise ratios (on a 2-core machine MPI's polling
# makes single runs scatter by ±40%); each checks that both print the same result.
# Usage: bench/mpi/run.sh     FUSION=path (default build/bin/fusion), NP (default 2), RUNS (default 3).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
FUSION=${FUSION:-build/bin/fusion}
NP=${NP:-2}
RUNS=${RUNS:-3}
OUT=$root/bench/out/mpi
mkdir -p "$OUT"
MPIRUN=(env FUSION_DEVICE=cpu mpirun --allow-run-as-root --oversubscribe -np "$NP")
for b in halo allreduce; do
  "$FUSION" build -O2 "bench/mpi/$b.fu" -o "$OUT/$b.fu.exe"
  OMPI_CC=${MPI_CC:-clang-19} mpicc -O2 "bench/mpi/$b.c" -o "$OUT/$b.c.exe"
done
printf '%-10s %4s %14s %14s %10s\n' bench ranks "C" "Fusion" "Fusion/C"
for b in halo allreduce; do
  best_c="" best_f="" ratios=""
  for _ in $(seq "$RUNS"); do
    c=$("${MPIRUN[@]}" "$OUT/$b.c.exe")
    f=$("${MPIRUN[@]}" "$OUT/$b.fu.exe")
    read -r _ _ _ _ tc rc <<< "$c"
    read -r _ _ _ _ tf rf <<< "$f"
    if [[ $(awk -v a="$rc" -v b="$rf" 'BEGIN { print (a == b) }') != 1 ]]; then
      echo "$b: C printed '$c', Fusion '$f': different results" >&2
      exit 1
    fi
    ratios="$ratios $(awk -v c="$tc" -v f="$tf" 'BEGIN { print f / c }')"
    best_c=$(awk -v a="$tc" -v b="$best_c" 'BEGIN { print (b == "" || a < b) ? a : b }')
    best_f=$(awk -v a="$tf" -v b="$best_f" 'BEGIN { print (b == "" || a < b) ? a : b }')
  done
  median=$(tr ' ' '\n' <<< "$ratios" | grep . | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  echo "$b: Fusion/C of each pair (C then Fusion, alternating):$ratios; median $median"
  if [[ $b == halo ]]; then
    awk -v b="$b" -v n="$NP" -v c="$best_c" -v f="$best_f" 'BEGIN {
      printf "%-10s %4d %11.2f us %11.2f us %10.2f  per step (target <= 1.05)\n", b, n, c * 1e6, f * 1e6, f / c }'
  else
    awk -v b="$b" -v n="$NP" -v c="$best_c" -v f="$best_f" 'BEGIN {
      bytes = 8 * 1048576
      printf "%-10s %4d %9.2f GB/s %9.2f GB/s %10.2f  time per call (8 MiB of f64)\n", b, n, bytes / c / 1e9, bytes / f / 1e9, f / c }'
  fi
done
