#!/usr/bin/env bash
# Builds the GPU bundle (`make gpu-bundle`, docs/gpu-bundle.md): one tarball that runs on a machine
# with an NVIDIA GPU and a CUDA 13 driver but no LLVM and no Debian packages (an Ubuntu 24.04
# userland): the compiler and the shared libraries it needs (all but glibc, libstdc++ and
# libgcc_s, which every such machine has in newer versions), the Fusion library, every GPU test and
# example as source and as a prebuilt executable with the output it gives on the CPU device here,
# the GPU benchmarks with their CUDA C references, the tensor fusion benchmark with its CuPy and
# PyTorch reference, and run-gpu-suite.sh.
# usage: make_bundle.sh BUILD_DIR [OUT.tar.xz]
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
out=${2:-$build/gpu-bundle.tar.xz}
fusion=$build/bin/fusion
name=fusion-gpu-bundle
stage_root=$build/gpu-bundle-stage
stage=$stage_root/$name
max_mib=60
die() { echo "make_bundle: $*" >&2; exit 1; }

[ -x "$fusion" ] || die "no compiler at $fusion (build first)"
rm -rf "$stage_root"
mkdir -p "$stage"/{bin,libexec,lib/deps,tests,bench/fusion}

# The compiler: the real binaries in libexec/ (the launcher `fusion` and `fusion-compiler` beside
# it, which finds the Fusion library at ../lib/fusion and the runtime at ../lib/libfusion_rt.a, as
# in the build tree), started by bin/fusion, which points the loader at lib/deps.
# Without its debug information (45 MiB of the 50): symbols stay, for the compiler's own backtraces.
[ -x "$build/bin/fusion-compiler" ] || die "no compiler at $build/bin/fusion-compiler (build first)"
cp "$fusion" "$stage/libexec/fusion"
objcopy --strip-debug "$build/bin/fusion-compiler" "$stage/libexec/fusion-compiler"
cp "$build/lib/libfusion_rt.a" "$stage/lib/"
mkdir -p "$stage/lib/fusion"
(cd "$src/lib" && find . -name '*.fu' | while read -r f; do mkdir -p "$stage/lib/fusion/$(dirname "$f")"; cp "$f" "$stage/lib/fusion/$f"; done)
cat > "$stage/bin/fusion" <<'WRAP'
#!/bin/sh
# Runs the bundled compiler with the bundled shared libraries (lib/deps) ahead of the system's.
here=$(cd "$(dirname "$0")/.." && pwd)
LD_LIBRARY_PATH="$here/lib/deps${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "$here/libexec/fusion" "$@"
WRAP
chmod +x "$stage/bin/fusion"

# The libraries a binary needs, by ldd, except those of the C and C++ run-time that the target
# machine has (newer) itself: glibc's (libc, libm, libpthread, libdl, librt, the loader and the
# vDSO), libstdc++ and libgcc_s. Everything else goes to lib/deps under its soname.
system_lib='^(linux-vdso\.so|ld-linux-x86-64\.so|libc\.so|libm\.so|libpthread\.so|libdl\.so|librt\.so|libstdc\+\+\.so|libgcc_s\.so)'
bundle_deps() {
  ldd "$1" | awk '$2 == "=>" { print $1, $3 }' | while read -r soname path; do
    if [[ "$soname" =~ $system_lib ]]; then continue; fi
    [ -f "$path" ] || die "$1 needs $soname, which ldd cannot find"
    [ -f "$stage/lib/deps/$soname" ] || cp -L "$path" "$stage/lib/deps/$soname"
  done
}
bundle_deps "$stage/libexec/fusion"
bundle_deps "$stage/libexec/fusion-compiler"

