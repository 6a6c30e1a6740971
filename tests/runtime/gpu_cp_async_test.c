// Asynchronous copies on the CPU device (rt_gpu_cp_async, _commit, _wait): the executor copies at
// the wait that covers a copy, so a destination keeps its old contents until then. Copies of 4, 8
// and 16 bytes; wait(n) with several groups in flight, an empty group and an uncommitted copy;
// fibers and the per-thread loop; copies a block leaves pending do not reach the next block.
#include "gpu_test_util.h"

static const rt_src_loc kLoc = {"gpu_cp_async_test.c", 1, 1};

// Thread i: three copies (4, 8, 16 bytes) in one group; records what each destination holds
// before the wait (still zero) and after it.
static void sizes(rt_gpu_thread* t, void* const* args) {
  const unsigned char* src = *(unsigned char**)args[0];
  uint64_t* seen = *(uint64_t**)args[1];  // per thread: before, after for each of 3 copies
  unsigned char* s = t->shared;
  uint32_t i = t->linear;
  unsigned char* d = s + i * 32;
  const unsigned char* g = src + (t->block_idx.x * t->block_dim.x + i) * 32;
  rt_gpu_cp_async(t, d, g, 4, &kLoc);
  rt_gpu_cp_async(t, d + 8, g + 8, 8, &kLoc);
  rt_gpu_cp_async(t, d + 16, g + 16, 16, &kLoc);
  rt_gpu_cp_async_commit(t);
  uint64_t* out = seen + (t->block_idx.x * t->block_dim.x + i) * 6;
  uint64_t v;
  memcpy(&v, d + 16, 8);
  out[0] = *(uint32_t*)d, out[1] = *(uint64_t*)(d + 8), out[2] = v;
  rt_gpu_cp_async_wait(t, 0);
  memcpy(&v, d + 24, 8);
  out[3] = *(uint32_t*)d, out[4] = *(uint64_t*)(d + 8), out[5] = v;
}

// Four groups (the third empty) and an uncommitted copy; out[k] is 1 where slot k held its value
// after each wait: wait(2) completes groups 0 and 1 only, wait(0) groups 2 and 3 but not the
// uncommitted copy, a commit and wait(0) that one too.
static void groups(rt_gpu_thread* t, void* const* args) {
  const uint32_t* src = *(uint32_t**)args[0];
  uint32_t* out = *(uint32_t**)args[1];
  uint32_t* s = (uint32_t*)t->shared + t->linear * 4;
  const uint32_t* g = src + (t->block_idx.x * t->block_dim.x + t->linear) * 4;
  uint32_t* o = out + (t->block_idx.x * t->block_dim.x + t->linear) * 12;
  rt_gpu_cp_async(t, s, g, 4, &kLoc);
  rt_gpu_cp_async_commit(t);
  rt_gpu_cp_async(t, s + 1, g + 1, 4, &kLoc);
  rt_gpu_cp_async_commit(t);
  rt_gpu_cp_async_commit(t);  // empty
  rt_gpu_cp_async(t, s + 2, g + 2, 4, &kLoc);
  rt_gpu_cp_async_commit(t);
  rt_gpu_cp_async(t, s + 3, g + 3, 4, &kLoc);  // not committed
  rt_gpu_cp_async_wait(t, 2);
  for (int k = 0; k < 4; k++) o[k] = s[k] == g[k];
  rt_gpu_cp_async_wait(t, 0);
  for (int k = 0; k < 4; k++) o[4 + k] = s[k] == g[k];
  rt_gpu_cp_async_commit(t);
  rt_gpu_cp_async_wait(t, 0);
  for (int k = 0; k < 4; k++) o[8 + k] = s[k] == g[k];
}

// Even blocks start a copy into s[0] and end without waiting; odd blocks wait for nothing they
// started and must find s[0] zero (shared memory starts zeroed, and no earlier copy lands).
static void leftover(rt_gpu_thread* t, void* const* args) {
  const uint64_t* src = *(uint64_t**)args[0];
  uint64_t* out = *(uint64_t**)args[1];
  uint64_t* s = t->shared;
  if (t->block_idx.x % 2 == 0) {
    rt_gpu_cp_async(t, s, src, 8, &kLoc);
    rt_gpu_cp_async_commit(t);
  } else {
    rt_gpu_cp_async_commit(t);
    rt_gpu_cp_async_wait(t, 0);
    out[t->block_idx.x] = s[0];
  }
}

static void check_sizes(bool cooperative) {
  rt_gpu_kernel k = {.name = "sizes", .cpu = sizes, .static_shared = 64 * 32, .cooperative = cooperative};
  uint32_t blocks = 3, n = blocks * 64;
  unsigned char* src = aligned_alloc(256, n * 32);
  uint64_t* seen = calloc(n * 6, sizeof *seen);
  for (uint32_t i = 0; i < n * 32; i++) src[i] = (unsigned char)(i * 37 + 1);
  void* args[] = {&src, &seen};
  CHECK(launch(&k, dim(blocks, 1, 1), dim(64, 1, 1), 0, args) == 0, "%s", rt_gpu_last_error());
  for (uint32_t i = 0; i < n; i++) {
    const unsigned char* g = src + i * 32;
    uint64_t want8, want16;
    memcpy(&want8, g + 8, 8);
    memcpy(&want16, g + 24, 8);
    const uint64_t* o = seen + i * 6;
    CHECK(o[0] == 0 && o[1] == 0 && o[2] == 0, "thread %u: a destination changed before the wait", i);
    CHECK(o[3] == *(const uint32_t*)g, "thread %u: 4-byte copy", i);
    CHECK(o[4] == want8, "thread %u: 8-byte copy", i);
    CHECK(o[5] == want16, "thread %u: 16-byte copy", i);
  }
  free(src);
  free(seen);
}

static void check_groups(bool cooperative) {
  rt_gpu_kernel k = {.name = "groups", .cpu = groups, .static_shared = 32 * 16, .cooperative = cooperative};
  uint32_t blocks = 4, n = blocks * 32;
  uint32_t* src = aligned_alloc(256, n * 16);
  uint32_t* out = calloc(n * 12, sizeof *out);
  for (uint32_t i = 0; i < n * 4; i++) src[i] = i * 7 + 1;
  void* args[] = {&src, &out};
  CHECK(launch(&k, dim(blocks, 1, 1), dim(32, 1, 1), 0, args) == 0, "%s", rt_gpu_last_error());
  static const uint32_t want[12] = {1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1};
  for (uint32_t i = 0; i < n; i++)
    for (int j = 0; j < 12; j++) CHECK(out[i * 12 + j] == want[j], "thread %u: slot %d after wait %d", i, j % 4, j / 4);
  free(src);
  free(out);
}

static void check_leftover(void) {
  rt_gpu_kernel k = {.name = "leftover", .cpu = leftover, .static_shared = 8, .cooperative = true};
  uint32_t blocks = 64;
  uint64_t* src = aligned_alloc(256, 256);
  src[0] = 0x1234567890abcdefu;
  uint64_t* out = calloc(blocks, sizeof *out);
  void* args[] = {&src, &out};
  CHECK(launch(&k, dim(blocks, 1, 1), dim(1, 1, 1), 0, args) == 0, "%s", rt_gpu_last_error());
  for (uint32_t b = 1; b < blocks; b += 2) CHECK(out[b] == 0, "block %u saw an earlier block's copy", b);
  free(src);
  free(out);
}

int main(void) {
  check_sizes(false);
  check_sizes(true);
  check_groups(false);
  check_groups(true);
  check_leftover();
  puts("gpu_cp_async_test: ok");
  return 0;
}
