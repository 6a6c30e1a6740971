// Shared by the CUDA C references (bench/gpu/*_ref.cu): error checks, a monotonic clock, and the
// size argument, so that every reference times and reports the way its Fusion twin does.
#pragma once
#include <cuda.h>
#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHECK_CUDA(call)                                                                      \
  do {                                                                                        \
    cudaError_t err_ = (call);                                                                \
    if (err_ != cudaSuccess) {                                                                \
      fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(err_)); \
      exit(1);                                                                                \
    }                                                                                         \
  } while (0)

#define CHECK_CU(call)                                                           \
  do {                                                                           \
    CUresult res_ = (call);                                                      \
    if (res_ != CUDA_SUCCESS) {                                                  \
      const char* name_ = "?";                                                   \
      cuGetErrorName(res_, &name_);                                              \
      fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, name_);      \
      exit(1);                                                                   \
    }                                                                            \
  } while (0)

// CLOCK_MONOTONIC in nanoseconds, as Fusion's monotonic_ns().
static inline long long monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline long long size_arg(int argc, char** argv, long long def) {
  return argc > 1 ? atoll(argv[1]) : def;
}