# Every GPU test program (tensor_*.fu among them) and GPU and tensor fusion example: the source, an executable built here, and what both
# print on the CPU device (stdout and exit status), which the GPU must reproduce. The JIT and the
# executable must agree here, or the bundle is not made.
programs=()
for f in "$src"/tests/lit/gpu/*.fu; do programs+=("gpu_$(basename "$f" .fu):$f"); done
for d in "$src"/examples/gpu_*/ "$src"/examples/fusion_*/; do programs+=("example_$(basename "$d"):$d/main.fu"); done
for entry in "${programs[@]}"; do
  id=${entry%%:*}
  file=${entry#*:}
  cp "$file" "$stage/tests/$id.fu"
  (cd "$stage" && "$fusion" build --gpu-arch sm_80,sm_90 "tests/$id.fu" -o "tests/$id") || die "cannot build $file"
  bundle_deps "$stage/tests/$id"
  set +e
  (cd "$stage" && FUSION_DEVICE=cpu "tests/$id" > "tests/$id.expected" 2> "tests/$id.cpu-stderr")
  rc=$?
  (cd "$stage" && FUSION_CACHE=off FUSION_DEVICE=cpu bin/fusion run "tests/$id.fu" > "$stage_root/jit.out" 2> /dev/null)
  jit_rc=$?
  set -e
  echo "$rc" > "$stage/tests/$id.expected-status"
  cmp -s "$stage/tests/$id.expected" "$stage_root/jit.out" && [ "$rc" = "$jit_rc" ] ||
    die "$id: the JIT and the executable disagree on the CPU device (exit $jit_rc and $rc)"
  echo "make_bundle: $id: exit $rc, $(wc -l < "$stage/tests/$id.expected") lines of output"
done
rm -f "$stage_root/jit.out"

# Programs that need a GPU (tests/lit/gpu_device: CUDA C, NCCL on gpu.alloc memory): they check
# their own results and say SKIP without a GPU, so what they must print on one is written in
# their `// EXPECT-GPU:` lines. run-gpu-suite.sh runs them on the CUDA device only.
for f in "$src"/tests/lit/gpu_device/*.fu; do
  id="gpudev_$(basename "$f" .fu)"
  cp "$f" "$stage/tests/$id.fu"
  (cd "$stage" && "$fusion" build --gpu-arch sm_80,sm_90 "tests/$id.fu" -o "tests/$id") || die "cannot build $f"
  bundle_deps "$stage/tests/$id"
  sed -n 's|^// EXPECT-GPU: ||p' "$f" > "$stage/tests/$id.expected"
  [ -s "$stage/tests/$id.expected" ] || die "$f has no // EXPECT-GPU: lines"
  echo 0 > "$stage/tests/$id.expected-status"
  echo "make_bundle: $id: GPU only, $(wc -l < "$stage/tests/$id.expected") expected lines"
done

# Open MPI (bundle_openmpi.sh: mpi/ and bin/mpirun) and the MPI programs under it, in tests/mpi/:
# the MPI test program, both distributed examples and the NCCL-over-MPI test, each as source and
# prebuilt. runs.txt lists what run-gpu-suite.sh runs under the bundled mpirun: every program with
# one rank on the suite's device ("suite"), and the CPU programs with 2 and 4 ranks on the CPU
# device ("cpu"), by the JIT or prebuilt. Each run's stdout, its lines sorted (the ranks' lines
# arrive in any order), and exit status are recorded here on the CPU device, as above; the JIT
# and the executable must agree. On the CUDA device two outputs differ by design, written to
# ID.np1.expected-cuda: nccl_over_mpi's (its `// EXPECT-GPU:` lines; on the CPU device it says
# SKIP) and mpi_allreduce's, which names the all-reduce it used (NCCL on GPUs): the numbers must
# not change.
bash "$src/scripts/gpu_bundle/bundle_openmpi.sh" "$stage"
mkdir -p "$stage/tests/mpi"
mpi_sources=(mpi_basics:tests/lit/mpi/inputs/basics.fu mpi_jacobi:examples/mpi_jacobi/main.fu
             mpi_allreduce:examples/mpi_allreduce/main.fu nccl_over_mpi:tests/lit/mpi/inputs/nccl.fu)
for entry in "${mpi_sources[@]}"; do
  id=${entry%%:*}
  cp "$src/${entry#*:}" "$stage/tests/mpi/$id.fu"
  (cd "$stage" && "$fusion" build --gpu-arch sm_80,sm_90 "tests/mpi/$id.fu" -o "tests/mpi/$id") || die "cannot build ${entry#*:}"
  bundle_deps "$stage/tests/mpi/$id"
  : > "$stage/tests/mpi/$id.args"
done
echo "4000 300" > "$stage/tests/mpi/mpi_jacobi.args"
cat > "$stage/tests/mpi/runs.txt" <<'RUNS'
# ID RANKS DEVICE KIND: DEVICE "suite" is run-gpu-suite.sh's --device, "cpu" always the CPU device;
# KIND "jit" (bin/fusion run tests/mpi/ID.fu) or "exe" (tests/mpi/ID); arguments in ID.args.
mpi_basics 1 suite jit
mpi_basics 1 suite exe
mpi_jacobi 1 suite jit
mpi_jacobi 1 suite exe
mpi_allreduce 1 suite jit
mpi_allreduce 1 suite exe
nccl_over_mpi 1 suite jit
nccl_over_mpi 1 suite exe
mpi_basics 2 cpu jit
mpi_basics 4 cpu exe
mpi_jacobi 2 cpu exe
mpi_jacobi 4 cpu jit
mpi_allreduce 2 cpu jit
mpi_allreduce 4 cpu exe
RUNS
mpirun_flags=(--allow-run-as-root --oversubscribe)
while read -r id np dev kind; do
  case $id in ''|'#'*) continue ;; esac
  exp=$stage/tests/mpi/$id.np$np.expected
  read -r -a args < "$stage/tests/mpi/$id.args" || true
  if [ ! -f "$exp" ]; then
    set +e
    (cd "$stage" && FUSION_DEVICE=cpu bin/mpirun "${mpirun_flags[@]}" -np "$np" "tests/mpi/$id" "${args[@]}" \
       < /dev/null 2> "$stage_root/mpi.err" | LC_ALL=C sort > "$exp")
    rc=$?   # (pipefail: the exit status of mpirun, or of sort)
    set -e
    echo "$rc" > "$exp-status"
    [ -s "$exp" ] || die "$id with $np ranks printed nothing on the CPU device (exit $rc): $(head -3 "$stage_root/mpi.err")"
    echo "make_bundle: $id, $np ranks: exit $rc, $(wc -l < "$exp") lines of output"
  fi
  if [ "$kind" = jit ]; then
    set +e
    (cd "$stage" && FUSION_CACHE=off FUSION_DEVICE=cpu bin/mpirun "${mpirun_flags[@]}" -np "$np" bin/fusion run \
       "tests/mpi/$id.fu" "${args[@]}" < /dev/null 2> /dev/null | LC_ALL=C sort > "$stage_root/jit.out")
    rc=$?   # (pipefail: the exit status of mpirun, or of sort)
    set -e
    cmp -s "$exp" "$stage_root/jit.out" && [ "$rc" = "$(cat "$exp-status")" ] ||
      die "$id with $np ranks: the JIT and the executable disagree on the CPU device (exit $rc and $(cat "$exp-status"))"
  fi
done < "$stage/tests/mpi/runs.txt"
rm -f "$stage_root/jit.out" "$stage_root/mpi.err"
grep -qx 'SKIP: no CUDA device (NCCL needs one GPU per rank)' "$stage/tests/mpi/nccl_over_mpi.np1.expected" ||
  die "nccl_over_mpi did not say SKIP on the CPU device"
sed -n 's|^// EXPECT-GPU: ||p' "$src/tests/lit/mpi/inputs/nccl.fu" > "$stage/tests/mpi/nccl_over_mpi.np1.expected-cuda"
[ -s "$stage/tests/mpi/nccl_over_mpi.np1.expected-cuda" ] || die "tests/lit/mpi/inputs/nccl.fu has no // EXPECT-GPU: lines"
sed 's/ with MPI_Allreduce line / with NCCL line /' "$stage/tests/mpi/mpi_allreduce.np1.expected" > "$stage/tests/mpi/mpi_allreduce.np1.expected-cuda"
echo 0 > "$stage/tests/mpi/nccl_over_mpi.np1.expected-cuda-status"
cp "$stage/tests/mpi/mpi_allreduce.np1.expected-status" "$stage/tests/mpi/mpi_allreduce.np1.expected-cuda-status"
! cmp -s "$stage/tests/mpi/mpi_allreduce.np1.expected" "$stage/tests/mpi/mpi_allreduce.np1.expected-cuda" ||
  die "mpi_allreduce's output no longer names MPI_Allreduce as make_bundle.sh expects (see its expected-cuda)"

# The benchmarks: Fusion sources with prebuilt executables, and the CUDA C references, which
# run-gpu-suite.sh compiles with nvcc on the GPU machine.
cp "$src"/bench/gpu/*.fu "$src"/bench/gpu/*.cu "$src"/bench/gpu/common.h "$src"/bench/gpu/README.md "$stage/bench/"
for f in "$stage"/bench/*.fu; do
  b=$(basename "$f" .fu)
  (cd "$stage" && "$fusion" build "bench/$b.fu" -o "bench/$b") || die "cannot build bench/gpu/$b.fu"
  bundle_deps "$stage/bench/$b"
done

# The tensor fusion benchmark (issue 15): chain.fu built -O2 as bench/fusion/run.sh builds it, with
# cubins for sm_80 and sm_90 as the tests have, and its CuPy / PyTorch reference for the GPU.
cp "$src"/bench/fusion/chain.fu "$src"/bench/fusion/gpu_ref.py "$stage/bench/fusion/"
(cd "$stage" && "$fusion" build -O2 --gpu-arch sm_80,sm_90 bench/fusion/chain.fu -o bench/fusion/chain) ||
  die "cannot build bench/fusion/chain.fu"
bundle_deps "$stage/bench/fusion/chain"

cp "$src/scripts/gpu_bundle/run-gpu-suite.sh" "$stage/"
chmod +x "$stage/run-gpu-suite.sh"
cp "$src/docs/gpu-bundle.md" "$stage/README.md"
{
  echo "fusion: $("$fusion" --version)"
  echo "commit: $(git -C "$src" rev-parse HEAD 2>/dev/null || echo unknown)$(git -C "$src" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(. /etc/os-release && echo "$PRETTY_NAME"), glibc $(ldd --version | head -1 | awk '{print $NF}')"
  echo "bundled libraries: $(cd "$stage/lib/deps" && ls | tr '\n' ' ')"
  echo "open mpi: $(ompi_info --version 2>/dev/null | head -1) ($(dpkg-query -W -f '${Package} ${Version}' libopenmpi3 2>/dev/null || echo 'Debian package unknown')), in mpi/: $(du -sh "$stage/mpi" | cut -f1), $(ls "$stage/mpi/lib/openmpi3" | wc -l) MCA components"
  echo "open mpi libraries: $(cd "$stage/mpi/lib" && ls -p | grep -v / | tr '\n' ' ')"
} > "$stage/BUILD-INFO"

# The newest glibc and libstdc++ symbol versions any bundled binary asks for: the target must
# have them (Ubuntu 24.04: GLIBC_2.39, GLIBCXX_3.4.33).
elfs=$(find "$stage" -type f \( -perm -u+x -o -name '*.so*' \) -exec sh -c 'head -c 4 "$1" | grep -q ELF' _ {} \; -print)
glibc=$(for e in $elfs; do objdump -T "$e" 2>/dev/null; done | grep -o 'GLIBC_2\.[0-9]*' | sort -t. -k2 -n -u | tail -1)
glibcxx=$(for e in $elfs; do objdump -T "$e" 2>/dev/null; done | grep -o 'GLIBCXX_3\.4\.[0-9]*' | sort -t. -k3 -n -u | tail -1)
echo "needs: $glibc, $glibcxx" >> "$stage/BUILD-INFO"
[ "${glibc#GLIBC_2.}" -le 39 ] || die "a bundled binary needs $glibc, newer than Ubuntu 24.04's GLIBC_2.39"
[ "${glibcxx#GLIBCXX_3.4.}" -le 33 ] || die "a bundled binary needs $glibcxx, newer than Ubuntu 24.04's GLIBCXX_3.4.33"

rm -f "$out"
tar -C "$stage_root" -cf - "$name" | xz -T2 -9 > "$out"
size=$(stat -c %s "$out")
echo "make_bundle: $out: $((size / 1024 / 1024)) MiB ($size bytes), ${#programs[@]} test programs, needs $glibc and $glibcxx"
cat "$stage/BUILD-INFO"
[ "$size" -lt $((max_mib * 1024 * 1024)) ] || die "the bundle is $((size / 1024 / 1024)) MiB, over the $max_mib MiB limit"
