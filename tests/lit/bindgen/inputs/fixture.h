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
#endif
