#!/usr/bin/env bash
# Installs the Debian packages Fusion needs, only when some are missing (Debian 12).
set -euo pipefail
packages=(
  llvm-19-dev llvm-19-tools libclang-19-dev clang-19 lld-19 libclang-rt-19-dev
  libffi-dev cmake ninja-build libgtest-dev python3 make
  gdb  # tests/lit/debug: breakpoints and stacks of Fusion programs
  liblsan0  # tests/lit/tensor/memory_lsan.test: LeakSanitizer preloaded into a built program
  xz-utils binutils  # make gpu-bundle: compresses the bundle, checks its symbol versions
  g++ libyaml-cpp-dev  # fusion wrap builds C++ shims (tests/lit/wrap/yaml.test wraps yaml-cpp)
  libtorch-dev  # issue 16: libtorch through fusion wrap (1.13.1, CPU; ~30 s and ~1 GB to install)
  nlohmann-json3-dev  # fusion lsp: JSON-RPC messages
  neovim  # tests/lit/lsp: a real editor as the language server's client (headless)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${missing[@]}"
