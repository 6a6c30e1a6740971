// The C test library of ABI cases (libfusion_ffi_cases.so): what CUDA, NCCL and libtorch APIs need
// from an FFI, and libffi's own testsuite categories. Every function is deterministic, so a call
// through the FFI engine can be checked against a direct C call.
#ifndef FUSION_TESTS_FFI_CASES_H
#define FUSION_TESTS_FFI_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// --- Scalars (cases_scalar.c) --------------------------------------------------------------------

// promotion: small integers sign- or zero-extended on the way in.
int32_t ffi_t_promotion(int8_t sc, int16_t ss, uint8_t uc, uint16_t us);
// Small integers on the way out: each keeps the low bits of `x`.
int8_t ffi_t_ret_s8(int32_t x);
uint8_t ffi_t_ret_u8(int32_t x);
int16_t ffi_t_ret_s16(int32_t x);
uint16_t ffi_t_ret_u16(int32_t x);
bool ffi_t_ret_bool(int32_t x);  // x != 0
bool ffi_t_not(bool b);
// negint
int32_t ffi_t_negint(int32_t a, int32_t b);
int64_t ffi_t_i64_inc(int64_t x);
// Identities of every primitive.
int8_t ffi_t_id_i8(int8_t x);
int16_t ffi_t_id_i16(int16_t x);
int32_t ffi_t_id_i32(int32_t x);
int64_t ffi_t_id_i64(int64_t x);
uint8_t ffi_t_id_u8(uint8_t x);
uint16_t ffi_t_id_u16(uint16_t x);
uint32_t ffi_t_id_u32(uint32_t x);
uint64_t ffi_t_id_u64(uint64_t x);
intptr_t ffi_t_id_isize(intptr_t x);
size_t ffi_t_id_usize(size_t x);
float ffi_t_id_f32(float x);
double ffi_t_id_f64(double x);
void* ffi_t_id_ptr(void* x);
const char* ffi_t_id_cstring(const char* x);
// many: more float arguments than xmm registers.
float ffi_t_many_f(float a0, float a1, float a2, float a3, float a4, float a5, float a6, float a7,
                   float a8, float a9, float a10, float a11, float a12);
double ffi_t_many_d(double a0, double a1, double a2, double a3, double a4, double a5, double a6,
                    double a7, double a8, double a9, double a10, double a11, double a12);
// More integer arguments than general-purpose registers.
int64_t ffi_t_many_i(int64_t a0, int64_t a1, int64_t a2, int64_t a3, int64_t a4, int64_t a5,
                     int64_t a6, int64_t a7, int64_t a8, int64_t a9);
// many_mixed: every primitive, both register files overflowing.
double ffi_t_many_mixed(int8_t a, uint8_t b, int16_t c, uint16_t d, int32_t e, uint32_t f,
                        int64_t g, uint64_t h, float i, double j, float k, double l, float m,
                        double n, float o, double p, float q, double r, bool s, void* t,
                        int32_t u, float v);
// Returns the whole register its argument came in: declared here with a 64-bit parameter, called
// through the engine with an 8/16/32-bit one, to see how the caller extended it.
uint64_t ffi_t_raw_register(uint64_t raw);
void ffi_t_void(void);
int32_t ffi_t_void_calls(void);  // how many times ffi_t_void ran

// --- Handles, out-parameters, errors, strings (cases_handle.c) ----------------------------------

typedef struct ffi_t_ctx ffi_t_ctx;  // opaque, like cudaStream_t or ncclComm_t
enum { FFI_T_SUCCESS = 0, FFI_T_ERR_INVALID = 1, FFI_T_ERR_NULL = 2, FFI_T_ERR_NOT_FOUND = 3 };

// Creates a context through a pointer-to-pointer; seed < 0 fails with FFI_T_ERR_INVALID and
// sets *out to NULL.
int32_t ffi_t_ctx_create(ffi_t_ctx** out, int32_t seed);
int32_t ffi_t_ctx_add(ffi_t_ctx* ctx, int64_t value);
int32_t ffi_t_ctx_get(const ffi_t_ctx* ctx, int64_t* out);  // out-parameter
int32_t ffi_t_ctx_destroy(ffi_t_ctx* ctx);
int32_t ffi_t_live_contexts(void);
const char* ffi_t_error_name(int32_t code);    // like cudaGetErrorName
const char* ffi_t_error_string(int32_t code);  // like cudaGetErrorString
int32_t ffi_t_get_version(int32_t* major, int32_t* minor);  // two out-parameters
const char* ffi_t_version_string(void);
// Strings in and out.
size_t ffi_t_strlen(const char* s);
// Writes `s` upper-cased into `out` (at most `cap` bytes with the NUL); returns strlen(s).
size_t ffi_t_upper(const char* s, char* out, size_t cap);
char* ffi_t_reverse_dup(const char* s);  // malloc'd; give back with ffi_t_free
void ffi_t_free(void* p);
// Allocates through a void** like cudaMalloc.
int32_t ffi_t_alloc(void** out, size_t bytes);

// --- Variadic functions (cases_varargs.c) --------------------------------------------------------

