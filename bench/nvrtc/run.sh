#!/usr/bin/env bash
# bench/nvrtc: gpu.compile_cuda cold (NVRTC) against a cache hit, in one run. See bench/README.md.
# Usage: bench/nvrtc/run.sh [COLD_RUNS] [HIT_RUNS]; FUSION=path (default build/bin/fusion).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FUSION=${FUSION:-$root/build/bin/fusion}
out=$root/bench/out/nvrtc
mkdir -p "$out"
"$FUSION" build -O2 "$root/bench/nvrtc/compile.fu" -o "$out/compile"
cache=$(mktemp -d "${TMPDIR:-/tmp}/fusion-bench-nvrtc-XXXXXX")
trap 'rm -rf "$cache"' EXIT
"$out/compile" "$cache" "${1:-5}" "${2:-200}"
