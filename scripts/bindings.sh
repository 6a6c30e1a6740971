#!/usr/bin/env bash
# Regenerates the shipped bindings (lib/) from the installed headers: `make bindings`.
# usage: bindings.sh FUSION [OUT_DIR [PROBE_DIR]]
# OUT_DIR defaults to lib/. The tests (tests/lit/bindgen/shipped.test) write elsewhere and
# compare, so a change of headers or of bindgen shows up as a failing test; with PROBE_DIR they
# also get each binding's layout probe (`--layout-probe`), to compare with clang's layout.
set -euo pipefail
fusion=$1
out=${2:-lib}
probe_dir=${3:-}
cuda=${CUDA_HOME:-/usr/local/cuda}/include
mkdir -p "$out/libc" "$out/cuda" "$out/nccl" "$out/mpi"
probe() { if [ -n "$probe_dir" ]; then echo "--layout-probe $probe_dir/$1"; fi; }

"$fusion" bindgen /usr/include/stdio.h /usr/include/stdlib.h /usr/include/string.h /usr/include/errno.h \
  --lib libc.so.6 --safe '^(abs|labs|llabs|rand|srand|getchar|putchar|exit|_Exit|abort)$' \
  $(probe libc) -o "$out/libc/generated.fu"
"$fusion" bindgen /usr/include/math.h --also-from 'bits/mathcalls\.h$' --block '^__' \
  --lib libm.so.6 --safe . $(probe libm) -o "$out/libm.fu"
"$fusion" bindgen "$cuda/cuda_runtime_api.h" "$cuda/driver_types.h" -I "$cuda" --lib cudart \
  --on-load cudart_check_version \
  --safe '^(cudaGetErrorName|cudaGetErrorString|cudaGetLastError|cudaPeekAtLastError|cudaDeviceSynchronize|cudaDeviceReset|cudaSetDevice)$' \
  $(probe cuda_runtime) -o "$out/cuda/runtime_api.fu"
"$fusion" bindgen "$cuda/cuda.h" -I "$cuda" --lib cuda --on-load cuda_driver_check_version \
  $(probe cuda_driver) -o "$out/cuda/driver_api.fu"
"$fusion" bindgen "$cuda/cublas_v2.h" "$cuda/cublas_api.h" -I "$cuda" --lib cublas --on-load cublas_check_version \
  --safe '^(cublasGetStatusName|cublasGetStatusString|cublasGetCudartVersion)$' \
  $(probe cublas) -o "$out/cuda/cublas_api.fu"
"$fusion" bindgen "$cuda/nccl.h" -I "$cuda" --lib nccl --on-load nccl_check_version \
  --safe '^(ncclGetErrorString|ncclGroupStart|ncclGroupEnd)$' $(probe nccl) -o "$out/nccl/api.fu"
# Open MPI (libopenmpi-dev): the API, and its predefined handles (addresses of library globals),
# which scripts/mpi_handles.py makes statics that the @on_load hook sets.
mpi=/usr/lib/x86_64-linux-gnu/openmpi/include
"$fusion" bindgen "$mpi/mpi.h" -I "$mpi" --lib mpi --on-load mpi_load_handles \
  --safe '^(MPI_Wtime|MPI_Wtick)$' $(probe mpi) -o "$out/mpi/api.fu"
python3 "$(dirname "$0")/mpi_handles.py" "$mpi/mpi.h" "$out/mpi/handles.fu"
