#!/usr/bin/env bash
# Checks the GPU bundle as far as a machine without a GPU can (`make gpu-suite-cpu`): unpacks it
# into a fresh directory under /tmp and, in a clean environment (env -i, a PATH without LLVM,
# no LD_LIBRARY_PATH), checks that every bundled binary's libraries resolve to the bundle or to
# the C/C++ run-time every target has (glibc, libstdc++, libgcc_s), runs run-gpu-suite.sh on the
# CPU device (everything must pass, and the tensor fusion table must have Fusion's times; as root,
# with this machine's Open MPI and LLVM hidden by hide_system.sh, so that the MPI runs use the
# bundle's Open MPI or fail), and on the CUDA device, where with no GPU every item must be a SKIP
# and the exit status 2.
# usage: check_bundle.sh BUNDLE.tar.xz
set -euo pipefail
tarball=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
dir=$(mktemp -d /tmp/fusion-bundle-check.XXXXXX)
trap 'rm -rf "$dir"' EXIT
tar -C "$dir" -xJf "$tarball"
b=$dir/fusion-gpu-bundle
clean_env=(env -i HOME="$dir" PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8)
system_lib='^(linux-vdso\.so|/lib64/ld-linux-x86-64\.so|ld-linux-x86-64\.so|libc\.so|libm\.so|libpthread\.so|libdl\.so|librt\.so|libstdc\+\+\.so|libgcc_s\.so)'
bad=0
checked=0
while read -r elf; do
  checked=$((checked + 1))
  while read -r line; do
    soname=$(echo "$line" | awk '{print $1}')
    path=$(echo "$line" | awk '$2 == "=>" {print $3}')
    if [[ "$line" == *"statically linked"* ]]; then continue; fi
    if [[ "$line" == *"not found"* ]]; then echo "check_bundle: $elf: $soname not found"; bad=1; continue; fi
    if [[ "$soname" =~ $system_lib ]]; then continue; fi
    case $path in "$b"/lib/deps/* | "$b"/mpi/lib/*) ;; *) echo "check_bundle: $elf: $soname resolves outside the bundle, to $path"; bad=1 ;; esac
  done < <("${clean_env[@]}" LD_LIBRARY_PATH="$b/mpi/lib:$b/lib/deps" ldd "$elf" | sed 's/^[[:space:]]*//')
done < <(find "$b" -type f \( -perm -u+x -o -name '*.so*' \) -exec sh -c 'head -c 4 "$1" | grep -q ELF' _ {} \; -print)
[ $bad = 0 ] || { echo "check_bundle: FAILED: libraries outside the bundle"; exit 1; }
echo "check_bundle: $checked ELF files: every library is the bundle's or glibc/libstdc++/libgcc_s"

# The wrapper alone, from another directory, without LLVM anywhere on PATH.
(cd / && "${clean_env[@]}" "$b/bin/fusion" --version)

# The CPU device's run, where the MPI programs run under the bundle's mpirun: as root (CI) with
# this machine's Open MPI, PMIx, hwloc and LLVM hidden (hide_system.sh, in a mount namespace of its
# own), so that nothing of them can stand in for the bundle's; otherwise as it is, saying so.
hide=()
if [ "$(id -u)" = 0 ] && unshare -m true 2> /dev/null; then
  hide=(unshare -m bash "$(cd "$(dirname "$0")" && pwd)/hide_system.sh")
  echo "check_bundle: run-gpu-suite.sh --device cpu, with the system's Open MPI and LLVM hidden"
else
  echo "check_bundle: run-gpu-suite.sh --device cpu (not root, or no unshare: the system's Open MPI is not hidden)"
fi
set +e
(cd / && "${hide[@]}" "${clean_env[@]}" OUT="$dir/out-cpu" bash -c "mkdir -p \$OUT && $b/run-gpu-suite.sh --device cpu")
rc=$?
set -e
[ $rc = 0 ] || { echo "check_bundle: FAILED: the suite on the CPU device exited $rc"; exit 1; }
grep -q '^gpu-suite summary: device cpu: [1-9][0-9]* passed, 0 failed' "$dir/out-cpu/gpu-suite-results.txt" ||
  { echo "check_bundle: FAILED: no passing summary in the results file"; exit 1; }
grep -q '^PASS: mpi_jacobi -np 4 ' "$dir/out-cpu/gpu-suite-results.txt" ||
  { echo "check_bundle: FAILED: the MPI programs did not run under the bundle's mpirun"; exit 1; }
awk '$1 == "chain10" && $2 != "-" && $3 != "-" { found = 1 } END { exit !found }' "$dir/out-cpu/fusion-bench.txt" ||
  { echo "check_bundle: FAILED: no tensor fusion table with Fusion's times (fusion-bench.txt)"; exit 1; }

echo "check_bundle: run-gpu-suite.sh --device cuda (no GPU here: everything must be skipped)"
set +e
(cd / && "${clean_env[@]}" OUT="$dir/out-cuda" bash -c "mkdir -p \$OUT && $b/run-gpu-suite.sh --device cuda") > "$dir/cuda.log"
rc=$?
set -e
tail -3 "$dir/cuda.log"
if [ -e /dev/nvidiactl ]; then
  echo "check_bundle: this machine has a GPU; not checking the no-GPU behaviour"
else
  [ $rc = 2 ] || { echo "check_bundle: FAILED: without a GPU the suite on --device cuda exited $rc, not 2"; exit 1; }
  if grep -E '^(PASS|FAIL): ' "$dir/cuda.log" | grep -v '^PASS: compiler starts'; then
    echo "check_bundle: FAILED: without a GPU something passed or failed instead of being skipped"; exit 1
  fi
  grep -q '^SKIP: .*SKIP: no GPU' "$dir/cuda.log" || { echo "check_bundle: FAILED: no SKIP: no GPU lines"; exit 1; }
fi
echo "check_bundle: ok"
