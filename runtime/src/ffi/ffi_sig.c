// Signature descriptors: checked, mapped to an ffi_cif prepared once, interned by shape.
#include <stdlib.h>
#include <string.h>

#include "ffi_internal.h"

static rtffi_table g_sigs;  // guarded by rtffi_lock

static uint64_t hash_sig(const rt_ffi_type* ret, const rt_ffi_type* const* args, size_t nargs,
                         size_t nfixed, bool variadic) {
  uint64_t h = rtffi_hash_mix(0x27d4eb2fu, (uint64_t)(uintptr_t)ret);
  h = rtffi_hash_mix(h, (uint64_t)nargs);
  h = rtffi_hash_mix(h, variadic ? (uint64_t)nfixed + 1 : 0);
  for (size_t i = 0; i < nargs; i++) h = rtffi_hash_mix(h, (uint64_t)(uintptr_t)args[i]);
  return h;
}

// Caller holds rtffi_lock.
static rt_ffi_sig* find_sig(uint64_t hash, const rt_ffi_type* ret, const rt_ffi_type* const* args,
                            size_t nargs, size_t nfixed, bool variadic) {
  for (rtffi_entry* e = rtffi_table_chain(&g_sigs, hash); e; e = e->next) {
    rt_ffi_sig* s = (rt_ffi_sig*)e;
    if (e->hash != hash || s->ret != ret || s->nargs != nargs || s->variadic != variadic) continue;
    if (variadic && s->nfixed != nfixed) continue;
    if (nargs && memcmp(s->args, args, nargs * sizeof *args) != 0) continue;
    return s;
  }
  return NULL;
}

static void free_sig(rt_ffi_sig* s) {
  if (!s) return;
  free(s->args);
  free(s->promote);
  free(s->ffi_args);
  free(s);
}

// Checks a signature's types; returns the status (and sets the message) of the first problem.
static rt_ffi_status check_types(const rt_ffi_type* ret, const rt_ffi_type* const* args,
                                 size_t nargs) {
  char text[128];
  if (!ret)
    return rtffi_fail(RT_FFI_ERR_NULL,
                      "signature has no return type (NULL; did building it fail?)");
  if (ret->kind == RT_FFI_ARRAY) {
    rt_ffi_type_format(ret, text, sizeof text);
    return rtffi_fail(RT_FFI_ERR_UNSUPPORTED,
                      "return type `%s` is an array: C functions cannot return arrays", text);
  }
  if (nargs > RT_FFI_MAX_ARGS)
    return rtffi_fail(RT_FFI_ERR_ARG_COUNT, "signature has %zu arguments; at most %d are supported",
                      nargs, RT_FFI_MAX_ARGS);
  if (nargs && !args)
    return rtffi_fail(RT_FFI_ERR_NULL, "signature of %zu arguments given no argument list", nargs);
  for (size_t i = 0; i < nargs; i++) {
    if (!args[i])
      return rtffi_fail(RT_FFI_ERR_NULL, "argument %zu has no type (NULL; did building it fail?)",
                        i);
    if (args[i]->kind == RT_FFI_VOID)
      return rtffi_fail(RT_FFI_ERR_INVALID, "argument %zu is `void`: only a return type can be", i);
    if (args[i]->kind == RT_FFI_ARRAY) {
      rt_ffi_type_format(args[i], text, sizeof text);
      return rtffi_fail(RT_FFI_ERR_UNSUPPORTED,
                        "argument %zu has array type `%s`: C passes arrays as pointers; pass a "
                        "pointer, or wrap the array in a struct",
                        i, text);
    }
  }
  return RT_FFI_OK;
}

// The type a variadic argument of `kind` goes as (C's default argument promotions).
static ffi_type* promoted(rt_ffi_kind kind, ffi_type* declared) {
  if (kind == RT_FFI_F32) return &ffi_type_double;
  if (kind == RT_FFI_BOOL || kind == RT_FFI_I8 || kind == RT_FFI_I16 || kind == RT_FFI_U8 ||
      kind == RT_FFI_U16)
    return &ffi_type_sint32;  // int holds every value of these, so they promote to int
  return declared;
}

// Works around a libffi 3.4.4 bug (x86-64 ffi_call_int): an aggregate of 9-16 bytes whose first
// eightbyte is INTEGER is copied into the saved general-purpose registers with one memcpy of its
// whole size. When that eightbyte lands in the last register (r9), the copy runs past it into the
// saved xmm0 and overwrites the first floating-point argument whenever the second eightbyte is SSE
// (INTEGER+INTEGER cannot land there: both eightbytes would need a register). Passing such an
// aggregate as a uint64 and a double puts the same bytes in the same registers (r9 and the next
// xmm), so the signature's call does that for it. This counts registers as the SysV ABI and
// libffi do: in order, an argument takes registers only if all its eightbytes fit in what is left,
// and a return in memory takes the first general-purpose register for its address.
// Returns the index of the argument to split, or -1 (at most one can start in r9).
static int split_index(const rt_ffi_type* ret, const rt_ffi_type* const* args, size_t nargs) {
  enum { kGprs = 6, kSses = 8 };
  // Every descriptor carries its classes (a scalar has one; C's variadic promotions keep it);
  // an aggregate with none goes by memory.
  int gpr = ret->nclasses == 0 ? 1 : 0, sse = 0;
  for (size_t i = 0; i < nargs; i++) {
    const rt_ffi_type* t = args[i];
    int ngpr = 0, nsse = 0;
    for (int e = 0; e < t->nclasses; e++) t->classes[e] == RT_FFI_CLASS_SSE ? nsse++ : ngpr++;
    if (t->nclasses == 0 || gpr + ngpr > kGprs || sse + nsse > kSses) continue;  // by memory
    if (gpr == kGprs - 1 && t->nclasses == 2 && t->classes[0] == RT_FFI_CLASS_INTEGER &&
        t->classes[1] == RT_FFI_CLASS_SSE)
      return (int)i;
    gpr += ngpr;
    sse += nsse;
  }
  return -1;
}

