// What a GPU would hang on is reported, never hung on: each hazard runs in a child process, which
// must exit with 101 and print the expected report on stderr.
#include <sys/wait.h>
#include <unistd.h>

#include "gpu_test_util.h"

// Threads 0..99 return early; the rest wait at a barrier they never all reach.
static void early_return(rt_gpu_thread* t, void* const* args) {
  (void)args;
  if (t->thread_idx.x < 100) return;
  rt_gpu_sync_threads(t);
}

// The first 200 threads wait at the barrier; the rest finish without it.
static void late_return(rt_gpu_thread* t, void* const* args) {
  (void)args;
  if (t->thread_idx.x < 200) rt_gpu_sync_threads(t);
}

// Lane 5 skips a full-warp shuffle that names it.
static void lane_missing(rt_gpu_thread* t, void* const* args) {
  (void)args;
  if (t->thread_idx.x % 32 == 5) return;
  rt_gpu_shfl(t, RT_GPU_SHFL_DOWN, 0xffffffffu, 1, 1, 32);
}

// Threads 0..47 at a barrier; 48..63 in a warp vote that waits for lanes 32..47 of their warp,
// which are at the barrier: neither can go on.
static void deadlock(rt_gpu_thread* t, void* const* args) {
  (void)args;
  if (t->thread_idx.x < 48) rt_gpu_sync_threads(t);
  else rt_gpu_vote(t, RT_GPU_VOTE_ANY, 0xffffffffu, true);
}

static void not_in_mask(rt_gpu_thread* t, void* const* args) {
  (void)args;
  rt_gpu_shfl(t, RT_GPU_SHFL_IDX, 0x1u, 1, 0, 32);
}

static const rt_gpu_kernel k_early = {.name = "early_return", .cpu = early_return, .cooperative = true};
static const rt_gpu_kernel k_late = {.name = "late_return", .cpu = late_return, .cooperative = true};
static const rt_gpu_kernel k_lane = {.name = "lane_missing", .cpu = lane_missing, .cooperative = true};
static const rt_gpu_kernel k_deadlock = {.name = "deadlock", .cpu = deadlock, .cooperative = true};
static const rt_gpu_kernel k_mask = {.name = "not_in_mask", .cpu = not_in_mask, .cooperative = true};
static const rt_gpu_kernel k_plain = {.name = "plain", .cpu = late_return, .cooperative = false};

static void expect_hazard(const rt_gpu_kernel* k, rt_dim3 grid, rt_dim3 block, const char* want) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], 2);
    close(pipefd[0]);
    static const rt_src_loc loc = {"hazard.fu", 12, 5};
    rt_gpu_device* d = rt_gpu_cpu_device();
    rt_gpu_launch l = {.kernel = k, .grid = grid, .block = block, .loc = &loc};
    d->launch(d, &l);
    _exit(0);  // no hazard reported
  }
  close(pipefd[1]);
  char buf[2048] = {0};
  size_t got = 0;
  ssize_t n;
  while (got < sizeof buf - 1 && (n = read(pipefd[0], buf + got, sizeof buf - 1 - got)) > 0) got += (size_t)n;
  close(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 101, "%s: exit status %d", k->name, status);
  CHECK(strstr(buf, want) != NULL, "%s: stderr was:\n%s\nwanted: %s", k->name, buf, want);
}

int main(void) {
  expect_hazard(&k_early, dim(1, 1, 1), dim(256, 1, 1),
                "kernel hazard: `early_return` (launched at hazard.fu:12:5): block (0, 0, 0), thread (100, 0, 0) "
                "reached sync_threads(), but block (0, 0, 0), thread (0, 0, 0) (and 99 more) finished without reaching it");
  expect_hazard(&k_late, dim(1, 1, 1), dim(256, 1, 1),
                "block (0, 0, 0), thread (200, 0, 0) finished without reaching the sync_threads() that 200 other threads "
                "of its block wait at");
  expect_hazard(&k_lane, dim(1, 1, 1), dim(32, 1, 1), "finished, but block (0, 0, 0), thread (0, 0, 0) waits for it");
  expect_hazard(&k_deadlock, dim(1, 1, 1), dim(64, 1, 1),
                "deadlock: 48 threads wait at sync_threads() and 16 in warp operations");
  expect_hazard(&k_mask, dim(1, 1, 1), dim(32, 1, 1), "thread (1, 0, 0) is not in the mask 0x00000001");
  expect_hazard(&k_plain, dim(1, 1, 1), dim(256, 1, 1),
                "internal error: sync_threads() in a kernel that was not compiled to run its threads as fibers");
  return finish("gpu_hazard_test");
}
