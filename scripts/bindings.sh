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

# `@noalloc` (--noalloc; docs/performance.md, "Declaring C functions non-allocating"): a promise
# that the C function never calls malloc, which the compiler takes on trust, so only functions that
# work on the memory their caller passes and on fixed static state, by glibc's source: mem*/str*
# on given buffers, integer parsing, abs/div, the rand and drand48 families, getenv, errno, and the
# calls that end the process (as Fusion's own `exit`). Not: what returns new memory (strdup,
# strndup, malloc and friends), what may read message catalogs or locale data (strerror,
# strsignal, strcoll, strxfrm, the *_l and multibyte functions), strtod/atof (glibc's may
# allocate for long inputs), qsort (glibc's may allocate its merge buffer), functions that call
# back into the program (bsearch, atexit), and all of stdio: a FILE's buffer is allocated at its
# first use, and the printf and scanf families may allocate (positional arguments, wide fields).
# All of libm is: it computes on its arguments.
libc_noalloc='^(mem(cpy|move|ccpy|set|cmp|chr)|__memcmpeq|explicit_bzero'
libc_noalloc+='|str(n?cpy|n?cat|n?cmp|r?chr|c?spn|pbrk|str|tok|tok_r|n?len|sep)|__strtok_r|(__)?stpn?cpy'
libc_noalloc+='|abs|labs|llabs|l?l?div|atoi|atoll?|strto(u?l|u?ll|u?q)|a64l|l64a'
libc_noalloc+='|s?rand|rand_r|s?random(_r)?|(init|set)state(_r)?|[delmjns]rand48(_r)?|seed48(_r)?|lcong48(_r)?'
libc_noalloc+='|getenv|__errno_location|abort|exit|_Exit|quick_exit)$'
"$fusion" bindgen /usr/include/stdio.h /usr/include/stdlib.h /usr/include/string.h /usr/include/errno.h \
  --lib libc.so.6 --safe '^(abs|labs|llabs|rand|srand|getchar|putchar|exit|_Exit|abort)$' \
  --noalloc "$libc_noalloc" $(probe libc) -o "$out/libc/generated.fu"
"$fusion" bindgen /usr/include/math.h --also-from 'bits/mathcalls\.h$' --block '^__' \
  --lib libm.so.6 --safe . --noalloc . $(probe libm) -o "$out/libm.fu"
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
