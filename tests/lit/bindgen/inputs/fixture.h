// The bindgen fixture: one of every construct `fusion bindgen` translates, and of every one it
// cannot (golden.test compares the output with fixture.expected.fu; fixture_run.test runs it).
#ifndef FIXTURE_H
#define FIXTURE_H
#include <stddef.h>
#include <stdint.h>

// #define constants: integers, expressions of other macros, casts, sizeof, floats, strings.
#define FX_VERSION 1203
#define FX_MAJOR (FX_VERSION / 1000)
#define FX_FLAG_A (1u << 3)
#define FX_MASK (FX_FLAG_A | 0x10)
#define FX_PI 3.14159
#define FX_HALF 0.5f
#define FX_NAME "fixture\n"
#define FX_JOINED "fix" "ture"
#define FX_SIZE sizeof(struct fx_point)
#define FX_NEG (-42)
#define FX_BIG 0xffffffffffffffffULL
#define FX_CAST ((int)3.7)
// What cannot be translated, each listed with its reason.
#define FX_MAX(a, b) ((a) > (b) ? (a) : (b))
#define FX_CALL fx_add(1, 2)
#define FX_INF (1.0 / 0.0)
#define FX_GUARD
#define _FX_RESERVED 1
// A macro that renames a function, as cuda.h's `#define cuMemAlloc cuMemAlloc_v2`.
#define fx_old_add fx_add
// A function declared through its macro (GMP's `#define mpz_fdiv_q __gmpz_fdiv_q`), and a macro
// that names that macro (`#define mpz_div mpz_fdiv_q`): both are the function, under its symbol.
#define fx_mul __fx_mul
#define fx_times fx_mul
// A macro naming a function that is not translated says so.
#define fx_old_ld fx_ldfn

struct fx_point { double x, y; };
typedef struct fx_point fx_point;
typedef struct { int a; char tag[4]; } fx_anon_t;
struct fx_opaque;
typedef struct fx_opaque* fx_handle;
union fx_value { int64_t i; double d; unsigned char bytes[8]; };
enum fx_color { FX_RED, FX_GREEN = 5, FX_BLUE };
typedef enum { FX_SMALL = -1, FX_LARGE = 1 } fx_size_t;
enum { FX_ANON_A = 7, FX_ANON_B };
typedef int (*fx_cb)(void* user, int value);
typedef void fx_fn_t(int);
struct fx_nested {
  int kind;
  union { int i; float f; };
  struct { short a, b; } pair;
  struct fx_inner { int z; } inner;
};
struct fx_bits { unsigned a : 3; signed b : 5; unsigned c : 12; char d; uint64_t wide : 40; int e : 7; };
struct fx_flex { size_t n; double data[]; };
struct fx_ld { int x; long double y; };
struct type { int fn; int in; };
int stat(const char* path);
struct stat { long size; };
struct fx_aligned { int x; } __attribute__((aligned(16)));
struct fx_packed { char c; int x; } __attribute__((packed));
typedef float fx_v4 __attribute__((vector_size(16)));
static const int fx_const = 5;
extern int fx_counter;

int fx_add(int a, int b);
int fx_mul(int a, int b);
int fx_sum(int n, ...);
double fx_len(fx_point p);
int fx_each(fx_cb cb, void* user, fx_fn_t* fn);
fx_handle fx_open(const char* name, size_t n, char* buf);
int fx_type(int type, int fn);
int fx_first(const int values[4]);
int fx_nothing();
struct fx_bits fx_make_bits(unsigned a, int b, unsigned c, uint64_t wide, int e);
int fx_check_bits(const struct fx_bits* bits, unsigned a, int b, unsigned c, uint64_t wide, int e);
static inline int fx_inline(int x) { return x + 1; }
long double fx_ldfn(long double x);
void fx_vec(fx_v4 v);
// Found by review: array typedefs as parameters, C names that are Fusion type names, made-up
// names that C already uses, packing by pragma, typed macro constants, `_Bool` bit-fields,
// forward-declared enums, parameter names that clash once glibc's underscores go.
typedef int fx_vec4[4];
int fx_vec_sum(fx_vec4 v);
typedef int i32;
struct fx_s { struct { int a; } t; };
struct fx_s_t { i32 b; };
struct fx_clash { union { int i; }; int anon0; int _pad0; char c; double d __attribute__((aligned(16))); };
#pragma pack(4)
struct fx_pack4 { double d; int x; };
#pragma pack()
struct __attribute__((packed)) fx_pbit { unsigned char c : 4; unsigned long long x : 62; };
#define FX_GREEN_TOO ((enum fx_color)5)
#define FX_YES ((_Bool)1)
#define FX_CHAR ((char)-1)
static const size_t fx_count = 5;
struct fx_flags { _Bool on : 1; int n; };
enum fx_later;
void fx_use_later(enum fx_later* p);
int fx_params(int __x, int x, int, int arg2);
// Variadic function pointers (libxml2's SAX and error callbacks): `*void`, as a typedef, a field
// written in place and a parameter, so the record and the functions that use them keep theirs.
typedef void (*fx_log_fn)(void* ctx, const char* fmt, ...);
struct fx_logger { fx_log_fn log; int (*warn)(const char* fmt, ...); void* ctx; };
int fx_log_with(const struct fx_logger* logger, int value);
void fx_set_log(fx_log_fn fn, void* ctx);
#endif
