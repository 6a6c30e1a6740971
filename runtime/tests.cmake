# Runtime C tests: tests/runtime/<name>_test.c, each its own executable and CTest test.
set(FUSION_TESTS_DIR ${CMAKE_CURRENT_SOURCE_DIR}/../tests)

# The C test library of ABI cases (tests/ffi/*.c), loaded by the dl and ffi tests both with the
# loader and through the engine, and linked into them for the direct C calls they compare with.
file(GLOB FFI_CASES_SOURCES CONFIGURE_DEPENDS ${FUSION_TESTS_DIR}/ffi/*.c)
add_library(fusion_ffi_cases SHARED ${FFI_CASES_SOURCES})
target_include_directories(fusion_ffi_cases PUBLIC ${FUSION_TESTS_DIR}/ffi)
target_compile_options(fusion_ffi_cases PRIVATE -Wall -Wextra -Werror)
target_link_libraries(fusion_ffi_cases PRIVATE Threads::Threads)

# The CUDA driver's test double (tests/cuda_double; host side only): lib/libcuda_double.so, which
# gpu_cuda_test and the lit tests load with FUSION_CUDA_DRIVER. Not with the SONAME libcuda.so.1:
# libraries that open the driver themselves (NVRTC does) would then get the double, which lacks
# most of the driver, instead of finding no driver.
add_library(cuda_double SHARED ${FUSION_TESTS_DIR}/cuda_double/cuda_double.c)
target_include_directories(cuda_double PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src/gpu)
target_compile_options(cuda_double PRIVATE -Wall -Wextra -Werror -fvisibility=hidden)
target_compile_definitions(cuda_double PRIVATE _GNU_SOURCE)
target_link_libraries(cuda_double PRIVATE Threads::Threads)

file(GLOB RT_TEST_SOURCES CONFIGURE_DEPENDS ${FUSION_TESTS_DIR}/runtime/*_test.c)
foreach(src ${RT_TEST_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  add_executable(rt_${name} ${src})
  target_link_libraries(rt_${name} PRIVATE fusion_rt)
  target_include_directories(rt_${name} PRIVATE ${FFI_INCLUDE} ${FUSION_TESTS_DIR}/runtime)
  target_compile_options(rt_${name} PRIVATE -Wall -Wextra -Werror)
  target_compile_definitions(rt_${name} PRIVATE _GNU_SOURCE)
  if(name MATCHES "^(dl|ffi)_")
    target_link_libraries(rt_${name} PRIVATE fusion_ffi_cases Threads::Threads)
    target_compile_definitions(rt_${name} PRIVATE
      FFI_CASES_LIB="$<TARGET_FILE:fusion_ffi_cases>")
  endif()
  if(name MATCHES "^(gpu_cuda|tensor_die)_test$")  # tensor_die: matmul on a CUDA device without cuBLAS
    target_compile_definitions(rt_${name} PRIVATE CUDA_DOUBLE_LIB="$<TARGET_FILE:cuda_double>")
    add_dependencies(rt_${name} cuda_double)
  endif()
  if(name STREQUAL "backtrace_test")
    # The DWARF reader reads what Fusion writes, version 4; unoptimized, so lines are exact.
    target_compile_options(rt_${name} PRIVATE -gdwarf-4 -O0)
  endif()
  add_test(NAME runtime.${name} COMMAND rt_${name})
  # No test touches the user's kernel cache (cache_test sets a directory of its own).
  set_tests_properties(runtime.${name} PROPERTIES ENVIRONMENT "FUSION_CACHE=off")
endforeach()
