# The differential ABI fuzzer (tests/abi_fuzz/README.md), included by tests/CMakeLists.txt.
# abi_fuzz: 300 random C signatures of a fixed seed, each called by name, through a function
# pointer, as a callback and through the libffi engine, by the JIT and as a built executable
# (20-30 s on two cores).
# abi_fuzz_selftest: a wrong expected value planted in one signature is reported, and nothing else.
# Each has its own work directory, so that `ctest -j` may run them together.
set(ABI_FUZZ_RUN ${CMAKE_SOURCE_DIR}/tests/abi_fuzz/run.py)

add_test(NAME abi_fuzz
  COMMAND ${Python3_EXECUTABLE} ${ABI_FUZZ_RUN} --fusion ${CMAKE_BINARY_DIR}/bin/fusion
          --seed 1 --count 300 --workdir ${CMAKE_BINARY_DIR}/tests/abi_fuzz)
set_tests_properties(abi_fuzz PROPERTIES TIMEOUT 600)

add_test(NAME abi_fuzz_selftest
  COMMAND ${Python3_EXECUTABLE} ${ABI_FUZZ_RUN} --fusion ${CMAKE_BINARY_DIR}/bin/fusion
          --self-test --workdir ${CMAKE_BINARY_DIR}/tests/abi_fuzz_selftest)
set_tests_properties(abi_fuzz_selftest PROPERTIES TIMEOUT 300)
