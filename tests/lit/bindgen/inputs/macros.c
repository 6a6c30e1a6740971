// The C library of macros.h, for macros.test.
#include "macros.h"
#include <stdint.h>
size_t mc_dump_flags(size_t flags) { return flags * 2; }
long mc_global_init(long flags) { return flags + 100; }
int mc_bind(const char* text, mc_destructor_type destructor) {
  if (destructor == MC_STATIC) return 1;
  if (destructor == MC_TRANSIENT) return 2;
  return 3;
}
int mc_is_null(void* p) { return p == MC_NULL; }
