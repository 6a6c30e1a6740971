#!/bin/sh
# Builds the ffi_engine benchmark against the runtime in build-rt and prints calls per second and
# ratios. The runtime must be optimized to be measured: a build-rt configured without a build type
# (the default, -O0) is reconfigured as Release first.
# Usage: bench/ffi_engine/run.sh [seconds per repetition]   (BUILD_RT=dir picks another build)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_RT:-$root/build-rt}
type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
case "$type" in
  Release|RelWithDebInfo) ;;
  *)
    echo "configuring $build as Release (it was '${type:-none}')"
    cmake -G Ninja -S "$root/runtime" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
    ;;
esac
ninja -C "$build" -j2 fusion_rt >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -O2 -std=gnu11 -D_GNU_SOURCE -I"$root/runtime/include" "$root/bench/ffi_engine/bench.c" \
  "$build/lib/libfusion_rt.a" -lffi -ldl -lm -lpthread -o "$out/ffi_engine"
model=$(lscpu | sed -n 's/^Model name: *//p')
libffi=$(pkg-config --modversion libffi 2>/dev/null || echo '?')
echo "machine: $model, $(nproc) cores; libffi $libffi"
"$out/ffi_engine" "$@"
