// Matrix products (rt_tensor_matmul), NumPy's matmul for ranks 1 and 2, f32, f64, f16 and bf16
// (these two accumulated in f32, rounded once): on the CPU
// device a cache-blocked loop over tiles of the result, run on the CPU device's worker pool; on a
// CUDA device cuBLAS (opened with dlopen on first use), one handle per device.
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fusion/rt_dl.h"
#include "tensor_internal.h"

// --- The CPU device -----------------------------------------------------------------------------

// C[m][n] = A[m][k] * B[k][n], row-major and contiguous; each launch thread (one per block) makes
// one TILE_M x TILE_N tile of C, in steps of TILE_K along k so that the rows of B it reads stay in
// cache; the innermost loop runs along a row of B and of C, which the compiler vectorises.
enum { TILE_M = 32, TILE_N = 256, TILE_K = 128 };

typedef struct matmul_job {
  const void* a;
  const void* b;
  void* c;
  int64_t m, n, k;
} matmul_job;

#define MATMUL_TILE(T)                                                                              \
  static void tile_##T(const matmul_job* job, int64_t i0, int64_t j0) {                            \
    const T* a = job->a;                                                                            \
    const T* b = job->b;                                                                            \
    T* c = job->c;                                                                                  \
    int64_t n = job->n, k = job->k;                                                                 \
    int64_t i1 = i0 + TILE_M < job->m ? i0 + TILE_M : job->m, j1 = j0 + TILE_N < n ? j0 + TILE_N : n; \
    for (int64_t i = i0; i < i1; i++)                                                               \
      for (int64_t j = j0; j < j1; j++) c[i * n + j] = 0;                                           \
    for (int64_t k0 = 0; k0 < k; k0 += TILE_K) {                                                    \
      int64_t k1 = k0 + TILE_K < k ? k0 + TILE_K : k;                                               \
      for (int64_t i = i0; i < i1; i++) {                                                           \
        T* restrict crow = c + i * n;                                                               \
        for (int64_t p = k0; p < k1; p++) {                                                         \
          T av = a[i * k + p];                                                                      \
          const T* restrict brow = b + p * n;                                                       \
          for (int64_t j = j0; j < j1; j++) crow[j] += av * brow[j];                                \
        }                                                                                           \
      }                                                                                             \
    }                                                                                               \
  }
MATMUL_TILE(float)
MATMUL_TILE(double)

static void matmul_f32_thread(rt_gpu_thread* t, void* const* args) {
  tile_float(*(const matmul_job* const*)args[0], (int64_t)t->block_idx.y * TILE_M, (int64_t)t->block_idx.x * TILE_N);
}
static void matmul_f64_thread(rt_gpu_thread* t, void* const* args) {
  tile_double(*(const matmul_job* const*)args[0], (int64_t)t->block_idx.y * TILE_M, (int64_t)t->block_idx.x * TILE_N);
}

// Not generated code: the runtime's own host loops, run by the CPU executor as one-thread blocks.
static const rt_gpu_kernel k_matmul_f32 = {.name = "tensor matmul (f32, CPU)", .cpu = matmul_f32_thread};
static const rt_gpu_kernel k_matmul_f64 = {.name = "tensor matmul (f64, CPU)", .cpu = matmul_f64_thread};

// f16 and bf16: the operands widened to f32 (exactly), multiplied as f32 (the same loop and order),
// and each result rounded once to the half type; the CPU device's memory is the host's.
static float* widen_to_f32(const void* src, int64_t count, bool bf, rt_loc loc) {
  float* w = malloc((size_t)(count ? count : 1) * sizeof(float));
  if (!w) rtt_panic(loc, "matmul: out of memory for %" PRId64 " f32 values", count);
  const uint16_t* h = src;
  for (int64_t i = 0; i < count; i++) w[i] = rtt_half_to_f32(h[i], bf);
  return w;
}

static void matmul_cpu(rt_gpu_device* d, const matmul_job* job, bool f64, rt_loc loc);

