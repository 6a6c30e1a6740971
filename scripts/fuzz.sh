#!/usr/bin/env bash
# Runs the front-end fuzzer for N seconds from a seed corpus of the test programs.
# usage: fuzz.sh FUZZER SECONDS
set -euo pipefail
fuzzer=$1
seconds=$2
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
find tests/lit examples -name '*.fu' -exec cp {} "$corpus"/ \; 2>/dev/null || true
# Inputs that once crashed the front end stay in the corpus as regression seeds.
cp tests/fuzz/corpus/* "$corpus"/ 2>/dev/null || true
artifacts=${FUZZ_ARTIFACTS:-build-san/fuzz-artifacts}
mkdir -p "$artifacts"
# Inputs up to 64 KiB, so deep nesting (10,000 parentheses) is in reach; the dictionary's tokens
# make mutations that stay close to Fusion.
"$fuzzer" "$corpus" -dict=tests/fuzz/fusion.dict -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$artifacts/" -print_final_stats=1 2>&1 | tail -n 15
echo "fuzz: ${seconds}s without a crash, hang or sanitizer report"
