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
    const char* why = rt_dl_last_error();
    const char* fmt = "cannot call extern function `%s`: %s";
    int n = snprintf(NULL, 0, fmt, (const char*)symbol, why);
    char* msg = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (msg) snprintf(msg, (size_t)n + 1, fmt, (const char*)symbol, why);
    rt_panic(msg ? msg : why, loc);
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
