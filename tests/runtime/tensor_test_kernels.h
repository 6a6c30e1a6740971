// Test kernels for the tensor_* runtime tests: hand-written C bodies of the kernel ABI in
// fusion/rt_tensor.h, standing in for the ones the compiler generates (the utility table: copy,
// arange, rand, combine; and a few groups: add, scale-and-add, and reductions of one f64 input),
// plus helpers to make tensors, read them back, capture output and run a child that must die.
#ifndef FUSION_TESTS_TENSOR_TEST_KERNELS_H
#define FUSION_TESTS_TENSOR_TEST_KERNELS_H

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fusion/rt_tensor.h"
#include "test_check.h"
#include "test_child.h"

static inline int64_t tk_index(const rt_gpu_thread* t) {
  return (int64_t)t->block_idx.x * t->block_dim.x + t->thread_idx.x;
}

// Operand k's element offset for linear index j of the descriptor's space.
static inline int64_t tk_offset(const int64_t* d, int k, int64_t j) {
  int64_t off = 0;
  for (int64_t a = d[0] - 1; a >= 0; a--) {
    int64_t n = d[1 + a];
    off += (j % n) * d[9 + 8 * k + a];
    j /= n;
  }
  return off;
}

// --- The utility table --------------------------------------------------------------------------

#define TK_UTILITY(T, SUFFIX)                                                                   \
  static void tk_copy_##SUFFIX(rt_gpu_thread* t, void* const* args) {                          \
    int64_t n = *(int64_t*)args[0], j = tk_index(t);                                           \
    const int64_t* d = *(int64_t**)args[1];                                                    \
    T* out = *(T**)args[2];                                                                    \
    const T* in = *(T**)args[3];                                                               \
    if (j < n) out[tk_offset(d, 0, j)] = in[tk_offset(d, 1, j)];                               \
  }                                                                                            \
  static void tk_arange_##SUFFIX(rt_gpu_thread* t, void* const* args) {                        \
    int64_t n = *(int64_t*)args[0], j = tk_index(t);                                           \
    T* out = *(T**)args[1];                                                                    \
    double start = *(double*)args[2], step = *(double*)args[3];                                \
    if (j < n) out[j] = (T)(start + (double)j * step);                                         \
  }                                                                                            \
  static const rt_gpu_kernel tk_k_copy_##SUFFIX = {.name = "test copy " #SUFFIX, .cpu = tk_copy_##SUFFIX}; \
  static const rt_gpu_kernel tk_k_arange_##SUFFIX = {.name = "test arange " #SUFFIX, .cpu = tk_arange_##SUFFIX};
TK_UTILITY(float, f32)
TK_UTILITY(double, f64)
TK_UTILITY(int32_t, i32)
TK_UTILITY(int64_t, i64)
TK_UTILITY(uint8_t, bool)