// float_va: `n` doubles (a float argument arrives promoted).
double ffi_t_va_sum_d(int32_t n, ...);
// `n` ints (8/16-bit and bool arguments arrive promoted to int).
int64_t ffi_t_va_sum_i(int32_t n, ...);
// va_1: one argument per character of `kinds`: 'i' int, 'u' unsigned, 'l' int64, 'd' double,
// 'p' pointer to int64 (its target counts), 's' ffi_t_s16pad by value, 'b' ffi_t_s24 by value.
// Returns the sum of the values weighted by position (1, 2, …).
double ffi_t_va_mixed(const char* kinds, ...);

// --- Structs and unions of many shapes (cases_struct.c) ------------------------------------------

typedef struct { uint8_t a; } ffi_t_s1;
typedef struct { int8_t a; uint8_t b; } ffi_t_s2;
typedef struct { uint8_t a, b, c; } ffi_t_s3;
typedef struct { int16_t a, b; } ffi_t_s4;
typedef struct { float a; } ffi_t_s4f;
typedef struct { int32_t a, b; } ffi_t_s8;
typedef struct { int32_t i; float f; } ffi_t_s8if;  // struct_int_float
typedef struct { float f; int32_t i; } ffi_t_s8fi;  // struct9
typedef struct { float a, b; } ffi_t_s8ff;
typedef struct { bool a, b; int16_t c; } ffi_t_sbool;
typedef struct { uint8_t b[5]; uint16_t h; } ffi_t_sarr8;
typedef struct { int32_t a, b, c; } ffi_t_s12;
typedef struct { float a, b, c; } ffi_t_s12f;  // struct_by_value_3f
typedef struct { int64_t a, b; } ffi_t_s16;
typedef struct { double a, b; } ffi_t_s16d;
typedef struct { float a, b, c, d; } ffi_t_s16f;  // struct8
typedef struct { double d; int64_t l; } ffi_t_s16dl;
typedef struct { int64_t l; double d; } ffi_t_s16ld;
typedef struct { char c; double d; } ffi_t_s16pad;
typedef struct { float v[3]; int32_t n; } ffi_t_s16arr;
typedef struct { const char* name; void* data; } ffi_t_sptr;
typedef struct { char c[17]; } ffi_t_s17;
typedef struct { uint8_t uc; double d; uint32_t ui; } ffi_t_s24;  // struct1
typedef struct { double a, b, c, d; } ffi_t_s32;
typedef struct { int64_t v[8]; } ffi_t_s64;                       // large_struct_by_value
typedef struct { float v[17]; } ffi_t_sbig;                       // struct_by_value_big
// nested_struct
typedef struct { float x, y; } ffi_t_vec2f;
typedef struct { ffi_t_vec2f pos; int32_t id; } ffi_t_nest;
typedef struct { uint8_t tag; struct { uint8_t a; float b; } in; } ffi_t_nest2;
typedef struct {
  struct { double d; } a;
  struct { struct { float f; } x; int32_t i; } b;
} ffi_t_nest3;
typedef struct { ffi_t_s12 inner[2]; int32_t n; } ffi_t_nest4;
// Unions, and a tagged union inside a struct.
typedef union { int64_t i; double d; } ffi_t_u8;
typedef union { float f; uint32_t bits; } ffi_t_uf;
typedef union { double d; float f[2]; } ffi_t_udf;
typedef union { float f[3]; int8_t c; } ffi_t_u12;
typedef union { double d[2]; float f[4]; } ffi_t_u16;
typedef union { double d[2]; int32_t i[4]; } ffi_t_u16i;
typedef union { double d[3]; int64_t i; } ffi_t_u24;
typedef struct { int32_t tag; union { float f; int32_t i; } val; } ffi_t_tagged;

// Every shape: X(name). For each, the library has
//   ffi_t_S  ffi_t_make_S(int32_t k)                  a value derived from k (returned by value)
//   double   ffi_t_sum_S(ffi_t_S v)                   its fields weighted by position (by value)
//   ffi_t_S  ffi_t_echo_S(ffi_t_S v)                  v back (in and out by value)
//   double   ffi_t_spill_S(5 × int64, 8 × double, ffi_t_S v, int32_t tail)
//                                                     v after the registers are nearly used up
//   double   ffi_t_sum_ptr_S(const ffi_t_S* p)        by pointer
//   void     ffi_t_fill_S(ffi_t_S* out, int32_t k)    out-parameter
//   double   ffi_t_call_with_S(ffi_t_sum_cb_S cb, void* ud, int32_t k)   cb(make(k), ud)
//   ffi_t_S  ffi_t_call_ret_S(ffi_t_make_cb_S cb, void* ud, int32_t k)   cb(k, ud)
#define FFI_T_SHAPES(X)                                                                          \
  X(s1) X(s2) X(s3) X(s4) X(s4f) X(s8) X(s8if) X(s8fi) X(s8ff) X(sbool) X(sarr8) X(s12) X(s12f)  \
  X(s16) X(s16d) X(s16f) X(s16dl) X(s16ld) X(s16pad) X(s16arr) X(sptr) X(s17) X(s24) X(s32)       \
  X(s64) X(sbig) X(nest) X(nest2) X(nest3) X(nest4) X(u8) X(uf) X(udf) X(u12) X(u16) X(u16i)     \
  X(u24) X(tagged)

