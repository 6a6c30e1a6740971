#!/usr/bin/env bash
# Installs the Debian packages Fusion needs, and the npm packages of its editor tests, only when
# some are missing (Debian 12).
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
  libtree-sitter-dev  # tests/lit/editors: the tree-sitter runtime the grammar's parse test builds against
  libopenmpi-dev openmpi-bin  # import "mpi" (lib/mpi: bindgen of its mpi.h), tests/lit/mpi under mpirun
)
# node and npm (tests/lit/editors: the TextMate grammar's checker); the machine's own when it has them.
if ! command -v node > /dev/null || ! command -v npm > /dev/null; then packages+=(nodejs npm); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${missing[@]}"
fi

# The npm packages of the editor grammars' tests (vscode-textmate, vscode-oniguruma), into
# editors/tools/node_modules as editors/tools/package-lock.json pins them; only when missing.
tools="$(cd "$(dirname "$0")/.." && pwd)/editors/tools"
if ! cmp -s "$tools/package-lock.json" "$tools/node_modules/.fusion-installed-lock.json"; then
  echo "setup: installing the npm packages of editors/tools"
  npm ci --prefix "$tools" --no-audit --no-fund --loglevel=error
  cp "$tools/package-lock.json" "$tools/node_modules/.fusion-installed-lock.json"
fi
