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

// Sign- or zero-extends the small integer of `kind` at `p` to a whole register, as libffi's
// closure return expects.
static ffi_arg widen(rt_ffi_kind kind, const void* p) {
  int8_t s8;
  uint8_t u8;
  int16_t s16;
  uint16_t u16;
  int32_t s32;
  uint32_t u32;
  switch (kind) {
    case RT_FFI_I8:
      memcpy(&s8, p, sizeof s8);
      return (ffi_arg)(ffi_sarg)s8;
    case RT_FFI_BOOL:
    case RT_FFI_U8:
      memcpy(&u8, p, sizeof u8);
      return u8;
    case RT_FFI_I16:
      memcpy(&s16, p, sizeof s16);
      return (ffi_arg)(ffi_sarg)s16;
    case RT_FFI_U16:
      memcpy(&u16, p, sizeof u16);
      return u16;
    case RT_FFI_I32:
      memcpy(&s32, p, sizeof s32);
      return (ffi_arg)(ffi_sarg)s32;
    default:
      memcpy(&u32, p, sizeof u32);
      return u32;
  }
}

// Entered by libffi on every call of a closure, on the caller's thread.
static void closure_entry(ffi_cif* cif, void* ret, void** args, void* data) {
  (void)cif;
  const rt_ffi_closure* c = data;
  const rt_ffi_sig* sig = c->sig;
  if (sig->widen_ret) {
    uint64_t small = 0;
    c->handler(sig, &small, args, c->userdata);
    ffi_arg wide = widen(sig->ret->kind, &small);
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
