// Helpers for the gpu_* runtime tests: checks, and launching a C "kernel" on the CPU device.
#ifndef FUSION_TESTS_GPU_TEST_UTIL_H
#define FUSION_TESTS_GPU_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fusion/rt_gpu.h"
#include "test_check.h"

static inline rt_dim3 dim(uint32_t x, uint32_t y, uint32_t z) { return (rt_dim3){x, y, z}; }

// Launches `k` on the CPU device; returns its status.
static inline int launch(const rt_gpu_kernel* k, rt_dim3 grid, rt_dim3 block, uint32_t dynamic_shared,
                         void* const* args) {
  rt_gpu_device* d = rt_gpu_cpu_device();
  rt_gpu_launch l = {.kernel = k, .grid = grid, .block = block, .dynamic_shared = dynamic_shared, .args = args};
  return d->launch(d, &l);
}

// The global thread index along x.
static inline uint32_t gx(const rt_gpu_thread* t) { return t->block_idx.x * t->block_dim.x + t->thread_idx.x; }

#endif