static void matmul_cpu_half(rt_gpu_device* d, const matmul_job* job, bool bf, rt_loc loc) {
  float* a = widen_to_f32(job->a, job->m * job->k, bf, loc);
  float* b = widen_to_f32(job->b, job->k * job->n, bf, loc);
  float* c = malloc((size_t)(job->m * job->n) * sizeof(float));
  if (!c) rtt_panic(loc, "matmul: out of memory for %" PRId64 " f32 values", job->m * job->n);
  matmul_job wide = {a, b, c, job->m, job->n, job->k};
  matmul_cpu(d, &wide, false, loc);  // synchronous: the CPU device's launch returns when done
  uint16_t* out = job->c;
  for (int64_t i = 0; i < job->m * job->n; i++) out[i] = rtt_f32_to_half(c[i], bf);
  free(a);
  free(b);
  free(c);
}

static void matmul_cpu(rt_gpu_device* d, const matmul_job* job, bool f64, rt_loc loc) {
  int64_t tiles_n = (job->n + TILE_N - 1) / TILE_N, tiles_m = (job->m + TILE_M - 1) / TILE_M;
  if (tiles_n > UINT32_MAX || tiles_m > 65535) rtt_panic(loc, "matmul: the result is too large");
  const matmul_job* jp = job;
  void* args[] = {&jp};
  rt_gpu_launch l = {.kernel = f64 ? &k_matmul_f64 : &k_matmul_f32,
                     .grid = {(uint32_t)tiles_n, (uint32_t)tiles_m, 1},
                     .block = {1, 1, 1},
                     .args = args,
                     .loc = loc};
  if (d->launch(d, &l)) rtt_panic(loc, "matmul on the CPU device failed: %s", rt_gpu_last_error());
}

// --- cuBLAS -------------------------------------------------------------------------------------

enum { CUBLAS_OP_N = 0, MAX_DEVICES = 64 };
typedef int (*create_fn)(void** handle);
typedef int (*set_stream_fn)(void* handle, void* stream);
typedef int (*sgemm_fn)(void* h, int ta, int tb, int m, int n, int k, const float* alpha, const float* a, int lda,
                        const float* b, int ldb, const float* beta, float* c, int ldc);
typedef int (*dgemm_fn)(void* h, int ta, int tb, int m, int n, int k, const double* alpha, const double* a, int lda,
                        const double* b, int ldb, const double* beta, double* c, int ldc);
// cublasGemmEx: typed operands (cudaDataType) and a compute type (cublasComputeType_t).
typedef int (*gemm_ex_fn)(void* h, int ta, int tb, int m, int n, int k, const void* alpha, const void* a, int a_type,
                          int lda, const void* b, int b_type, int ldb, const void* beta, void* c, int c_type, int ldc,
                          int compute, int algo);
enum { CUDA_R_16F = 2, CUDA_R_16BF = 14, CUBLAS_COMPUTE_32F = 68, CUBLAS_GEMM_DEFAULT = -1 };

static struct {
  bool tried;
  char error[1536];
  create_fn create;
  set_stream_fn set_stream;
  sgemm_fn sgemm;
  dgemm_fn dgemm;
  gemm_ex_fn gemm_ex;  // NULL when the library has none (only f16/bf16 need it)
  char path[512];
  rt_gpu_device* devices[MAX_DEVICES];  // the handle of devices[i] is handles[i]
  void* handles[MAX_DEVICES];
} g_cublas;

