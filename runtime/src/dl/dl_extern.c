// What compiled programs call for `extern` blocks: lazy binding of a call's function-pointer slot,
// lib_available, and the `-L` directories a built executable records.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "fusion/rt_core.h"
#include "fusion/rt_dl.h"

// The on_load functions that have started: each runs once, before any call into its block goes
// through. A call made by the function itself into its own block binds without waiting for it;
// other threads wait until it has returned (the lock is recursive).
static pthread_mutex_t g_on_load_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static void** g_on_load_started;
static size_t g_on_load_count;

static void run_on_load(void (*on_load)(void)) {
  pthread_mutex_lock(&g_on_load_lock);
  for (size_t i = 0; i < g_on_load_count; i++) {
    if (g_on_load_started[i] == (void*)on_load) {
      pthread_mutex_unlock(&g_on_load_lock);
      return;
    }
  }
  void** grown = realloc(g_on_load_started, (g_on_load_count + 1) * sizeof *grown);
  if (!grown) {
    rt_die_begin();
    fputs("fusion: out of memory running an @on_load function\n", stderr);
    rt_die_exit();
  }
  g_on_load_started = grown;
  g_on_load_started[g_on_load_count++] = (void*)on_load;
  on_load();
  pthread_mutex_unlock(&g_on_load_lock);
}

rt_ptr rt_extern_bind(rt_ptr slot, rt_ptr library, rt_ptr symbol, rt_loc loc, rt_ptr on_load) {
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
  if (on_load) run_on_load((void (*)(void))on_load);
  // Two threads may bind the same slot at once; both store the same address.
  __atomic_store_n((void**)slot, address, __ATOMIC_RELEASE);
  return address;
}

rt_bool rt_lib_available(rt_ptr name) { return rt_dl_available((const char*)name); }

void rt_add_library_dir(rt_ptr dir) {
  if (!rt_dl_add_search_dir((const char*)dir)) {
    rt_die_begin();
    fprintf(stderr, "fusion: %s\n", rt_dl_last_error());
    rt_die_exit();
  }
}

void rt_add_fusion_library_dir(rt_ptr dir) {
  if (!rt_dl_add_fusion_library_dir((const char*)dir)) {
    rt_die_begin();
    fprintf(stderr, "fusion: %s\n", rt_dl_last_error());
    rt_die_exit();
  }
}