static inline uint64_t tk_mix(uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
static void tk_rand_f32(rt_gpu_thread* t, void* const* args) {
  int64_t n = *(int64_t*)args[0], j = tk_index(t);
  float* out = *(float**)args[1];
  uint64_t seed = *(uint64_t*)args[2];
  if (j < n) out[j] = (float)(tk_mix(seed ^ tk_mix((uint64_t)j)) >> 40) * 0x1p-24f;
}
static void tk_rand_f64(rt_gpu_thread* t, void* const* args) {
  int64_t n = *(int64_t*)args[0], j = tk_index(t);
  double* out = *(double**)args[1];
  uint64_t seed = *(uint64_t*)args[2];
  if (j < n) out[j] = (double)(tk_mix(seed ^ tk_mix((uint64_t)j)) >> 11) * 0x1p-53;
}
static const rt_gpu_kernel tk_k_rand_f32 = {.name = "test rand f32", .cpu = tk_rand_f32};
static const rt_gpu_kernel tk_k_rand_f64 = {.name = "test rand f64", .cpu = tk_rand_f64};

// Reductions of f64 values: one step of `op` (v, i: the kept value and its index).
static inline void tk_step(int op, double x, int64_t k, double* v, int64_t* i) {
  switch (op) {
    case RT_REDUCE_SUM:
    case RT_REDUCE_MEAN: *v += x; break;
    case RT_REDUCE_MAX:
    case RT_REDUCE_ARGMAX:
      if (*i < 0 || x > *v || (x == *v && k < *i)) *v = x, *i = k;
      break;
    default:
      if (*i < 0 || x < *v || (x == *v && k < *i)) *v = x, *i = k;
      break;
  }
}
static inline bool tk_is_arg(int op) { return op == RT_REDUCE_ARGMAX || op == RT_REDUCE_ARGMIN; }

// combine[op][f64](outer, parts, inner, div, pv, pi, out_v, out_i)
static inline void tk_combine(int op, rt_gpu_thread* t, void* const* args) {
  int64_t outer = *(int64_t*)args[0], parts = *(int64_t*)args[1], inner = *(int64_t*)args[2];
  int64_t div = *(int64_t*)args[3], q = tk_index(t);
  const double* pv = *(double**)args[4];
  const int64_t* pi = *(int64_t**)args[5];
  double* out_v = *(double**)args[6];
  int64_t* out_i = *(int64_t**)args[7];
  if (q >= outer * inner) return;
  int64_t c = q % inner, o = q / inner;
  double v = 0;
  int64_t i = -1;
  for (int64_t p = 0; p < parts; p++) {
    int64_t at = (o * parts + p) * inner + c;
    tk_step(op, pv[at], pi ? pi[at] : p, &v, &i);
  }
  if (op == RT_REDUCE_MEAN) v /= (double)div;
  if (tk_is_arg(op)) out_i[q] = i;
  else out_v[q] = v;
}
#define TK_COMBINE(OP, NAME)                                                                              \
  static void tk_combine_##NAME(rt_gpu_thread* t, void* const* args) { tk_combine(OP, t, args); }        \
  static const rt_gpu_kernel tk_k_combine_##NAME = {.name = "test combine " #NAME, .cpu = tk_combine_##NAME};
TK_COMBINE(RT_REDUCE_SUM, sum)
TK_COMBINE(RT_REDUCE_MAX, max)
TK_COMBINE(RT_REDUCE_MIN, min)
TK_COMBINE(RT_REDUCE_MEAN, mean)
TK_COMBINE(RT_REDUCE_ARGMAX, argmax)
TK_COMBINE(RT_REDUCE_ARGMIN, argmin)

static const rt_tensor_kernels tk_kernels = {
    .copy = {&tk_k_copy_f32, &tk_k_copy_f64, &tk_k_copy_i32, &tk_k_copy_i64, &tk_k_copy_bool},
    .arange = {&tk_k_arange_f32, &tk_k_arange_f64, &tk_k_arange_i32, &tk_k_arange_i64, &tk_k_arange_bool},
    .rand = {&tk_k_rand_f32, &tk_k_rand_f64, NULL, NULL, NULL},
    .combine = {[RT_REDUCE_SUM] = {[RT_DTYPE_F64] = &tk_k_combine_sum},
                [RT_REDUCE_MAX] = {[RT_DTYPE_F64] = &tk_k_combine_max},
                [RT_REDUCE_MIN] = {[RT_DTYPE_F64] = &tk_k_combine_min},
                [RT_REDUCE_MEAN] = {[RT_DTYPE_F64] = &tk_k_combine_mean},
                [RT_REDUCE_ARGMAX] = {[RT_DTYPE_F64] = &tk_k_combine_argmax},
                [RT_REDUCE_ARGMIN] = {[RT_DTYPE_F64] = &tk_k_combine_argmin}},
};

// --- Groups -------------------------------------------------------------------------------------

// Launches of each kind of group kernel, to check which variant the runner picked.
static _Atomic int64_t tk_flat_threads, tk_strided_threads, tk_partial_launches, tk_partial_threads;

// `add` (f64): out = in0 + in1.
static void tk_add_flat(rt_gpu_thread* t, void* const* args) {
  int64_t n = *(int64_t*)args[0], j = tk_index(t);
  double* out = *(double**)args[1];
  const double *a = *(double**)args[2], *b = *(double**)args[3];
  if (j >= n) return;
  atomic_fetch_add(&tk_flat_threads, 1);
  out[j] = a[j] + b[j];
}
static void tk_add_strided(rt_gpu_thread* t, void* const* args) {
  int64_t n = *(int64_t*)args[0], j = tk_index(t);
  const int64_t* d = *(int64_t**)args[1];
  double* out = *(double**)args[2];
  const double *a = *(double**)args[3], *b = *(double**)args[4];
  if (j >= n) return;
  atomic_fetch_add(&tk_strided_threads, 1);
  out[tk_offset(d, 0, j)] = a[tk_offset(d, 1, j)] + b[tk_offset(d, 2, j)];
}
static const rt_gpu_kernel tk_k_add_flat = {.name = "test add flat", .cpu = tk_add_flat};
static const rt_gpu_kernel tk_k_add_strided = {.name = "test add strided", .cpu = tk_add_strided};
static const rt_src_loc tk_add_loc = {"f.fu", 3, 9};
static const rt_tensor_node tk_add_nodes[] = {{{0, 1, -1}, "+", &tk_add_loc}};
static const rt_tensor_group tk_add = {
    .name = "f.fu:3:9", .n_in = 2, .n_nodes = 1, .out_dtype = RT_DTYPE_F64, .chain_dtype = RT_DTYPE_F64,
    .nodes = tk_add_nodes, .flat = &tk_k_add_flat, .strided = &tk_k_add_strided};

// `axpy` (f64): out = s0 * in0 + in1, s0 an f64 scalar: two nodes, the second reading the first.
static void tk_axpy_flat(rt_gpu_thread* t, void* const* args) {
  int64_t n = *(int64_t*)args[0], j = tk_index(t);
  double* out = *(double**)args[1];
  const double *x = *(double**)args[2], *y = *(double**)args[3];
  double s = *(double*)args[4];
  if (j < n) out[j] = s * x[j] + y[j];
}
static void tk_axpy_strided(rt_gpu_thread* t, void* const* args) {
  int64_t n = *(int64_t*)args[0], j = tk_index(t);
  const int64_t* d = *(int64_t**)args[1];
  double* out = *(double**)args[2];
  const double *x = *(double**)args[3], *y = *(double**)args[4];
  double s = *(double*)args[5];
  if (j < n) out[tk_offset(d, 0, j)] = s * x[tk_offset(d, 1, j)] + y[tk_offset(d, 2, j)];
}
static const rt_gpu_kernel tk_k_axpy_flat = {.name = "test axpy flat", .cpu = tk_axpy_flat};
static const rt_gpu_kernel tk_k_axpy_strided = {.name = "test axpy strided", .cpu = tk_axpy_strided};
static const rt_src_loc tk_mul_loc = {"g.fu", 7, 5}, tk_plus_loc = {"g.fu", 7, 11};
static const rt_tensor_node tk_axpy_nodes[] = {{{0, -1, -1}, "*", &tk_mul_loc}, {{2, 1, -1}, "+", &tk_plus_loc}};
static const rt_tensor_group tk_axpy = {
    .name = "g.fu:7:5", .n_in = 2, .n_scalar = 1, .n_nodes = 2, .out_dtype = RT_DTYPE_F64,
    .chain_dtype = RT_DTYPE_F64, .nodes = tk_axpy_nodes, .flat = &tk_k_axpy_flat, .strided = &tk_k_axpy_strided};

// Reductions of one f64 input (the chain is the input itself).
static inline void tk_partial(int op, bool flat, rt_gpu_thread* t, void* const* args) {
  int64_t outer = *(int64_t*)args[0], len = *(int64_t*)args[1], inner = *(int64_t*)args[2];
  int64_t parts = *(int64_t*)args[3], chunk = *(int64_t*)args[4], div = *(int64_t*)args[5];
  int a = 6;
  const int64_t* d = flat ? NULL : *(int64_t**)args[a++];
  double* pv = *(double**)args[a++];
  int64_t* pi = *(int64_t**)args[a++];
  const double* in = *(double**)args[a++];
  int64_t tid = tk_index(t);
  if (tid >= outer * inner * parts) return;
  if (tid == 0) atomic_fetch_add(&tk_partial_launches, 1);
  atomic_fetch_add(&tk_partial_threads, 1);
  int64_t p = tid % parts, q = tid / parts, c = q % inner, o = q / inner;
  double v = 0;
  int64_t i = -1;
  // Interleaved parts (chunk 0), or contiguous chunks (the CPU device's choice).
  int64_t k0 = chunk > 0 ? p * chunk : p, step = chunk > 0 ? 1 : parts;
  int64_t end = chunk > 0 && k0 + chunk < len ? k0 + chunk : len;
  for (int64_t k = k0; k < end; k += step) {
    int64_t j = (o * len + k) * inner + c;
    tk_step(op, in[flat ? j : tk_offset(d, 0, j)], k, &v, &i);
  }
  if (op == RT_REDUCE_MEAN && parts == 1) v /= (double)div;
  int64_t at = (o * parts + p) * inner + c;
  pv[at] = v;
  if (tk_is_arg(op)) pi[at] = i;
}

#define TK_REDUCE(OP, NAME, OUT)                                                                                \
  static void tk_partial_flat_##NAME(rt_gpu_thread* t, void* const* args) { tk_partial(OP, true, t, args); }   \
  static void tk_partial_strided_##NAME(rt_gpu_thread* t, void* const* args) { tk_partial(OP, false, t, args); } \
  static const rt_gpu_kernel tk_k_pf_##NAME = {.name = "test " #NAME " flat", .cpu = tk_partial_flat_##NAME};    \
  static const rt_gpu_kernel tk_k_ps_##NAME = {.name = "test " #NAME " strided", .cpu = tk_partial_strided_##NAME}; \
  static const rt_tensor_node tk_##NAME##_nodes[] = {{{0, -1, -1}, #NAME, NULL}};                               \
  static const rt_tensor_group tk_##NAME = {.name = #NAME,                                                       \
                                            .n_in = 1,                                                           \
                                            .n_nodes = 1,                                                        \
                                            .out_dtype = OUT,                                                    \
                                            .chain_dtype = RT_DTYPE_F64,                                         \
                                            .reduce = OP,                                                        \
                                            .nodes = tk_##NAME##_nodes,                                          \
                                            .partial_flat = &tk_k_pf_##NAME,                                     \
                                            .partial_strided = &tk_k_ps_##NAME};                                 \
  static const rt_tensor_group tk_##NAME##_keep = {.name = #NAME " keepdim",                                     \
                                                   .n_in = 1,                                                    \
                                                   .n_nodes = 1,                                                 \
                                                   .out_dtype = OUT,                                             \
                                                   .chain_dtype = RT_DTYPE_F64,                                  \
                                                   .reduce = OP,                                                 \
                                                   .keepdim = 1,                                                 \
                                                   .nodes = tk_##NAME##_nodes,                                   \
                                                   .partial_flat = &tk_k_pf_##NAME,                              \
                                                   .partial_strided = &tk_k_ps_##NAME};
TK_REDUCE(RT_REDUCE_SUM, sum, RT_DTYPE_F64)
TK_REDUCE(RT_REDUCE_MAX, max, RT_DTYPE_F64)
TK_REDUCE(RT_REDUCE_MIN, min, RT_DTYPE_F64)
TK_REDUCE(RT_REDUCE_MEAN, mean, RT_DTYPE_F64)
TK_REDUCE(RT_REDUCE_ARGMAX, argmax, RT_DTYPE_I64)
TK_REDUCE(RT_REDUCE_ARGMIN, argmin, RT_DTYPE_I64)

// --- Helpers ------------------------------------------------------------------------------------

// Every test runs on the CPU device with the test kernels registered.
static inline void tk_setup(void) {
  setenv("FUSION_DEVICE", "cpu", 1);
  rt_tensor_init(&tk_kernels);
}

static const rt_src_loc tk_here = {"test.fu", 1, 1};

static inline rt_tensor* tk_f64(int32_t rank, const int64_t* dims, const double* values) {
  return (rt_tensor*)rt_tensor_from_host(RT_DTYPE_F64, values, rank, dims, &tk_here);
}

// t's elements in row-major order (malloc'd, `numel` of its dtype).
static inline void* tk_host(const rt_tensor* t) {
  static const size_t sizes[] = {4, 8, 4, 8, 1};
  void* p = calloc(t->numel ? (size_t)t->numel : 1, sizes[t->dtype]);
  rt_tensor_to_host(t, p, &tk_here);
  return p;
}

// Whether t has shape `dims` (rank `rank`).
static inline bool tk_shape_is(const rt_tensor* t, int32_t rank, const int64_t* dims) {
  return t->rank == rank && memcmp(t->shape, dims, (size_t)rank * sizeof(int64_t)) == 0;
}

// What `fn(arg)` writes to stdout (into `out`, NUL-terminated).
static inline void tk_capture_stdout(void (*fn)(const void*), const void* arg, char* out, size_t size) {
  fflush(stdout);
  FILE* tmp = tmpfile();
  int saved = dup(1);
  dup2(fileno(tmp), 1);
  fn(arg);
  fflush(stdout);
  dup2(saved, 1);
  close(saved);
  rewind(tmp);
  size_t n = fread(out, 1, size - 1, tmp);
  out[n] = 0;
  fclose(tmp);
}

// `child` must end the program with exit code 101 and print `want`.
#define CHECK_DIES(child, want)                                                                        \
  do {                                                                                                 \
    char out_[8192];                                                                                   \
    int st_ = run_child(child, out_, sizeof out_);                                                  \
    CHECK(WIFEXITED(st_) && WEXITSTATUS(st_) == 101, "%s: status %d, output:\n%s", #child, st_, out_); \
    CHECK(strstr(out_, want) != NULL, "%s: no `%s` in:\n%s", #child, want, out_);                      \
  } while (0)

#endif
