// Program start and exit: keeps argv, installs the crash handlers, flushes stdio on every way out.
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fusion/rt_core.h"
#include "../str/str_internal.h"

static int g_argc;
static char** g_argv;

// Under an MPI launcher (Open MPI's mpirun, or a PMI/PMIx one such as srun or MPICH's), every
// rank's output goes through one pipe to the launcher, which prints what it reads as it comes: a
// full buffer flushed mid-line would cut a rank's line in two around another rank's. Line
// buffering makes each line one write, shorter than the pipe's atomic size, so lines stay whole.
static int under_mpi(void) {
  return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK") || getenv("PMI_SIZE");
}

void rt_init(rt_i32 argc, rt_ptr argv) {
  g_argc = argc;
  g_argv = (char**)argv;
  rt_fault_install();
  if (under_mpi()) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    setvbuf(stderr, NULL, _IOLBF, 0);
  }
}

int rt_argc(void) { return g_argc; }

const char* rt_argv(int i) { return (i >= 0 && i < g_argc) ? g_argv[i] : NULL; }

rt_i64 rt_arg_count(void) { return g_argc; }

rt_ptr rt_arg(rt_i64 i, rt_loc loc) {
  if (i < 0 || i >= g_argc) {
    static char msg[96];
    snprintf(msg, sizeof msg, "arg(%" PRId64 "): the program has %d argument%s (0 is the program)", i, g_argc,
             g_argc == 1 ? "" : "s");
    rt_panic(msg, loc);
  }
  return rt_str_copy(g_argv[i], (int64_t)strlen(g_argv[i]));
}

rt_ptr rt_env(rt_ptr name) {
  const char* v = getenv(rts_cstr((rt_str*)name, NULL));
  return v ? rt_str_copy(v, (int64_t)strlen(v)) : rt_str_copy("", 0);
}

rt_i64 rt_monotonic_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (rt_i64)t.tv_sec * 1000000000 + t.tv_nsec;
}

rt_f64 rt_unix_time(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static rt_exit_hook_fn g_exit_hook;

void rt_exit_set_hook(rt_exit_hook_fn hook) { g_exit_hook = hook; }

_Noreturn void rt_exit(rt_i32 code) {
  if (g_exit_hook) code = g_exit_hook(code);
  fflush(stdout);
  fflush(stderr);
  exit(code);
}
