// The dying process (core/fault.c): one report however many threads panic at once, exit code 101;
// the report comes out even when a parked thread holds stdout's lock; crash signals are reported.
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fusion/rt_core.h"
#include "test_check.h"
#include "test_child.h"

static int count(const char* text, const char* what) {
  int n = 0;
  for (const char* p = text; (p = strstr(p, what)); p += strlen(what)) n++;
  return n;
}

// --- many threads panic at once ---

enum { THREADS = 16 };
static pthread_barrier_t g_start;

static void* panicker(void* arg) {
  (void)arg;
  pthread_barrier_wait(&g_start);
  rt_panic("one of many", NULL);
}

static void many_panics(void) {
  printf("before\n");  // buffered: must come out first
  pthread_barrier_init(&g_start, NULL, THREADS);
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, panicker, NULL);
  for (;;) pause();
}

// --- a thread parked while it holds stdout's lock ---

static volatile int g_locked;

static void* holder(void* arg) {
  (void)arg;
  flockfile(stdout);
  g_locked = 1;
  usleep(200 * 1000);           // the other thread has won by now
  rt_panic("second", NULL);     // parks for ever, holding the lock
}

static void parked_with_stdout(void) {
  pthread_t t;
  pthread_create(&t, NULL, holder, NULL);
  while (!g_locked) usleep(1000);
  rt_panic("first", NULL);
}

// --- crash signals ---

static void null_load(void) {
  rt_init(0, NULL);
  printf("before\n");
  volatile int* p = NULL;
  printf("%d\n", *p);
}

static volatile int g_stop = -1;  // never reached; the compiler cannot know
static int recurse(int n) {
  volatile char frame[512];
  frame[n % 512] = (char)n;
  if (n == g_stop) return 0;
  return recurse(n + 1) + frame[(n + 1) % 512];
}

static void overflow(void) {
  rt_init(0, NULL);
  printf("%d\n", recurse(0));
}

int main(void) {
  char out[1 << 16];
  for (int round = 0; round < 10; round++) {
    int status = run_child(many_panics, out, sizeof out);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 101, "round %d: status 0x%x", round, status);
    CHECK(count(out, "panic: one of many\n") == 1, "round %d: %d reports:\n%s", round,
          count(out, "panic: one of many\n"), out);
    CHECK(strncmp(out, "before\n", 7) == 0, "round %d: stdout not first:\n%s", round, out);
  }

  int status = run_child(parked_with_stdout, out, sizeof out);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 101, "parked: status 0x%x (a hang ends by SIGALRM)", status);
  CHECK(strcmp(out, "panic: first\n") == 0, "parked: got\n%s", out);

  status = run_child(null_load, out, sizeof out);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 101, "null: status 0x%x", status);
  // C code has no Fusion frames: no location, no backtrace.
  CHECK(strcmp(out, "before\nfatal: segmentation fault: null pointer dereference (address 0x0)\n") == 0,
        "null: got\n%s", out);

  status = run_child(overflow, out, sizeof out);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 101, "overflow: status 0x%x", status);
  CHECK(strcmp(out, "fatal: stack overflow\n") == 0, "overflow: got\n%.300s", out);
  return finish("die_test");
}
