// Cooperative kernels on the CPU device: threads of a block as fibers that switch at
// rt_gpu_sync_threads. A shared-memory tree reduction, barriers inside loops and inside branches
// that every thread takes, a tiled matrix multiply, and static + dynamic shared memory together.
#include "gpu_test_util.h"

// Sums 256-element slices: out[block] = sum of in[block * 256 ...].
static void reduce(rt_gpu_thread* t, void* const* args) {
  const int64_t* in = *(int64_t**)args[0];
  int64_t* out = *(int64_t**)args[1];
  int64_t* s = t->shared;
  uint32_t i = t->thread_idx.x;
  s[i] = in[gx(t)];
  rt_gpu_sync_threads(t);
  for (uint32_t stride = t->block_dim.x / 2; stride > 0; stride /= 2) {
    if (i < stride) s[i] += s[i + stride];
    rt_gpu_sync_threads(t);  // in the loop, reached by every thread
  }
  if (i == 0) out[t->block_idx.x] = s[0];
}

// Each round, thread i reads its left neighbour's value from the previous round: only right
// with a barrier between the write and the read (and another before the next write).
static void rotate(rt_gpu_thread* t, void* const* args) {
  int32_t* out = *(int32_t**)args[0];
  int32_t* s = t->shared;
  uint32_t i = t->thread_idx.x, n = t->block_dim.x;
  int32_t v = (int32_t)i;
  for (int round = 0; round < 10; round++) {
    s[i] = v;
    rt_gpu_sync_threads(t);
    if (i % 2 == 0) {
      v = s[(i + n - 1) % n];
      rt_gpu_sync_threads(t);  // a barrier in each branch: every thread reaches one
    } else {
      v = s[(i + n - 1) % n];
      rt_gpu_sync_threads(t);
    }
  }
  out[t->block_idx.x * n + i] = v;
}

enum { TILE = 16 };
// C = A * B for n x n matrices, with TILE x TILE tiles of A and B in shared memory (static:
// sA, then dynamic: sB).
static void matmul(rt_gpu_thread* t, void* const* args) {
  const float* A = *(float**)args[0];
  const float* B = *(float**)args[1];
  float* C = *(float**)args[2];
  uint32_t n = *(uint32_t*)args[3];
  float* sA = t->shared;
  float* sB = sA + TILE * TILE;
  uint32_t tx = t->thread_idx.x, ty = t->thread_idx.y;
  uint32_t row = t->block_idx.y * TILE + ty, col = t->block_idx.x * TILE + tx;
  float acc = 0;
  for (uint32_t k0 = 0; k0 < n; k0 += TILE) {
    sA[ty * TILE + tx] = A[row * n + k0 + tx];
    sB[ty * TILE + tx] = B[(k0 + ty) * n + col];
    rt_gpu_sync_threads(t);
    for (uint32_t k = 0; k < TILE; k++) acc += sA[ty * TILE + k] * sB[k * TILE + tx];
    rt_gpu_sync_threads(t);
  }
  C[row * n + col] = acc;
}

static const rt_gpu_kernel k_reduce = {.name = "reduce", .cpu = reduce, .static_shared = 256 * 8, .cooperative = true};
static const rt_gpu_kernel k_rotate = {.name = "rotate", .cpu = rotate, .cooperative = true};
static const rt_gpu_kernel k_matmul = {
    .name = "matmul", .cpu = matmul, .static_shared = TILE * TILE * 4, .cooperative = true};

static void check_reduce(void) {
  uint32_t blocks = 37;
  int64_t* in = malloc(blocks * 256 * sizeof *in);
  int64_t* out = calloc(blocks, sizeof *out);
  for (uint32_t i = 0; i < blocks * 256; i++) in[i] = (int64_t)i * 3 - 100;
  void* args[] = {&in, &out};
  CHECK(launch(&k_reduce, dim(blocks, 1, 1), dim(256, 1, 1), 0, args) == 0, "%s", rt_gpu_last_error());
  for (uint32_t b = 0; b < blocks; b++) {
    int64_t want = 0;
    for (uint32_t i = 0; i < 256; i++) want += in[b * 256 + i];
    CHECK(out[b] == want, "block %u: %lld, want %lld", b, (long long)out[b], (long long)want);
  }
  free(in);
  free(out);
}

static void check_rotate(void) {
  uint32_t n = 96, blocks = 5;
  int32_t* out = calloc(n * blocks, sizeof *out);
  void* args[] = {&out};
  CHECK(launch(&k_rotate, dim(blocks, 1, 1), dim(n, 1, 1), n * 4, args) == 0, "%s", rt_gpu_last_error());
  int bad = 0;
  for (uint32_t b = 0; b < blocks; b++)
    for (uint32_t i = 0; i < n; i++) bad += out[b * n + i] != (int32_t)((i + n - 10) % n);
  CHECK(bad == 0, "rotate: %d wrong", bad);
  free(out);
}

static void check_matmul(void) {
  uint32_t n = 64;
  float* A = malloc(n * n * 4);
  float* B = malloc(n * n * 4);
  float* C = calloc(n * n, 4);
  for (uint32_t i = 0; i < n * n; i++) A[i] = (float)(i % 7) - 3, B[i] = (float)(i % 5) * 0.5f;
  void* args[] = {&A, &B, &C, &n};
  CHECK(launch(&k_matmul, dim(n / TILE, n / TILE, 1), dim(TILE, TILE, 1), TILE * TILE * 4, args) == 0, "%s",
        rt_gpu_last_error());
  int bad = 0;
  for (uint32_t r = 0; r < n; r++)
    for (uint32_t c = 0; c < n; c++) {
      float want = 0;
      for (uint32_t k0 = 0; k0 < n; k0 += TILE)  // the same order of additions as the kernel
        for (uint32_t k = 0; k < TILE; k++) want += A[r * n + k0 + k] * B[(k0 + k) * n + c];
      bad += C[r * n + c] != want;
    }
  CHECK(bad == 0, "matmul: %d wrong", bad);
  free(A);
  free(B);
  free(C);
}

int main(void) {
  check_reduce();
  check_rotate();
  check_matmul();
  // Again, so that the worker threads reuse their fibers.
  check_reduce();
  return finish("gpu_barrier_test");
}
