// The CPU device without barriers: device memory, copies and memset, streams, 1-D, 2-D and 3-D
// indexing over many blocks (on the worker pool), dynamic shared memory, and every launch limit.
#include "gpu_test_util.h"

// y[i] = a * x[i] + y[i]
static void saxpy(rt_gpu_thread* t, void* const* args) {
  int64_t n = *(int64_t*)args[0];
  float a = *(float*)args[1];
  float* x = *(float**)args[2];
  float* y = *(float**)args[3];
  int64_t i = gx(t);
  if (i < n) y[i] = a * x[i] + y[i];
}

// Every thread of a 3-D grid of 3-D blocks writes its global coordinates.
static void coords(rt_gpu_thread* t, void* const* args) {
  uint32_t* out = *(uint32_t**)args[0];
  uint32_t X = t->grid_dim.x * t->block_dim.x, Y = t->grid_dim.y * t->block_dim.y;
  uint32_t x = t->block_idx.x * t->block_dim.x + t->thread_idx.x;
  uint32_t y = t->block_idx.y * t->block_dim.y + t->thread_idx.y;
  uint32_t z = t->block_idx.z * t->block_dim.z + t->thread_idx.z;
  out[(z * Y + y) * X + x] = x | y << 10 | z << 20;
}

// Dynamic shared memory: each thread writes its slot, then (no barrier needed: one thread per
// block reads after the loop) thread 0 of the next iteration sees only its own block's data.
static void shared_fill(rt_gpu_thread* t, void* const* args) {
  uint32_t* out = *(uint32_t**)args[0];
  uint32_t* s = t->shared;
  s[t->thread_idx.x] = t->block_idx.x * 1000 + t->thread_idx.x;
  out[gx(t)] = s[t->thread_idx.x];
}

static const rt_gpu_kernel k_saxpy = {.name = "saxpy", .cpu = saxpy};
static const rt_gpu_kernel k_coords = {.name = "coords", .cpu = coords};
static const rt_gpu_kernel k_shared = {.name = "shared_fill", .cpu = shared_fill};
static const rt_gpu_kernel k_bounded = {.name = "bounded", .cpu = saxpy, .max_threads = 128};
static const rt_gpu_kernel k_fixed = {.name = "fixed", .cpu = saxpy, .threads = {16, 2, 1}};  // @kernel(threads: …)
// 12 bytes of static shared memory, then dynamic memory from byte 16 (the compiler's layout):
// each thread writes its dynamic slot and reads it back, and checks it started zeroed. Under
// AddressSanitizer (make unit-san), a block's buffer sized without the alignment gap overflows.
static void after_static(rt_gpu_thread* t, void* const* args) {
  uint32_t* out = *(uint32_t**)args[0];
  uint32_t* dyn = (uint32_t*)((char*)t->shared + 16);
  uint32_t was = dyn[t->thread_idx.x];
  dyn[t->thread_idx.x] = t->thread_idx.x + 1;
  out[gx(t)] = was == 0 ? dyn[t->thread_idx.x] : 0;
}
static const rt_gpu_kernel k_after_static = {.name = "after_static", .cpu = after_static, .static_shared = 12};
static const rt_gpu_kernel k_big_shared = {.name = "big_shared", .cpu = shared_fill, .static_shared = 40 * 1024};

static void check_saxpy(void) {
  rt_gpu_device* d = rt_gpu_cpu_device();
  int64_t n = 1000003;
  float* hx = malloc(n * sizeof *hx);
  float* hy = malloc(n * sizeof *hy);
  for (int64_t i = 0; i < n; i++) hx[i] = (float)i, hy[i] = 1.0f;
  void *dx = NULL, *dy = NULL;
  CHECK(d->alloc(d, n * sizeof(float), NULL, &dx) == 0 && d->alloc(d, n * sizeof(float), NULL, &dy) == 0, "%s", rt_gpu_last_error());
  CHECK(((uintptr_t)dx & 255) == 0, "device memory is 256-byte aligned");
  d->copy(d, dx, hx, n * sizeof(float), RT_GPU_HOST_TO_DEVICE, NULL);
  d->copy(d, dy, hy, n * sizeof(float), RT_GPU_HOST_TO_DEVICE, NULL);
  float a = 2.0f;
  void* args[] = {&n, &a, &dx, &dy};
  CHECK(launch(&k_saxpy, dim((uint32_t)((n + 255) / 256), 1, 1), dim(256, 1, 1), 0, args) == 0, "%s", rt_gpu_last_error());
  d->copy(d, hy, dy, n * sizeof(float), RT_GPU_DEVICE_TO_HOST, NULL);
  int64_t bad = 0;
  for (int64_t i = 0; i < n; i++) bad += hy[i] != 2.0f * (float)i + 1.0f;
  CHECK(bad == 0, "saxpy: %lld wrong", (long long)bad);
  float fill = -1.5f;
  uint32_t bits;
  memcpy(&bits, &fill, 4);
  d->fill(d, dy, bits, 4, (size_t)n, NULL);
  d->copy(d, hy, dy, n * sizeof(float), RT_GPU_DEVICE_TO_HOST, NULL);
  CHECK(hy[0] == -1.5f && hy[n / 2] == -1.5f && hy[n - 1] == -1.5f, "fill");
  d->free(d, dx, NULL);
  d->free(d, dy, NULL);
  free(hx);
  free(hy);
}