// Opens cuBLAS: FUSION_CUBLAS when set (a name or a path, alone), else libcublas.so.13, then
// libcublas.so, each where rt_dl_open looks (the -L and FUSION_LIBRARY_PATH directories, the
// loader's path, $CUDA_HOME/lib64, /usr/local/cuda/lib64).
static bool load_cublas(void) {
  if (g_cublas.tried) return g_cublas.sgemm != NULL;
  g_cublas.tried = true;
  const char* names[] = {"libcublas.so.13", "libcublas.so"};
  size_t count = 2;
  const char* env = getenv("FUSION_CUBLAS");
  if (env && *env) names[0] = env, count = 1;
  rt_dl_lib* lib = NULL;
  int used = snprintf(g_cublas.error, sizeof g_cublas.error,
                      "cannot load cuBLAS for matmul on a CUDA device (FUSION_CUBLAS names the library); tried:");
  for (size_t i = 0; i < count && !lib; i++) {
    lib = rt_dl_open(names[i]);
    if (!lib && used < (int)sizeof g_cublas.error)
      used += snprintf(g_cublas.error + used, sizeof g_cublas.error - (size_t)used, "\n  %s", rt_dl_last_error());
  }
  if (!lib) return false;
  void* syms[4];
  static const char* const sym_names[] = {"cublasCreate_v2", "cublasSetStream_v2", "cublasSgemm_v2", "cublasDgemm_v2"};
  for (int i = 0; i < 4; i++)
    if (!(syms[i] = rt_dl_sym(lib, sym_names[i]))) {
      snprintf(g_cublas.error, sizeof g_cublas.error, "cuBLAS (%s) has no `%s`", rt_dl_path(lib), sym_names[i]);
      return false;
    }
  memcpy(&g_cublas.create, &syms[0], sizeof(void*));
  memcpy(&g_cublas.set_stream, &syms[1], sizeof(void*));
  memcpy(&g_cublas.dgemm, &syms[3], sizeof(void*));
  void* ex = rt_dl_sym(lib, "cublasGemmEx");
  memcpy(&g_cublas.gemm_ex, &ex, sizeof(void*));
  snprintf(g_cublas.path, sizeof g_cublas.path, "%s", rt_dl_path(lib));
  memcpy(&g_cublas.sgemm, &syms[2], sizeof(void*));  // last: its presence says all are there
  return true;
}

// The handle of device `d`, made on first use while d's context is current (the output's
// allocation has just made it so), bound to the default stream.
static void* cublas_handle(rt_gpu_device* d, rt_loc loc) {
  if (!load_cublas()) rtt_panic(loc, "%s", g_cublas.error);
  int free_slot = -1;
  for (int i = 0; i < MAX_DEVICES; i++) {
    if (g_cublas.devices[i] == d) return g_cublas.handles[i];
    if (!g_cublas.devices[i] && free_slot < 0) free_slot = i;
  }
  if (free_slot < 0) rtt_panic(loc, "matmul: cuBLAS handles for more than %d devices", MAX_DEVICES);
  void* h = NULL;
  int status = g_cublas.create(&h);
  if (status) rtt_panic(loc, "matmul: cublasCreate on %s failed (cuBLAS status %d)", d->name, status);
  if ((status = g_cublas.set_stream(h, NULL)))
    rtt_panic(loc, "matmul: cublasSetStream failed (cuBLAS status %d)", status);
  g_cublas.devices[free_slot] = d;
  g_cublas.handles[free_slot] = h;
  return h;
}

// Row-major C = A B is column-major C^T = B^T A^T: cuBLAS gets B as the left operand.
// f16 and bf16 (dtype) go through cublasGemmEx with f32 accumulation (CUBLAS_COMPUTE_32F): the
// result is rounded to the half type once.
static void matmul_cublas(rt_gpu_device* d, const matmul_job* job, int32_t dtype, rt_loc loc) {
  if (job->m > INT32_MAX || job->n > INT32_MAX || job->k > INT32_MAX)
    rtt_panic(loc, "matmul: a dimension over %d is more than cuBLAS's 32-bit interface takes", INT32_MAX);
  void* h = cublas_handle(d, loc);
  int m = (int)job->m, n = (int)job->n, k = (int)job->k;
  int status;
  bool f64 = dtype == RT_DTYPE_F64;
  if (dtype == RT_DTYPE_F16 || dtype == RT_DTYPE_BF16) {
    if (!g_cublas.gemm_ex) rtt_panic(loc, "matmul of %s: cuBLAS (%s) has no `cublasGemmEx`", rtt_dtype_name(dtype), g_cublas.path);
    int type = dtype == RT_DTYPE_F16 ? CUDA_R_16F : CUDA_R_16BF;
    float one = 1, zero = 0;
    status = g_cublas.gemm_ex(h, CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, &one, job->b, type, n, job->a, type, k, &zero, job->c,
                              type, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    if (status) rtt_panic(loc, "matmul: cublasGemmEx (%s) failed (cuBLAS status %d)", rtt_dtype_name(dtype), status);
    return;
  }
  if (f64) {
    double one = 1, zero = 0;
    status = g_cublas.dgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, &one, job->b, n, job->a, k, &zero, job->c, n);
  } else {
    float one = 1, zero = 0;
    status = g_cublas.sgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, &one, job->b, n, job->a, k, &zero, job->c, n);
  }
  if (status) rtt_panic(loc, "matmul: cublas%cgemm failed (cuBLAS status %d)", f64 ? 'D' : 'S', status);
}

