// Check mode (FUSION_DEVICE=check) on the CPU device: kernels written in C whose block loop and
// per-thread body really differ (which no compiled kernel can) are reported, a difference within
// the tolerance is not, and a kernel with no block loop is not compared. Each case runs in a child
// process, which launches and ends through rt_exit; the parent checks its stderr and exit status.
#include <sys/wait.h>
#include <unistd.h>

#include "gpu_test_util.h"

enum { N = 256 };

// x[i] = i / 2 per thread; the block loop adds `nudge` ulps to element 3 (args: n, x, nudge).
static void body(rt_gpu_thread* t, void* const* args) {
  int64_t n = *(const int64_t*)args[0];
  float* x = *(float* const*)args[1];
  uint32_t i = gx(t);
  if (i < n) x[i] = (float)i * 0.5f;
}

static void block(rt_gpu_thread* t, void* const* args) {
  int32_t nudge = *(const int32_t*)args[2];
  for (uint32_t i = 0; i < t->block_dim.x; i++) {
    t->thread_idx = (rt_dim3){i, 0, 0};
    t->linear = i;
    body(t, args);
    float* x = *(float* const*)args[1];
    if (gx(t) == 3) {
      uint32_t bits;
      memcpy(&bits, &x[3], 4);
      bits += (uint32_t)nudge;
      memcpy(&x[3], &bits, 4);
    }
  }
}

static const rt_gpu_kernel k_two_ways = {.name = "two_ways", .cpu = body, .cpu_block = block, .params = "-f-"};
static const rt_gpu_kernel k_one_way = {.name = "one_way", .cpu = body, .params = "-f-"};

// Runs `k` with `nudge` in a child under FUSION_DEVICE=check; its stderr goes to `out`.
static int run_child(const rt_gpu_kernel* k, int32_t nudge, char* out, size_t size) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], 2);
    close(pipefd[0]);
    setenv("FUSION_DEVICE", "check", 1);
    static const rt_src_loc alloc_loc = {"check.fu", 3, 9}, launch_loc = {"check.fu", 7, 1};
    float* x = (float*)rt_gpu_api_alloc(N * sizeof(float), &alloc_loc);
    int64_t n = N;
    void* args[] = {&n, &x, &nudge};
    rt_gpu_launch l = {.kernel = k, .grid = dim(2, 1, 1), .block = dim(128, 1, 1), .args = args, .loc = &launch_loc};
    rt_gpu_launch_kernel(&l);
    float host[N];
    rt_gpu_api_copy_to_host(host, x, sizeof host, NULL);
    // The program goes on with the block loop's results.
    float want = 1.5f;
    if (k->cpu_block) {
      uint32_t bits;
      memcpy(&bits, &want, 4);
      bits += (uint32_t)nudge;
      memcpy(&want, &bits, 4);
    }
    if (host[3] != want || host[255] != 127.5f) fprintf(stderr, "wrong results: %g %g\n", host[3], host[255]);
    rt_exit(7);
  }
  close(pipefd[1]);
  size_t got = 0;
  ssize_t r;
  while (got < size - 1 && (r = read(pipefd[0], out + got, size - 1 - got)) > 0) got += (size_t)r;
  out[got] = 0;
  close(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int main(void) {
  char err[4096];
  int code = run_child(&k_two_ways, 100, err, sizeof err);
  CHECK(code == 101, "exit %d, stderr:\n%s", code, err);
  CHECK(strstr(err, "check: kernel `two_ways` (launched at check.fu:7:1) differs between the block loop and the "
                    "thread loop:\n  the gpu.alloc block of 1024 bytes allocated at check.fu:3:9:\n"
                    "    element 3 (f32): 1.50001192 vs 1.5 (100 ulps apart)\n"
                    "check: 1 launch compared, 1 differed\n") != NULL,
        "stderr:\n%s", err);
  CHECK(strstr(err, "wrong results") == NULL, "stderr:\n%s", err);

  code = run_child(&k_two_ways, 2, err, sizeof err);  // within the default 4 ulps
  CHECK(code == 7, "exit %d, stderr:\n%s", code, err);
  CHECK(strcmp(err, "check: 1 launch compared, 0 differed\n") == 0, "stderr:\n%s", err);

  code = run_child(&k_one_way, 0, err, sizeof err);
  CHECK(code == 7, "exit %d, stderr:\n%s", code, err);
  CHECK(strcmp(err, "check: 0 launches compared, 0 differed, 1 not compared (the first: `one_way` at check.fu:7:1, "
                    "because it has no block loop, so the CPU executor has one way to run it)\n") == 0,
        "stderr:\n%s", err);
  return finish("gpu_check_test");
}
