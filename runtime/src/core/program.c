// Program start and exit: keeps argv, installs the crash handlers, flushes stdio on every way out.
#include <stdio.h>
#include <stdlib.h>

#include "fusion/rt_core.h"

static int g_argc;
static char** g_argv;

void rt_init(rt_i32 argc, rt_ptr argv) {
  g_argc = argc;
  g_argv = (char**)argv;
  rt_fault_install();
}

int rt_argc(void) { return g_argc; }

const char* rt_argv(int i) { return (i >= 0 && i < g_argc) ? g_argv[i] : NULL; }

_Noreturn void rt_exit(rt_i32 code) {
  fflush(stdout);
  fflush(stderr);
  exit(code);
}