#define FFI_T_DECLARE_SHAPE(S)                                                                   \
  typedef double (*ffi_t_sum_cb_##S)(ffi_t_##S v, void* ud);                                     \
  typedef ffi_t_##S (*ffi_t_make_cb_##S)(int32_t k, void* ud);                                   \
  ffi_t_##S ffi_t_make_##S(int32_t k);                                                           \
  double ffi_t_sum_##S(ffi_t_##S v);                                                             \
  ffi_t_##S ffi_t_echo_##S(ffi_t_##S v);                                                         \
  double ffi_t_spill_##S(int64_t a, int64_t b, int64_t c, int64_t d, int64_t e, double f0,       \
                         double f1, double f2, double f3, double f4, double f5, double f6,       \
                         double f7, ffi_t_##S v, int32_t tail);                                  \
  double ffi_t_sum_ptr_##S(const ffi_t_##S* p);                                                  \
  void ffi_t_fill_##S(ffi_t_##S* out, int32_t k);                                                \
  double ffi_t_call_with_##S(ffi_t_sum_cb_##S cb, void* ud, int32_t k);                          \
  ffi_t_##S ffi_t_call_ret_##S(ffi_t_make_cb_##S cb, void* ud, int32_t k);
FFI_T_SHAPES(FFI_T_DECLARE_SHAPE)

// many_small_structs: more small structs than registers.
double ffi_t_many_small(ffi_t_s1 a, ffi_t_s2 b, ffi_t_s3 c, ffi_t_s4 d, ffi_t_s1 e, ffi_t_s2 f,
                        ffi_t_s3 g, ffi_t_s4 h, ffi_t_s4f i, ffi_t_s8ff j, ffi_t_s4f k,
                        ffi_t_s8ff l, ffi_t_s4f m, ffi_t_s8ff n, ffi_t_s4f o, ffi_t_s8ff p,
                        ffi_t_s4f q);
// A struct in a variadic call's named part and a large struct returned (stret_large).
ffi_t_s64 ffi_t_stret_large(int32_t k, ffi_t_s32 scale);

// --- What CUDA and NCCL look like (cases_handle.c) ----------------------------------------------

typedef struct { char internal[128]; } ffi_t_unique_id;  // ncclUniqueId
typedef struct { uint32_t x, y, z; } ffi_t_dim3;         // dim3
typedef struct {                                        // a cudaDeviceProp-like out-parameter
  char name[256];
  size_t total_mem;
  int32_t major, minor;
  int32_t max_threads_dim[3];
  double clock_ghz;
} ffi_t_props;

int32_t ffi_t_get_unique_id(ffi_t_unique_id* out);  // ncclGetUniqueId
// ncclCommInitRank: the 128-byte id by value after a pointer-to-pointer and an int.
int32_t ffi_t_comm_init_rank(ffi_t_ctx** comm, int32_t nranks, ffi_t_unique_id id, int32_t rank);
// cudaLaunchKernel: two dim3 by value, then more pointers than registers remain.
int64_t ffi_t_launch(const void* func, ffi_t_dim3 grid, ffi_t_dim3 block, void** args,
                     size_t shared_mem, void* stream);
int32_t ffi_t_get_props(ffi_t_props* out, int32_t device);

// --- Callbacks (cases_callback.c) ----------------------------------------------------------------

// Calls cb(values[i], ud) for each value until it returns nonzero; returns how many were visited.
size_t ffi_t_foreach(const int32_t* values, size_t n, int32_t (*cb)(int32_t v, void* ud), void* ud);
// Calls cb(v, ud) on a new thread (which the FFI runtime did not create) and waits for it.
// Returns cb's result, or -1 when the thread could not be started.
int64_t ffi_t_call_in_thread(int64_t (*cb)(int64_t v, void* ud), void* ud, int64_t v);
// closure_fn0 / cls_many_mixed_float_double: a callback of many mixed arguments, called with
// values derived from k.
typedef double (*ffi_t_many_cb)(uint64_t a, int32_t b, uint8_t c, double d, float e, int16_t f,
                                uint16_t g, int8_t h, float i, double j, int64_t k, float l,
                                double m, float n, double o, float p, double q, bool r);
double ffi_t_call_many(ffi_t_many_cb cb, int32_t k);
double ffi_t_many_cb_direct(uint64_t a, int32_t b, uint8_t c, double d, float e, int16_t f,
                            uint16_t g, int8_t h, float i, double j, int64_t k, float l, double m,
                            float n, double o, float p, double q, bool r);
// Callbacks returning small integers: the result must arrive extended.
int32_t ffi_t_call_small_ret(int8_t (*s8)(void), uint8_t (*u8)(void), int16_t (*s16)(void),
                             uint16_t (*u16)(void), bool (*b)(void));

#ifdef __cplusplus
}
#endif
#endif
