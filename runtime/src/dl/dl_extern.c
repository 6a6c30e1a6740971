// What compiled programs call for `extern` blocks: lazy binding of a call's function-pointer slot,
// lib_available, and the `-L` directories a built executable records.
#include <stdio.h>
#include <stdlib.h>

#include "fusion/rt_core.h"
#include "fusion/rt_dl.h"

rt_ptr rt_extern_bind(rt_ptr slot, rt_ptr library, rt_ptr symbol, rt_loc loc) {
  void* address = rt_dl_lookup((const char*)library, (const char*)symbol);
  if (!address) {
    // The loader's message names the library, the symbol, and every place tried.
    fflush(stdout);
    fprintf(stderr, "panic: cannot call extern function `%s`: %s\n", (const char*)symbol, rt_dl_last_error());
    if (loc) fprintf(stderr, "  at %s:%d:%d\n", loc->file, loc->line, loc->col);
    fflush(stderr);
    exit(101);
  }
  // Two threads may bind the same slot at once; both store the same address.
  __atomic_store_n((void**)slot, address, __ATOMIC_RELEASE);
  return address;
}

rt_bool rt_lib_available(rt_ptr name) { return rt_dl_available((const char*)name); }

void rt_add_library_dir(rt_ptr dir) {
  if (!rt_dl_add_search_dir((const char*)dir)) {
    fprintf(stderr, "fusion: %s\n", rt_dl_last_error());
    exit(101);
  }
}
