// rt_dl from many threads at once: first loads race, references balance, handles agree.
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ffi_test_util.h"

#define NTHREADS 8
#define ROUNDS 50

static const char* const k_names[] = {"libm.so.6", "m", FFI_CASES_LIB, NULL, "fusion_threaded"};
#define NNAMES (sizeof k_names / sizeof k_names[0])

static pthread_barrier_t g_start, g_round0;
static rt_dl_lib* g_seen[NTHREADS][NNAMES];
static int g_thread_failures[NTHREADS];

static void* worker(void* arg) {
  int me = (int)(intptr_t)arg;
  pthread_barrier_wait(&g_start);
  for (int round = 0; round < ROUNDS; round++) {
    rt_dl_lib* libs[NNAMES];
    for (size_t i = 0; i < NNAMES; i++) {
      libs[i] = rt_dl_open(k_names[i]);
      if (!libs[i]) {
        g_thread_failures[me]++;
        continue;
      }
      if (round == 0) g_seen[me][i] = libs[i];
      const char* symbol = i == 2 || i == 4 ? "ffi_t_id_i32" : i == 3 ? "strlen" : "cos";
      if (!rt_dl_sym(libs[i], symbol)) g_thread_failures[me]++;
    }
    // A failure in this thread leaves this thread's own message.
    if (rt_dl_open("/nonexistent/threaded/libx.so") != NULL) g_thread_failures[me]++;
    if (!strstr(rt_dl_last_error(), "/nonexistent/threaded/libx.so")) g_thread_failures[me]++;
    for (size_t i = 0; i < NNAMES; i++)
      if (libs[i] && (round > 0 || i == 0) && !rt_dl_close(libs[i])) g_thread_failures[me]++;
    // Every thread holds its round-0 references at this point, so all must share one library.
    if (round == 0) pthread_barrier_wait(&g_round0);
  }
  // Round 0's references (but the first name's) are still held: give them back.
  for (size_t i = 1; i < NNAMES; i++)
    if (g_seen[me][i] && !rt_dl_close(g_seen[me][i])) g_thread_failures[me]++;
  return NULL;
}

int main(void) {
  char dir[] = "/tmp/fusion-dl-thread-XXXXXX";
  CHECK(mkdtemp(dir) != NULL, "mkdtemp");
  char copy[512];
  snprintf(copy, sizeof copy, "%s/libfusion_threaded.so", dir);
  CHECK(copy_file(FFI_CASES_LIB, copy), "copy");
  rt_dl_add_search_dir(dir);

  pthread_barrier_init(&g_start, NULL, NTHREADS);
  pthread_barrier_init(&g_round0, NULL, NTHREADS);
  pthread_t threads[NTHREADS];
  for (int t = 0; t < NTHREADS; t++)
    CHECK(pthread_create(&threads[t], NULL, worker, (void*)(intptr_t)t) == 0, "pthread_create");
  for (int t = 0; t < NTHREADS; t++) pthread_join(threads[t], NULL);
  pthread_barrier_destroy(&g_start);
  pthread_barrier_destroy(&g_round0);

  for (int t = 0; t < NTHREADS; t++) {
    CHECK(g_thread_failures[t] == 0, "thread %d: %d failures", t, g_thread_failures[t]);
    // Names 1..4 were held by every thread at once during round 0: one library each.
    for (size_t i = 1; i < NNAMES; i++)
      CHECK(g_seen[t][i] == g_seen[0][i], "thread %d got another handle for name %zu", t, i);
  }
  // libm.so.6 and m are the same library.
  CHECK(g_seen[0][1] != NULL, "m was opened");

  // Every reference was given back: the copy is unloaded and can be opened afresh.
  rt_dl_lib* fresh = rt_dl_open("fusion_threaded");
  CHECK(fresh != NULL, "%s", rt_dl_last_error());
  if (fresh) CHECK(rt_dl_close(fresh), "%s", rt_dl_last_error());
  CHECK(!rt_dl_close(fresh), "the last reference was given back twice");

  rt_dl_clear_search_dirs();
  unlink(copy);
  rmdir(dir);
  return finish("dl_thread_test");
}
