// rt_ffi_call: one check-and-forward to ffi_call on the fast path; return widening and variadic
// promotions on the careful path.
#include <string.h>

#include "ffi_internal.h"

int64_t rtffi_load_small_int(rt_ffi_kind kind, const void* p) {
  int8_t s8;
  uint8_t u8;
  int16_t s16;
  uint16_t u16;
  int32_t s32;
  uint32_t u32;
  switch (kind) {
    case RT_FFI_I8:
      memcpy(&s8, p, sizeof s8);
      return s8;
    case RT_FFI_BOOL:
    case RT_FFI_U8:
      memcpy(&u8, p, sizeof u8);
      return u8;
    case RT_FFI_I16:
      memcpy(&s16, p, sizeof s16);
      return s16;
    case RT_FFI_U16:
      memcpy(&u16, p, sizeof u16);
      return u16;
    case RT_FFI_I32:
      memcpy(&s32, p, sizeof s32);
      return s32;
    default:
      memcpy(&u32, p, sizeof u32);
      return u32;
  }
}

// Checks the arguments of a call; RT_FFI_OK when it may go ahead.
static rt_ffi_status check_call(const rt_ffi_sig* sig, void* fn, void* const* args, size_t nargs) {
  if (!sig) return rtffi_fail(RT_FFI_ERR_NULL, "rt_ffi_call: no signature (NULL)");
  if (!fn) return rtffi_fail(RT_FFI_ERR_NULL, "rt_ffi_call: null function pointer");
  if (nargs != sig->nargs)
    return rtffi_fail(RT_FFI_ERR_ARG_COUNT,
                      "rt_ffi_call: %zu arguments given, the signature has %zu", nargs, sig->nargs);
  if (nargs && !args)
    return rtffi_fail(RT_FFI_ERR_NULL, "rt_ffi_call: %zu arguments but no argument array", nargs);
  for (size_t i = 0; i < nargs; i++)
    if (!args[i])
      return rtffi_fail(RT_FFI_ERR_NULL, "rt_ffi_call: argument %zu points nowhere (NULL)", i);
  return RT_FFI_OK;
}

// The careful path: a bad call, an integer return narrower than ffi_arg, variadic promotions, or
// an aggregate passed as two scalars (sig->split).
static rt_ffi_status call_careful(const rt_ffi_sig* sig, void* fn, void* const* args, size_t nargs,
                                  void* ret) {
  rt_ffi_status status = check_call(sig, fn, args, nargs);
  if (status != RT_FFI_OK) return status;

  void* slots[RT_FFI_MAX_ARGS + 1];
  union {
    double f64;
    int32_t i32;
  } values[RT_FFI_MAX_ARGS];
  uint64_t halves[2] = {0, 0};  // the split aggregate, padded to 16 bytes
  void** actual = (void**)args;
  if (sig->npromote || sig->split >= 0) {
    memcpy(slots, args, nargs * sizeof *slots);
    actual = slots;
  }
  if (sig->npromote) {
    for (size_t j = 0; j < sig->npromote; j++) {
      uint32_t i = sig->promote[j];
      if (sig->args[i]->kind == RT_FFI_F32) {
        float f;
        memcpy(&f, args[i], sizeof f);
        values[j].f64 = f;
      } else {
        values[j].i32 = (int32_t)rtffi_load_small_int(sig->args[i]->kind, args[i]);  // C promotes to int
      }
      slots[i] = &values[j];
    }
  }
  if (sig->split >= 0) {
    size_t k = (size_t)sig->split;
    memcpy(halves, args[k], sig->args[k]->size);
    memmove(&slots[k + 2], &slots[k + 1], (nargs - k - 1) * sizeof *slots);
    slots[k] = &halves[0];
    slots[k + 1] = &halves[1];
  }

  if (sig->widen_ret) {
    ffi_arg wide = 0;  // libffi stores a whole register for integer returns
    ffi_call((ffi_cif*)&sig->cif, FFI_FN(fn), &wide, actual);
    if (ret) memcpy(ret, &wide, sig->ret->size);  // little-endian: the low bytes are the value
  } else {
    ffi_call((ffi_cif*)&sig->cif, FFI_FN(fn), ret, actual);
  }
  return RT_FFI_OK;
}

rt_ffi_status rt_ffi_call(const rt_ffi_sig* sig, void* fn, void* const* args, size_t nargs,
                          void* ret) {
  if (__builtin_expect(!sig || !fn || nargs != sig->nargs || sig->slow || (!args && nargs), 0))
    return call_careful(sig, fn, args, nargs, ret);
  ffi_call((ffi_cif*)&sig->cif, FFI_FN(fn), ret, (void**)args);
  return RT_FFI_OK;
}
