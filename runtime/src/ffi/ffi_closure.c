// Closures: C function pointers, made by libffi, that call a handler with the arguments.
#include <stdlib.h>
#include <string.h>

#include "ffi_internal.h"

struct rt_ffi_closure {
  ffi_closure* writable;  // libffi's closure object
  void* code;             // the function pointer C calls
  const rt_ffi_sig* sig;
  rt_ffi_handler handler;
  void* userdata;
};

// Entered by libffi on every call of a closure, on the caller's thread.
static void closure_entry(ffi_cif* cif, void* ret, void** args, void* data) {
  (void)cif;
  const rt_ffi_closure* c = data;
  const rt_ffi_sig* sig = c->sig;
  if (sig->widen_ret) {
    uint64_t small = 0;
    c->handler(sig, &small, args, c->userdata);
    // libffi expects the whole register, sign- or zero-extended.
    ffi_arg wide = (ffi_arg)rtffi_load_small_int(sig->ret->kind, &small);
    memcpy(ret, &wide, sizeof wide);
  } else if (sig->ret->kind == RT_FFI_VOID) {
    c->handler(sig, NULL, args, c->userdata);
  } else {
    memset(ret, 0, sig->ret->size);
    c->handler(sig, ret, args, c->userdata);
  }
}

rt_ffi_closure* rt_ffi_closure_new(const rt_ffi_sig* sig, rt_ffi_handler handler, void* userdata) {
  if (!sig || !handler) {
    rtffi_fail(RT_FFI_ERR_NULL, "rt_ffi_closure_new: no %s (NULL)", sig ? "handler" : "signature");
    return NULL;
  }
  if (sig->variadic) {
    rtffi_fail(RT_FFI_ERR_UNSUPPORTED,
               "a closure cannot be variadic: its handler could not know the types of the "
               "variadic arguments a caller passes");
    return NULL;
  }
  rt_ffi_closure* c = calloc(1, sizeof *c);
  if (!c) {
    rtffi_fail(RT_FFI_ERR_NO_MEMORY, "out of memory creating a closure");
    return NULL;
  }
  *c = (rt_ffi_closure){.sig = sig, .handler = handler, .userdata = userdata};
  c->writable = ffi_closure_alloc(sizeof(ffi_closure), &c->code);
  if (!c->writable) {
    free(c);
    rtffi_fail(RT_FFI_ERR_NO_MEMORY, "libffi could not allocate a closure trampoline");
    return NULL;
  }
  ffi_status st = ffi_prep_closure_loc(c->writable, (ffi_cif*)&sig->cif, closure_entry, c, c->code);
  if (st != FFI_OK) {
    ffi_closure_free(c->writable);
    free(c);
    rtffi_fail(RT_FFI_ERR_LIBFFI, "libffi refused the closure (ffi_prep_closure_loc status %d)",
               (int)st);
    return NULL;
  }
  pthread_mutex_lock(&rtffi_lock);
  rtffi_stats.closures_live++;
  pthread_mutex_unlock(&rtffi_lock);
  return c;
}

void* rt_ffi_closure_fn(const rt_ffi_closure* closure) { return closure ? closure->code : NULL; }

void rt_ffi_closure_free(rt_ffi_closure* closure) {
  if (!closure) return;
  ffi_closure_free(closure->writable);
  free(closure);
  pthread_mutex_lock(&rtffi_lock);
  rtffi_stats.closures_live--;
  pthread_mutex_unlock(&rtffi_lock);
}