// --- The entry point ----------------------------------------------------------------------------

rt_ptr rt_tensor_matmul(rt_ptr a_p, rt_ptr b_p, rt_loc loc) {
  const rt_tensor* a = a_p;
  const rt_tensor* b = b_p;
  char sa[RTT_SHAPE_BUF], sb[RTT_SHAPE_BUF];
  rt_gpu_device* d = rtt_device("matmul", loc);
  if (a->device != d || b->device != d)
    rtt_panic(loc, "matmul: an operand is on device %d (%s), not on the current device %d (%s)",
              (a->device != d ? a : b)->device->ordinal, (a->device != d ? a : b)->device->name, d->ordinal, d->name);
  bool floats = a->dtype == RT_DTYPE_F32 || a->dtype == RT_DTYPE_F64 || a->dtype == RT_DTYPE_F16 || a->dtype == RT_DTYPE_BF16;
  if (a->dtype != b->dtype || !floats)
    rtt_panic(loc, "matmul takes two tensors of one float type (f32, f64, f16, bf16), not %s and %s",
              rtt_dtype_name(a->dtype), rtt_dtype_name(b->dtype));
  if (a->rank < 1 || a->rank > 2 || b->rank < 1 || b->rank > 2)
    rtt_panic(loc, "matmul takes tensors of rank 1 or 2, not shapes %s and %s", rtt_format_shape(sa, a->rank, a->shape),
              rtt_format_shape(sb, b->rank, b->shape));
  // A vector is a row on the left, a column on the right; its axis is dropped from the result.
  int64_t m = a->rank == 2 ? a->shape[0] : 1, k = a->shape[a->rank - 1];
  int64_t kb = b->shape[0], n = b->rank == 2 ? b->shape[1] : 1;
  if (k != kb)
    rtt_panic(loc, "matmul: shapes %s and %s cannot be multiplied (inner sizes %" PRId64 " and %" PRId64 " differ)",
              rtt_format_shape(sa, a->rank, a->shape), rtt_format_shape(sb, b->rank, b->shape), k, kb);
  int64_t shape[2];
  int32_t rank = 0;
  if (a->rank == 2) shape[rank++] = m;
  if (b->rank == 2) shape[rank++] = n;
  rt_tensor* ac = (rt_tensor*)rt_tensor_contiguous(a, loc);
  rt_tensor* bc = (rt_tensor*)rt_tensor_contiguous(b, loc);
  rt_tensor* c = rtt_new(d, a->dtype, rank, shape, "matmul", loc);
  bool f64 = a->dtype == RT_DTYPE_F64, half = a->dtype == RT_DTYPE_F16 || a->dtype == RT_DTYPE_BF16;
  matmul_job job = {ac->data, bc->data, c->data, m, n, k};
  if (m * n == 0) {
    // nothing to compute
  } else if (k == 0) {
    if (d->fill(d, c->data, 0, (uint32_t)rtt_elem_size(a->dtype, "matmul", loc), (size_t)(m * n), NULL))
      rtt_panic(loc, "matmul: filling the result failed: %s", rt_gpu_last_error());
  } else if (d == rt_gpu_cpu_device()) {
    if (half) matmul_cpu_half(d, &job, a->dtype == RT_DTYPE_BF16, loc);
    else matmul_cpu(d, &job, f64, loc);
  } else {
    matmul_cublas(d, &job, a->dtype, loc);
  }
  rt_tensor_release(ac);
  rt_tensor_release(bc);
  return c;
}
