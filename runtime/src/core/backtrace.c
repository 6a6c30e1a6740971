// Crash reports: the call stack of the current thread, printed to stderr.
#include <dlfcn.h>
#include <execinfo.h>
#include <stdint.h>
#include <stdio.h>
#include <ucontext.h>

#include "fusion/rt_core.h"

enum { kMaxFrames = 64 };

void rt_backtrace_print(void* ucontext) {
  void* frames[kMaxFrames];
  int n = backtrace(frames, kMaxFrames);
  int first = 1;  // frames[0] is this function
  if (ucontext) {
    // Start at the faulting instruction: skip the handler's own frames and the kernel's.
    void* pc = (void*)((ucontext_t*)ucontext)->uc_mcontext.gregs[REG_RIP];
    for (int i = 0; i < n; i++) {
      if (frames[i] == pc) {
        first = i;
        break;
      }
    }
  }
  fprintf(stderr, "backtrace:\n");
  for (int i = first; i < n; i++) {
    Dl_info info;
    const char* name = dladdr(frames[i], &info) && info.dli_sname ? info.dli_sname : "??";
    fprintf(stderr, "  #%d %p in %s\n", i - first, frames[i], name);
  }
  fflush(stderr);
}
