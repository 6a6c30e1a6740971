# Fusion: `make run` (set up, build, run the showcase) and `make test` (set up, build, test).
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all setup build run test unit-san fuzz bench bindings gpu-bundle gpu-suite-cpu install clean

all: build

setup:
	@bash scripts/setup.sh

$(BUILD)/build.ninja:
	cmake -G Ninja -S . -B $(BUILD) $(CMAKE_FLAGS)

build: setup $(BUILD)/build.ninja
	ninja -C $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/bin/fusion run examples/hello.fu

# Every test: the sanitizer build (ASan + UBSan) of the front end and runtime with its tests,
# 60 s of fuzzing, then the main build's CTest suite (unit, runtime and lit tests) last.
test: build
	$(MAKE) --no-print-directory fuzz
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The front end, runtime and their tests built with clang-19 under ASan + UBSan, plus the fuzzer.
SAN_BUILD ?= build-san
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
$(SAN_BUILD)/build.ninja:
	CC=clang-19 CXX=clang++-19 cmake -G Ninja -S . -B $(SAN_BUILD) -DFUSION_FRONTEND_ONLY=ON -DFUSION_FUZZ=ON \
	  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS="$(SAN_FLAGS)" -DCMAKE_CXX_FLAGS="$(SAN_FLAGS)"

unit-san: setup $(SAN_BUILD)/build.ninja
	ninja -C $(SAN_BUILD) -j $(JOBS)
	cd $(SAN_BUILD) && ctest --output-on-failure -j $(JOBS)

FUZZ_SECONDS ?= 60
fuzz: unit-san
	bash scripts/fuzz.sh $(SAN_BUILD)/bin/fusion_fuzz_frontend $(FUZZ_SECONDS)

bench: build
	bash bench/run.sh

# The differential ABI fuzzer (tests/abi_fuzz): 5000 random C signatures, each called by name,
# through a pointer, as a callback and through the libffi engine; `make abi-fuzz SEED=7` for others.
SEED ?= 1
ABI_FUZZ_COUNT ?= 5000
.PHONY: abi-fuzz
abi-fuzz: build
	python3 tests/abi_fuzz/run.py --fusion $(BUILD)/bin/fusion --seed $(SEED) \
	  --count $(ABI_FUZZ_COUNT) --workdir $(BUILD)/tests/abi_fuzz_make

# Regenerates the shipped bindings (lib/libc, lib/libm.fu, lib/cuda (runtime, driver, cuBLAS), lib/nccl) from the installed
# headers with `fusion bindgen`; tests/lit/bindgen/shipped.test checks that they are up to date.
bindings: build
	bash scripts/bindings.sh $(BUILD)/bin/fusion lib

# The GPU bundle (docs/gpu-bundle.md): $(BUILD)/gpu-bundle.tar.xz, under 60 MiB, for a machine with
# an NVIDIA GPU and a CUDA 13 driver but no LLVM: the compiler and its shared libraries, the Fusion
# library, the GPU tests and examples prebuilt with their CPU-device outputs, the MPI programs and
# Open MPI itself (the GPU machine has none), bench/gpu, and run-gpu-suite.sh. Needs xz, objdump
# (binutils) and Debian's Open MPI, which the set-up installs.
gpu-bundle: build
	bash scripts/gpu_bundle/make_bundle.sh $(BUILD) $(BUILD)/gpu-bundle.tar.xz

# Unpacks the bundle in a clean environment (env -i, no LLVM on PATH) and runs its suite on the CPU
# device (as root with the system's Open MPI and LLVM hidden): what can be checked without a GPU.
gpu-suite-cpu: gpu-bundle
	bash scripts/gpu_bundle/check_bundle.sh $(BUILD)/gpu-bundle.tar.xz

# Installs fusion, fusion-bindgen, the runtime and the Fusion library under PREFIX (bin/, lib/).
PREFIX ?= /usr/local
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
