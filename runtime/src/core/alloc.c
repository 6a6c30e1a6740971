// Heap: zeroed allocation that panics instead of returning NULL.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fusion/rt_core.h"

// `align` is the element type's alignment (a power of two): calloc gives 16, enough for most;
// a vec<f32, 8> or an @align(64) struct gets posix_memalign's memory. `free` releases both.
rt_ptr rt_alloc(rt_u64 count, rt_u64 elem_size, rt_u64 align, rt_loc loc) {
  if (elem_size != 0 && count > SIZE_MAX / elem_size) {
    char msg[96];
    snprintf(msg, sizeof msg, "allocation of %llu elements of %llu bytes overflows",
             (unsigned long long)count, (unsigned long long)elem_size);
    rt_panic(msg, loc);
  }
  size_t bytes = (size_t)(count * elem_size);
  void* p = NULL;
  if (align <= 16) {
    p = calloc(bytes ? bytes : 1, 1);
  } else if (posix_memalign(&p, (size_t)align, bytes ? bytes : 1) == 0) {
    memset(p, 0, bytes);
  } else {
    p = NULL;
  }
  if (!p) {
    char msg[80];
    snprintf(msg, sizeof msg, "out of memory allocating %zu bytes", bytes);
    rt_panic(msg, loc);
  }
  return p;
}

void rt_free(rt_ptr p) { free((void*)p); }
