// Counted objects (fusion/rt_core.h's rt_ref): the one retain and release that generated code
// calls for every counted type (tensors, strings, files, handles), and handles themselves.
#include <stdlib.h>

#include "fusion/rt_core.h"

void rt_retain(rt_ptr p) {
  rt_ref* r = (rt_ref*)p;
  if (r && r->refs > 0) r->refs++;
}

void rt_release(rt_ptr p) {
  rt_ref* r = (rt_ref*)p;
  if (!r || r->refs < 0) return;  // NULL, or a static object
  // A count of 0 is an object already dropped (kept for reuse): a compiler bug, made loud.
  if (r->refs == 0) rt_panic("internal error: a counted object was released after it was freed", NULL);
  if (--r->refs == 0) r->drop(r);
}

// A handle of an `@drop(f) opaque T` type: the C pointer it owns and the function that frees it.
typedef struct rt_handle {
  rt_ref ref;
  void* ptr;
  void (*free_fn)(void*);
} rt_handle;

static void handle_drop(rt_ref* r) {
  rt_handle* h = (rt_handle*)r;
  if (h->ptr) h->free_fn(h->ptr);
  free(h);
}

rt_ptr rt_handle_own(rt_ptr p, rt_ptr free_fn) {
  rt_handle* h = malloc(sizeof *h);
  if (!h) rt_panic("out of memory for a handle", NULL);
  *h = (rt_handle){{1, handle_drop}, (void*)p, (void (*)(void*))free_fn};
  return h;
}

rt_ptr rt_handle_raw(rt_ptr h) { return ((const rt_handle*)h)->ptr; }