// Builds a new signature and prepares its ffi_cif. Caller holds rtffi_lock.
static rt_ffi_sig* build_sig(uint64_t hash, const rt_ffi_type* ret, const rt_ffi_type* const* args,
                             size_t nargs, size_t nfixed, bool variadic) {
  rt_ffi_sig* s = calloc(1, sizeof *s);
  if (!s) goto no_memory;
  *s = (rt_ffi_sig){.ret = ret,
                    .nargs = nargs,
                    .nfixed = variadic ? nfixed : nargs,
                    .variadic = variadic,
                    .entry.hash = hash};
  s->args = calloc(nargs ? nargs : 1, sizeof *s->args);
  s->ffi_args = calloc(nargs + 1, sizeof *s->ffi_args);
  s->promote = calloc(nargs ? nargs : 1, sizeof *s->promote);
  if (!s->args || !s->ffi_args || !s->promote) goto no_memory;
  for (size_t i = 0; i < nargs; i++) {
    s->args[i] = args[i];
    s->ffi_args[i] = args[i]->ffi;
    if (variadic && i >= nfixed) {
      ffi_type* p = promoted(args[i]->kind, args[i]->ffi);
      if (p != args[i]->ffi) {
        s->ffi_args[i] = p;
        s->promote[s->npromote++] = (uint32_t)i;
      }
    }
  }
  s->split = split_index(ret, args, nargs);
  size_t ncif = nargs, ncif_fixed = s->nfixed;
  if (s->split >= 0) {
    size_t k = (size_t)s->split;
    memmove(&s->ffi_args[k + 2], &s->ffi_args[k + 1], (nargs - k - 1) * sizeof *s->ffi_args);
    s->ffi_args[k] = &ffi_type_uint64;
    s->ffi_args[k + 1] = &ffi_type_double;
    ncif++;
    if (k < ncif_fixed) ncif_fixed++;
  }
  s->widen_ret = rtffi_is_small_int(ret->kind);
  s->slow = s->widen_ret || s->npromote > 0 || s->split >= 0;

  ffi_status st =
      variadic ? ffi_prep_cif_var(&s->cif, FFI_DEFAULT_ABI, (unsigned)ncif_fixed, (unsigned)ncif,
                                  ret->ffi, s->ffi_args)
               : ffi_prep_cif(&s->cif, FFI_DEFAULT_ABI, (unsigned)ncif, ret->ffi, s->ffi_args);
  if (st != FFI_OK) {
    rtffi_fail(RT_FFI_ERR_LIBFFI, "libffi refused the signature (ffi_prep_cif status %d)", (int)st);
    free_sig(s);
    return NULL;
  }
  if (!rtffi_table_insert(&g_sigs, &s->entry)) goto no_memory;
  return s;

no_memory:
  rtffi_fail(RT_FFI_ERR_NO_MEMORY, "out of memory building a signature");
  free_sig(s);
  return NULL;
}

static const rt_ffi_sig* get_sig(const rt_ffi_type* ret, const rt_ffi_type* const* args,
                                 size_t nargs, size_t nfixed, bool variadic) {
  if (check_types(ret, args, nargs) != RT_FFI_OK) return NULL;
  uint64_t hash = hash_sig(ret, args, nargs, nfixed, variadic);
  pthread_mutex_lock(&rtffi_lock);
  rt_ffi_sig* s = find_sig(hash, ret, args, nargs, nfixed, variadic);
  if (s) {
    rtffi_stats.sig_hits++;
  } else {
    s = build_sig(hash, ret, args, nargs, nfixed, variadic);
    if (s) rtffi_stats.sigs_prepared++;
  }
  pthread_mutex_unlock(&rtffi_lock);
  return s;
}

const rt_ffi_sig* rt_ffi_sig_new(const rt_ffi_type* ret, const rt_ffi_type* const* args,
                                 size_t nargs) {
  return get_sig(ret, args, nargs, nargs, false);
}

const rt_ffi_sig* rt_ffi_sig_variadic(const rt_ffi_type* ret, const rt_ffi_type* const* args,
                                      size_t nfixed, size_t nargs) {
  if (nfixed > nargs) {
    rtffi_fail(RT_FFI_ERR_ARG_COUNT,
               "variadic signature with %zu named parameters but only %zu arguments", nfixed,
               nargs);
    return NULL;
  }
  return get_sig(ret, args, nargs, nfixed, true);
}

const rt_ffi_type* rt_ffi_sig_ret(const rt_ffi_sig* sig) { return sig ? sig->ret : NULL; }
size_t rt_ffi_sig_nargs(const rt_ffi_sig* sig) { return sig ? sig->nargs : 0; }
size_t rt_ffi_sig_nfixed(const rt_ffi_sig* sig) { return sig ? sig->nfixed : 0; }
bool rt_ffi_sig_is_variadic(const rt_ffi_sig* sig) { return sig && sig->variadic; }

const rt_ffi_type* rt_ffi_sig_arg(const rt_ffi_sig* sig, size_t i) {
  return sig && i < sig->nargs ? sig->args[i] : NULL;
}

rt_ffi_stats rt_ffi_get_stats(void) {
  pthread_mutex_lock(&rtffi_lock);
  rt_ffi_stats stats = rtffi_stats;
  pthread_mutex_unlock(&rtffi_lock);
  return stats;
}
