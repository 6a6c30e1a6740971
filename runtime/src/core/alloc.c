// Heap: zeroed allocation that panics instead of returning NULL.
#include <stdio.h>
#include <stdlib.h>

#include "fusion/rt_core.h"

rt_ptr rt_alloc(rt_u64 count, rt_u64 elem_size, rt_loc loc) {
  if (elem_size != 0 && count > SIZE_MAX / elem_size) {
    char msg[96];
    snprintf(msg, sizeof msg, "allocation of %llu elements of %llu bytes overflows",
             (unsigned long long)count, (unsigned long long)elem_size);
    rt_panic(msg, loc);
  }
  size_t bytes = (size_t)(count * elem_size);
  void* p = calloc(bytes ? bytes : 1, 1);
  if (!p) {
    char msg[80];
    snprintf(msg, sizeof msg, "out of memory allocating %zu bytes", bytes);
    rt_panic(msg, loc);
  }
  return p;
}

void rt_free(rt_ptr p) { free((void*)p); }
