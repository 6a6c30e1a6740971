// Private to runtime/src/ffi: the descriptor structures, the cache lock and error reporting.
// Names shared between this module's files start with `rtffi_` (hidden by -fvisibility=hidden,
// and apart from libffi's own `ffi_` names).
#ifndef FUSION_RT_FFI_INTERNAL_H
#define FUSION_RT_FFI_INTERNAL_H

#include <ffi.h>
#include <pthread.h>

#include "fusion/rt_ffi.h"

// A link in an intern table (rtffi_table), embedded as the first member of what the table
// holds, so a pointer to it is a pointer to the descriptor.
typedef struct rtffi_entry {
  uint64_t hash;
  struct rtffi_entry* next;  // the bucket's chain
} rtffi_entry;

// A chained hash table keyed by hash; callers compare their own keys along the chain.
typedef struct rtffi_table {
  rtffi_entry** buckets;
  size_t nbuckets, count;
} rtffi_table;

// The chain of entries that may have `hash` (follow ->next; compare ->hash), or NULL.
// Caller holds rtffi_lock.
rtffi_entry* rtffi_table_chain(const rtffi_table* table, uint64_t hash);
// Adds `e`, whose hash is set; false when out of memory. Caller holds rtffi_lock.
bool rtffi_table_insert(rtffi_table* table, rtffi_entry* e);

struct rt_ffi_type {
  rtffi_entry entry;  // first: the intern table's link
  rt_ffi_kind kind;
  size_t size, align;
  size_t count;                 // struct/union members, array elements
  const rt_ffi_type* elem;      // array element; pointer's pointee (NULL: void*)
  const rt_ffi_type** members;  // struct/union members (owned)
  size_t* offsets;              // struct member offsets (owned; NULL for unions)
  int nclasses;                 // as rt_ffi_type_classify returns
  rt_ffi_class classes[2];
  ffi_type* ffi;            // what libffi is given; NULL when not passable (arrays)
  ffi_type ffi_aggregate;   // an aggregate's ffi_type (ffi points here)
  ffi_type** ffi_elements;  // its element list (owned, NULL-terminated)
};

struct rt_ffi_sig {
  rtffi_entry entry;  // first: the intern table's link
  const rt_ffi_type* ret;
  const rt_ffi_type** args;  // as declared (owned)
  size_t nargs, nfixed;
  bool variadic;
  bool widen_ret;  // an integer return narrower than ffi_arg (libffi writes 8 bytes)
  bool slow;       // rt_ffi_call must take its careful path (widen, promote or split)
  size_t npromote;
  uint32_t* promote;    // indices of variadic arguments to promote (owned)
  // The argument libffi is given as two scalars (uint64, double) instead of one aggregate, or -1;
  // see split_index in ffi_sig.c. The cif then has nargs + 1 arguments.
  int split;
  ffi_type** ffi_args;  // the cif's argument types, promoted and split (owned)
  ffi_cif cif;
};

// Guards the intern tables and the statistics.
extern pthread_mutex_t rtffi_lock;
extern rt_ffi_stats rtffi_stats;

// Records a failure for rt_ffi_last_error/status and returns `status`.
__attribute__((format(printf, 2, 3))) rt_ffi_status rtffi_fail(rt_ffi_status status,
                                                               const char* fmt, ...);

// Mixes `value` into a running hash.
static inline uint64_t rtffi_hash_mix(uint64_t h, uint64_t value) {
  h ^= value + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdull;
}

// Reads the integer of small-integer `kind` (see rtffi_is_small_int) at `p`, sign- or
// zero-extended as its type says (a bool is 0 or 1).
int64_t rtffi_load_small_int(rt_ffi_kind kind, const void* p);

// Whether `kind` is an integer narrower than 64 bits (bool included): extended to a register.
static inline bool rtffi_is_small_int(rt_ffi_kind kind) {
  return kind == RT_FFI_BOOL || kind == RT_FFI_I8 || kind == RT_FFI_I16 || kind == RT_FFI_I32 ||
         kind == RT_FFI_U8 || kind == RT_FFI_U16 || kind == RT_FFI_U32;
}

#endif
