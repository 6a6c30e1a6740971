// Warp operations on the CPU device, with the GPU's results: every shuffle mode with widths 32,
// 16 and 8, a warp-sum reduction, ballot/any/all, a partial last warp and a sub-warp mask.
#include "gpu_test_util.h"

enum { N = 64 };  // two warps
static uint32_t g_out[8][N];

static void shuffles(rt_gpu_thread* t, void* const* args) {
  (void)args;
  uint32_t i = t->linear, lane = i % 32;
  uint64_t v = lane * 10 + i / 32 * 1000;  // lane 5 of warp 1: 1050
  g_out[0][i] = (uint32_t)rt_gpu_shfl(t, RT_GPU_SHFL_IDX, 0xffffffffu, v, 3, 32);
  g_out[1][i] = (uint32_t)rt_gpu_shfl(t, RT_GPU_SHFL_IDX, 0xffffffffu, v, 5, 8);
  g_out[2][i] = (uint32_t)rt_gpu_shfl(t, RT_GPU_SHFL_UP, 0xffffffffu, v, 2, 32);
  g_out[3][i] = (uint32_t)rt_gpu_shfl(t, RT_GPU_SHFL_UP, 0xffffffffu, v, 1, 16);
  g_out[4][i] = (uint32_t)rt_gpu_shfl(t, RT_GPU_SHFL_DOWN, 0xffffffffu, v, 4, 32);
  g_out[5][i] = (uint32_t)rt_gpu_shfl(t, RT_GPU_SHFL_DOWN, 0xffffffffu, v, 3, 8);
  g_out[6][i] = (uint32_t)rt_gpu_shfl(t, RT_GPU_SHFL_XOR, 0xffffffffu, v, 1, 32);
  // A warp sum by halving: every lane ends with the total.
  uint64_t sum = lane;
  for (uint32_t off = 16; off > 0; off /= 2) sum += rt_gpu_shfl(t, RT_GPU_SHFL_XOR, 0xffffffffu, sum, off, 32);
  g_out[7][i] = (uint32_t)sum;
}

static uint32_t g_votes[3][48];
static uint32_t g_partial[48];

// 48 threads: warp 0 full, warp 1 has 16 lanes.
static void votes(rt_gpu_thread* t, void* const* args) {
  (void)args;
  uint32_t i = t->linear, lane = i % 32;
  uint32_t mask = i < 32 ? 0xffffffffu : 0xffffu;
  g_votes[0][i] = rt_gpu_vote(t, RT_GPU_VOTE_BALLOT, mask, lane % 3 == 0);
  g_votes[1][i] = rt_gpu_vote(t, RT_GPU_VOTE_ANY, mask, lane == 40 % 32 && i >= 32);
  g_votes[2][i] = rt_gpu_vote(t, RT_GPU_VOTE_ALL, mask, lane < 16);
  // Only the even lanes of each warp take part; the odd ones skip the shuffle.
  if (lane % 2 == 0) {
    uint32_t even = 0x55555555u & mask;
    g_partial[i] = (uint32_t)rt_gpu_shfl(t, RT_GPU_SHFL_DOWN, even, lane, 2, 32);
  } else {
    g_partial[i] = 7777;
  }
}

static const rt_gpu_kernel k_shuffles = {.name = "shuffles", .cpu = shuffles, .cooperative = true};
static const rt_gpu_kernel k_votes = {.name = "votes", .cpu = votes, .cooperative = true};

int main(void) {
  CHECK(launch(&k_shuffles, dim(1, 1, 1), dim(N, 1, 1), 0, NULL) == 0, "%s", rt_gpu_last_error());
  for (uint32_t i = 0; i < N; i++) {
    uint32_t lane = i % 32, w = i / 32 * 1000;
    CHECK(g_out[0][i] == 30 + w, "idx 3: lane %u got %u", i, g_out[0][i]);
    CHECK(g_out[1][i] == (lane / 8 * 8 + 5) * 10 + w, "idx 5 width 8: lane %u got %u", i, g_out[1][i]);
    CHECK(g_out[2][i] == (lane >= 2 ? lane - 2 : lane) * 10 + w, "up 2: lane %u got %u", i, g_out[2][i]);
    CHECK(g_out[3][i] == (lane % 16 >= 1 ? lane - 1 : lane) * 10 + w, "up 1 width 16: lane %u got %u", i, g_out[3][i]);
    CHECK(g_out[4][i] == (lane + 4 < 32 ? lane + 4 : lane) * 10 + w, "down 4: lane %u got %u", i, g_out[4][i]);
    CHECK(g_out[5][i] == (lane % 8 + 3 < 8 ? lane + 3 : lane) * 10 + w, "down 3 width 8: lane %u got %u", i, g_out[5][i]);
    CHECK(g_out[6][i] == (lane ^ 1) * 10 + w, "xor 1: lane %u got %u", i, g_out[6][i]);
    CHECK(g_out[7][i] == 496, "xor sum: lane %u got %u", i, g_out[7][i]);
  }
  CHECK(launch(&k_votes, dim(1, 1, 1), dim(48, 1, 1), 0, NULL) == 0, "%s", rt_gpu_last_error());
  for (uint32_t i = 0; i < 48; i++) {
    uint32_t lane = i % 32;
    CHECK(g_votes[0][i] == (i < 32 ? 0x49249249u : 0x9249u), "ballot: lane %u got 0x%08x", i, g_votes[0][i]);
    CHECK(g_votes[1][i] == (i >= 32), "any: lane %u got %u", i, g_votes[1][i]);
    CHECK(g_votes[2][i] == (i >= 32), "all: lane %u got %u", i, g_votes[2][i]);
    uint32_t want = lane % 2 ? 7777 : (lane + 2 < (i < 32 ? 32u : 16u) ? lane + 2 : lane);
    CHECK(g_partial[i] == want, "even lanes down 2: lane %u got %u, want %u", i, g_partial[i], want);
  }
  return finish("gpu_warp_test");
}
