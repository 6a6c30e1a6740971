// Crash reports: the Fusion call stack of the current thread, printed to stderr. Return
// addresses come from the unwinder (glibc's backtrace(), through the unwind tables every Fusion
// function has); each is symbolized by the installed symbolizer (the JIT's) or by reading the
// executable's own DWARF (core/dwarf.c).
#include <elf.h>
#include <execinfo.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <ucontext.h>
#include <unistd.h>

#include "fusion/rt_core.h"

enum { kMaxAddresses = 256, kMaxInlined = 32 };

static _Atomic(rt_symbolizer) symbolizer;

void rt_backtrace_set_symbolizer(rt_symbolizer fn) { atomic_store(&symbolizer, fn); }

int rt_backtrace_is_kernel_entry(const char* linkage_name) {
  // lower_gpu.cpp names them KERNEL.cpu and KERNEL.block; Fusion functions are fusion.NAME.
  size_t n = strlen(linkage_name);
  if (strncmp(linkage_name, "fusion.", 7) == 0) return 0;
  return (n > 4 && strcmp(linkage_name + n - 4, ".cpu") == 0) || (n > 6 && strcmp(linkage_name + n - 6, ".block") == 0);
}

// ---- the executable's own DWARF ----

static const void* exe_image;  // /proc/self/exe, mapped once
static size_t exe_size;
static uintptr_t exe_bias;  // run-time address - file address (PIE)
static int exe_state;       // 0: not tried, 1: mapped, -1: unavailable

static void map_exe(void) {
  exe_state = -1;
  // The load bias, from the program headers as loaded (PT_PHDR gives their own file address).
  const Elf64_Phdr* ph = (const Elf64_Phdr*)getauxval(AT_PHDR);
  unsigned long phnum = getauxval(AT_PHNUM);
  uintptr_t bias = 0;
  for (unsigned long i = 0; ph && i < phnum; i++)
    if (ph[i].p_type == PT_PHDR) bias = (uintptr_t)ph - ph[i].p_vaddr;
  int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  struct stat st;
  if (fstat(fd, &st) == 0 && st.st_size > 0) {
    void* p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) {
      exe_image = p;
      exe_size = (size_t)st.st_size;
      exe_bias = bias;
      exe_state = 1;
    }
  }
  close(fd);
}

static int symbolize(uintptr_t pc, rt_frame* frames, int max) {
  rt_symbolizer fn = atomic_load(&symbolizer);
  if (fn) return fn(pc, frames, max);
  if (exe_state == 0) map_exe();
  if (exe_state != 1) return 0;
  return rt_backtrace_symbolize_elf(exe_image, exe_size, (uint64_t)(pc - exe_bias), "fusion", frames, max);
}

void rt_backtrace_prepare(void) {
  void* frame[1];
  backtrace(frame, 1);
  if (exe_state == 0 && !atomic_load(&symbolizer)) map_exe();
}

// ---- the stack ----

// The code addresses to symbolize, innermost first: the faulting instruction itself, then
// return addresses less one (inside the call, not after it). Returns how many.
static int stack_addresses(void* ucontext, uintptr_t* out) {
  static void* frames[kMaxAddresses];
  int n = backtrace(frames, kMaxAddresses);
  int first = 0;  // the runtime's own frames are not Fusion code: symbolizing leaves them out
  uintptr_t pc = 0;
  if (ucontext) {
    // Start at the faulting instruction: skip the handler's own frames and the kernel's.
    pc = (uintptr_t)((ucontext_t*)ucontext)->uc_mcontext.gregs[REG_RIP];
    first = n;
    for (int i = 0; i < n; i++) {
      if ((uintptr_t)frames[i] == pc) {
        first = i;
        break;
      }
    }
  }
  int count = 0;
  if (ucontext && first == n) out[count++] = pc;  // the unwinder did not get past the handler
  for (int i = first; i < n; i++) {
    uintptr_t a = (uintptr_t)frames[i];
    out[count++] = ucontext && i == first && a == pc ? a : a - 1;
  }
  return count;
}

static int enabled(void) {
  const char* v = getenv("FUSION_BACKTRACE");
  return !(v && strcmp(v, "0") == 0);
}

static int same(const rt_frame* a, const rt_frame* b) {
  return a->line == b->line && a->col == b->col && strcmp(a->function, b->function) == 0 &&
         strcmp(a->file, b->file) == 0;
}

static void print_frame(int index, const rt_frame* f) {
  if (f->line > 0)
    fprintf(stderr, "  %d: %s at %s:%d:%d\n", index, f->function, f->file, f->line, f->col);
  else
    fprintf(stderr, "  %d: %s\n", index, f->function);
}

void rt_backtrace_print(void* ucontext) {
  static uintptr_t addresses[kMaxAddresses];
  static rt_frame frames[kMaxInlined];
  static rt_frame last;
  if (!enabled()) return;
  int n = stack_addresses(ucontext, addresses);
  int index = 0, repeats = 0;
  bool entered = false;  // passed a kernel's entry: the rest is the executor's thread
  for (int i = 0; i < n && !entered; i++) {
    int k = symbolize(addresses[i], frames, kMaxInlined);
    for (int j = 0; j < k; j++) {
      if (frames[j].flags & RT_FRAME_KERNEL_ENTRY) entered = true;
      if (frames[j].flags & RT_FRAME_ARTIFICIAL) continue;
      // Unbounded recursion: one line for a run of identical frames.
      if (index > 0 && same(&frames[j], &last)) {
        repeats++;
        continue;
      }
      if (repeats) fprintf(stderr, "  ... repeated %d more time%s\n", repeats, repeats == 1 ? "" : "s");
      repeats = 0;
      if (index == 0) fprintf(stderr, "backtrace:\n");  // none at all without a Fusion frame (C code)
      print_frame(index++, &frames[j]);
      last = frames[j];
    }
  }
  if (repeats) fprintf(stderr, "  ... repeated %d more time%s\n", repeats, repeats == 1 ? "" : "s");
  if (n == kMaxAddresses && index > 0) fprintf(stderr, "  ... (older frames not shown)\n");
  fflush(stderr);
}

int rt_backtrace_location(void* ucontext, char* buf, size_t n) {
  static uintptr_t addresses[kMaxAddresses];
  static rt_frame frames[kMaxInlined];
  if (n > 0) buf[0] = 0;
  int count = stack_addresses(ucontext, addresses);
  for (int i = 0; i < count; i++) {
    int k = symbolize(addresses[i], frames, kMaxInlined);
    for (int j = 0; j < k; j++) {
      if (frames[j].flags & RT_FRAME_ARTIFICIAL) continue;
      if (n > 0) snprintf(buf, n, "%s:%d:%d", frames[j].file, frames[j].line, frames[j].col);
      return 1;
    }
  }
  return 0;
}