static void check_coords(void) {
  rt_dim3 grid = dim(3, 2, 2), block = dim(8, 4, 2);
  uint32_t X = 24, Y = 8, Z = 4;
  uint32_t* out = calloc(X * Y * Z, sizeof *out);
  void* args[] = {&out};
  CHECK(launch(&k_coords, grid, block, 0, args) == 0, "%s", rt_gpu_last_error());
  int bad = 0;
  for (uint32_t z = 0; z < Z; z++)
    for (uint32_t y = 0; y < Y; y++)
      for (uint32_t x = 0; x < X; x++) bad += out[(z * Y + y) * X + x] != (x | y << 10 | z << 20);
  CHECK(bad == 0, "3-D indexing: %d wrong", bad);
  free(out);
}

static void check_shared(void) {
  uint32_t* out = calloc(64 * 100, sizeof *out);
  void* args[] = {&out};
  CHECK(launch(&k_shared, dim(100, 1, 1), dim(64, 1, 1), 64 * 4, args) == 0, "%s", rt_gpu_last_error());
  int bad = 0;
  for (uint32_t b = 0; b < 100; b++)
    for (uint32_t i = 0; i < 64; i++) bad += out[b * 64 + i] != b * 1000 + i;
  CHECK(bad == 0, "dynamic shared memory: %d wrong", bad);
  memset(out, 0, 64 * 100 * sizeof *out);
  CHECK(launch(&k_after_static, dim(4, 1, 1), dim(16, 1, 1), 16 * 4, args) == 0, "%s", rt_gpu_last_error());
  bad = 0;
  for (uint32_t i = 0; i < 64; i++) bad += out[i] != i % 16 + 1;
  CHECK(bad == 0, "dynamic shared memory after 12 static bytes: %d wrong", bad);
  free(out);
}

static void check_limits(void) {
  int64_t n = 0;
  float a = 0;
  void* p = NULL;
  void* args[] = {&n, &a, &p, &p};
  CHECK(launch(&k_saxpy, dim(1, 1, 1), dim(2048, 1, 1), 0, args) != 0, "2048 threads");
  CHECK(strstr(rt_gpu_last_error(), "a block of (2048, 1, 1) = 2048 threads is over the limit of 1024") != NULL, "%s",
        rt_gpu_last_error());
  CHECK(launch(&k_saxpy, dim(1, 1, 1), dim(1, 1, 65), 0, args) != 0, "z of 65");
  CHECK(launch(&k_saxpy, dim(0, 1, 1), dim(32, 1, 1), 0, args) != 0, "empty grid");
  CHECK(strstr(rt_gpu_last_error(), "must not be empty") != NULL, "%s", rt_gpu_last_error());
  CHECK(launch(&k_bounded, dim(1, 1, 1), dim(256, 1, 1), 0, args) != 0, "max_threads");
  CHECK(strstr(rt_gpu_last_error(), "over the kernel's max_threads of 128") != NULL, "%s", rt_gpu_last_error());
  CHECK(launch(&k_bounded, dim(1, 1, 1), dim(128, 1, 1), 0, args) == 0, "%s", rt_gpu_last_error());
  CHECK(launch(&k_fixed, dim(1, 1, 1), dim(32, 1, 1), 0, args) != 0, "threads");
  CHECK(strstr(rt_gpu_last_error(), "a block of (32, 1, 1) threads, but the kernel is declared @kernel(threads: (16, 2, 1))") !=
            NULL,
        "%s", rt_gpu_last_error());
  CHECK(launch(&k_fixed, dim(1, 1, 1), dim(16, 2, 1), 0, args) == 0, "%s", rt_gpu_last_error());
  CHECK(launch(&k_big_shared, dim(1, 1, 1), dim(32, 1, 1), 200 * 1024, args) != 0, "shared memory");
  CHECK(strstr(rt_gpu_last_error(), "245760 bytes of shared memory (40960 static + 204800 dynamic) are over the limit of 232448") !=
            NULL,
        "%s", rt_gpu_last_error());
  CHECK(launch(&k_saxpy, dim(1, 65536, 1), dim(32, 1, 1), 0, args) != 0, "grid y");
}

static void check_streams(void) {
  rt_gpu_device* d = rt_gpu_cpu_device();
  void *s1 = NULL, *s2 = NULL;
  CHECK(d->stream_create(d, &s1) == 0 && d->stream_create(d, &s2) == 0 && s1 && s2 && s1 != s2, "streams");
  CHECK(d->stream_sync(d, s1) == 0 && d->sync(d) == 0, "sync");
  d->stream_destroy(d, s1);
  d->stream_destroy(d, s2);
  CHECK(strcmp(d->name, "cpu") == 0, "name %s", d->name);
}

int main(void) {
  check_saxpy();
  check_coords();
  check_shared();
  check_limits();
  check_streams();
  return finish("gpu_launch_test");
}
