#!/usr/bin/env bash
# For shipped.test: builds and runs each layout probe in DIR (written by scripts/bindings.sh) in
# C and in Fusion, and fails on the first difference, printing it.
# usage: check_probes.sh FUSION DIR
set -euo pipefail
fusion=$1
dir=$2
cuda=${CUDA_HOME:-/usr/local/cuda}/include
total=0
for c in "$dir"/*.c; do
  name=$(basename "$c" .c)
  clang-19 -w -I "$cuda" -I /usr/lib/x86_64-linux-gnu/openmpi/include "$c" -o "$dir/$name"
  "$dir/$name" > "$dir/$name.clang.txt"
  "$fusion" run "$dir/$name.fu" > "$dir/$name.fusion.txt"
  if ! diff -u "$dir/$name.clang.txt" "$dir/$name.fusion.txt"; then
    echo "check_probes: $name: Fusion's layout differs from clang's (above: - clang, + Fusion)"
    exit 1
  fi
  n=$(wc -l < "$dir/$name.clang.txt")
  total=$((total + n))
  echo "check_probes: $name: $n sizes, alignments and offsets agree"
done
echo "check_probes: $total in all, 0 mismatches"
