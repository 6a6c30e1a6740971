// The libffi engine: C type and signature descriptors built at run time, calls and closures.
#ifndef FUSION_RT_FFI_H
#define FUSION_RT_FFI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fusion/rt_types.h"

#ifdef __cplusplus
extern "C" {
#endif

// The kinds of C types (x86-64 SysV). The last three are C types the engine knows and refuses.
typedef enum rt_ffi_kind {
  RT_FFI_VOID,  // return type only
  RT_FFI_BOOL,  // _Bool, 1 byte
  RT_FFI_I8,
  RT_FFI_I16,
  RT_FFI_I32,
  RT_FFI_I64,
  RT_FFI_U8,
  RT_FFI_U16,
  RT_FFI_U32,
  RT_FFI_U64,
  RT_FFI_ISIZE,  // intptr_t
  RT_FFI_USIZE,  // size_t
  RT_FFI_F32,
  RT_FFI_F64,
  RT_FFI_POINTER,  // any T*, function pointers included
  RT_FFI_CSTRING,  // const char*, NUL-terminated
  RT_FFI_STRUCT,
  RT_FFI_UNION,
  RT_FFI_ARRAY,        // T[N]: a struct or union member, or an array element; never passed by value
  RT_FFI_LONG_DOUBLE,  // refused: see docs/abi.md
  RT_FFI_I128,         // refused
  RT_FFI_U128,         // refused
  RT_FFI_KIND_COUNT
} rt_ffi_kind;

// What failed. Functions returning a pointer return NULL and leave the status and message for
// rt_ffi_last_status()/rt_ffi_last_error(); rt_ffi_call returns it.
typedef enum rt_ffi_status {
  RT_FFI_OK = 0,
  RT_FFI_ERR_NULL,         // a required pointer is NULL: function, signature, type, handler, args
  RT_FFI_ERR_ARG_COUNT,    // the argument count does not match the signature
  RT_FFI_ERR_UNSUPPORTED,  // a C type or use the engine refuses (long double, array by value, …)
  RT_FFI_ERR_INVALID,      // a malformed descriptor (struct with zero fields, void member, …)
  RT_FFI_ERR_NO_MEMORY,
  RT_FFI_ERR_LIBFFI,  // libffi refused a prepared signature (a bug in the engine)
} rt_ffi_status;

// Register classes of an eightbyte (SysV AMD64 ABI §3.2.3).
typedef enum rt_ffi_class {
  RT_FFI_CLASS_INTEGER = 1,  // a general-purpose register
  RT_FFI_CLASS_SSE = 2,      // an xmm register
} rt_ffi_class;

// Descriptors are interned: building the same type or signature twice gives the same pointer.
// They are immutable, safe to share between threads, and live until the program exits.
typedef struct rt_ffi_type rt_ffi_type;
typedef struct rt_ffi_sig rt_ffi_sig;
typedef struct rt_ffi_closure rt_ffi_closure;

// The most arguments a signature may have.
#define RT_FFI_MAX_ARGS 256

// --- Types ---------------------------------------------------------------------------------------

// The descriptor of a primitive kind (RT_FFI_VOID … RT_FFI_CSTRING). NULL for the refused kinds
// (status RT_FFI_ERR_UNSUPPORTED, the message says why) and for the composite kinds (INVALID).
RT_API const rt_ffi_type* rt_ffi_type_prim(rt_ffi_kind kind);

// `pointee*`; `pointee` NULL means `void*`. Every pointer has pointer ABI; the pointee is kept for
// rt_ffi_type_elem and rt_ffi_type_format.
RT_API const rt_ffi_type* rt_ffi_type_pointer(const rt_ffi_type* pointee);

// `elem[count]`, count > 0, elem not void.
RT_API const rt_ffi_type* rt_ffi_type_array(const rt_ffi_type* elem, size_t count);

// A C struct or union of the given members, in order, laid out as a C compiler does: each member
// at the next multiple of its alignment, the size rounded up to the largest alignment. At least
// one member; members are not void. `members` is copied.
RT_API const rt_ffi_type* rt_ffi_type_struct(const rt_ffi_type* const* members, size_t count);
RT_API const rt_ffi_type* rt_ffi_type_union(const rt_ffi_type* const* members, size_t count);

// Queries. A NULL `t` (a failed build) answers void's size and alignment, 0 members, no element,
// offset 0, and classification -1.
RT_API rt_ffi_kind rt_ffi_type_kind(const rt_ffi_type* t);
RT_API size_t rt_ffi_type_size(const rt_ffi_type* t);   // sizeof; 0 for void
RT_API size_t rt_ffi_type_align(const rt_ffi_type* t);  // _Alignof; 1 for void
// Members of a struct or union, elements of an array; 0 for other kinds.
RT_API size_t rt_ffi_type_count(const rt_ffi_type* t);
// Member `i` of a struct or union, the element type of an array (any `i`), the pointee of a
// pointer (NULL for void*); NULL otherwise or when `i` is out of range.
RT_API const rt_ffi_type* rt_ffi_type_elem(const rt_ffi_type* t, size_t i);
// offsetof member `i` of a struct, 0 for a union member, i * element size for an array.
RT_API size_t rt_ffi_type_offset(const rt_ffi_type* t, size_t i);
// How a value of type `t` is passed as an argument or returned: fills `classes` with the class of
// each eightbyte and returns how many (1 or 2); returns 0 when it goes by memory (aggregates over
// 16 bytes), -1 when it cannot be passed by value at all (void, arrays).
RT_API int rt_ffi_type_classify(const rt_ffi_type* t, rt_ffi_class classes[2]);
// Writes `t` as text (`i32`, `*f64`, `[u8; 16]`, `{i32, f64}`, `union {i64, f64}`) like snprintf:
// returns the full length, writes at most `size` bytes including the NUL.
RT_API size_t rt_ffi_type_format(const rt_ffi_type* t, char* buf, size_t size);

// --- Signatures ----------------------------------------------------------------------------------

// `ret (args[0], …, args[nargs-1])`, prepared for libffi once (the ffi_cif is cached in the
// signature). `ret` may be void; arguments may not be void or arrays. NULL on error.
RT_API const rt_ffi_sig* rt_ffi_sig_new(const rt_ffi_type* ret, const rt_ffi_type* const* args,
                                        size_t nargs);

// A call to a variadic function: `nfixed` named parameters followed by `nargs - nfixed` variadic
// arguments of the given types (one signature per combination of variadic argument types, as in
// C). The C default argument promotions are applied by rt_ffi_call: an f32 goes as f64, a bool or
// 8/16-bit integer as a 32-bit int, so args[i] still points to a value of the declared type.
RT_API const rt_ffi_sig* rt_ffi_sig_variadic(const rt_ffi_type* ret, const rt_ffi_type* const* args,
                                             size_t nfixed, size_t nargs);

// Queries; a NULL `sig` answers NULL, 0 or false.
RT_API const rt_ffi_type* rt_ffi_sig_ret(const rt_ffi_sig* sig);
RT_API size_t rt_ffi_sig_nargs(const rt_ffi_sig* sig);
RT_API const rt_ffi_type* rt_ffi_sig_arg(const rt_ffi_sig* sig, size_t i);  // NULL out of range
// The number of named parameters of a variadic signature; rt_ffi_sig_nargs for a fixed one.
RT_API size_t rt_ffi_sig_nfixed(const rt_ffi_sig* sig);
RT_API bool rt_ffi_sig_is_variadic(const rt_ffi_sig* sig);

// --- Calls ---------------------------------------------------------------------------------------

// Calls `fn` as a C function of signature `sig`. args[i] points to the value of argument i (of the
// type the signature gives it); `nargs` must equal rt_ffi_sig_nargs(sig). `ret` points to storage
// for the return type (size and alignment of rt_ffi_sig_ret(sig)), or is NULL to discard it;
// never more than that size is written. Thread-safe. Returns RT_FFI_OK, or an error with nothing
// called: RT_FFI_ERR_NULL (sig, fn, or args with nargs > 0), RT_FFI_ERR_ARG_COUNT.
RT_API rt_ffi_status rt_ffi_call(const rt_ffi_sig* sig, void* fn, void* const* args, size_t nargs,
                                 void* ret);

// --- Closures ------------------------------------------------------------------------------------

// Called when C calls a closure: args[i] points to argument i (of the signature's type); `ret`
// points to zeroed storage for the return value (NULL for void) that the handler fills.
typedef void (*rt_ffi_handler)(const rt_ffi_sig* sig, void* ret, void* const* args, void* userdata);

// A C function pointer (rt_ffi_closure_fn) of signature `sig` that calls `handler` with
// `userdata`. Callable from any thread, including threads the runtime did not create, until
// rt_ffi_closure_free. Any number may exist. Variadic signatures are refused (UNSUPPORTED).
RT_API rt_ffi_closure* rt_ffi_closure_new(const rt_ffi_sig* sig, rt_ffi_handler handler,
                                          void* userdata);
RT_API void* rt_ffi_closure_fn(const rt_ffi_closure* closure);
// Frees the closure; its function pointer must not be called afterwards. NULL is ignored.
RT_API void rt_ffi_closure_free(rt_ffi_closure* closure);

// --- Errors and statistics -----------------------------------------------------------------------

// This thread's last failure in this module: a message ("" if none), valid until the thread's
// next failure, and its status.
RT_API const char* rt_ffi_last_error(void);
RT_API rt_ffi_status rt_ffi_last_status(void);

// Counters of the descriptor caches, since the program started (all threads).
typedef struct rt_ffi_stats {
  uint64_t types_built;    // composite type descriptors created
  uint64_t type_hits;      // composite type requests answered from the cache
  uint64_t sigs_prepared;  // signatures created, each with one ffi_prep_cif
  uint64_t sig_hits;       // signature requests answered from the cache (no ffi_prep_cif)
  uint64_t closures_live;  // closures created and not yet freed
} rt_ffi_stats;
RT_API rt_ffi_stats rt_ffi_get_stats(void);

#ifdef __cplusplus
}
#endif
#endif
