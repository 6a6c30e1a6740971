// The runtime's DWARF 4 reader (rt_backtrace_symbolize_elf): this test's own code, built with
// -gdwarf-4 -O0 (tests.cmake), symbolizes to its functions and lines, an inlined call included;
// and mutated or truncated images never crash it (it runs inside crashes).
#include <elf.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fusion/rt_core.h"
#include "test_check.h"

static void* captured;
static int inner_line, outer_line;

__attribute__((noinline)) static void capture(void) { captured = __builtin_return_address(0); }

__attribute__((always_inline)) static inline void inner(void) {
  inner_line = __LINE__ + 1;
  capture();
}

__attribute__((noinline)) static void outer(void) {
  outer_line = __LINE__ + 1;
  inner();
}

static uint8_t* self_image;
static size_t self_size;
static uintptr_t bias;

// A symbolizer over this test's own C compile units, as the JIT installs one for its code.
static int symbolize_self(uintptr_t pc, rt_frame* frames, int max) {
  return rt_backtrace_symbolize_elf(self_image, self_size, (uint64_t)(pc - bias), NULL, frames, max);
}

// The path a signal handler takes: the stack from the faulting instruction (ucontext).
static char fault_place[256];
static int fault_found;
static int fault_line;
static sigjmp_buf after_fault;

static void on_fault(int sig, siginfo_t* info, void* ucontext) {
  (void)sig, (void)info;
  fault_found = rt_backtrace_location(ucontext, fault_place, sizeof fault_place);
  rt_backtrace_print(ucontext);
  siglongjmp(after_fault, 1);
}

__attribute__((noinline)) static void fault(volatile int* p) {
  fault_line = __LINE__ + 1;
  *p = 1;
}

static uintptr_t load_bias(void) {
  const Elf64_Phdr* ph = (const Elf64_Phdr*)getauxval(AT_PHDR);
  unsigned long n = getauxval(AT_PHNUM);
  for (unsigned long i = 0; i < n; i++)
    if (ph[i].p_type == PT_PHDR) return (uintptr_t)ph - ph[i].p_vaddr;
  return 0;
}

static uint8_t* read_self(size_t* size) {
  int fd = open("/proc/self/exe", O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) return NULL;
  uint8_t* buf = malloc((size_t)st.st_size);
  size_t got = 0;
  while (buf && got < (size_t)st.st_size) {
    ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(fd);
  *size = got;
  return buf;
}

// A section's bytes, found by name (in the unmutated image).
static void find_section(const uint8_t* elf, const char* want, size_t* off, size_t* size) {
  const Elf64_Ehdr* eh = (const Elf64_Ehdr*)elf;
  const Elf64_Shdr* sh = (const Elf64_Shdr*)(elf + eh->e_shoff);
  const char* names = (const char*)elf + sh[eh->e_shstrndx].sh_offset;
  *off = *size = 0;
  for (int i = 0; i < eh->e_shnum; i++)
    if (strcmp(names + sh[i].sh_name, want) == 0) *off = sh[i].sh_offset, *size = sh[i].sh_size;
}

int main(void) {
  outer();
  size_t size = 0;
  uint8_t* elf = read_self(&size);
  CHECK(elf && size > 0, "cannot read /proc/self/exe");
  if (!elf) return finish("backtrace_test");
  uint64_t addr = (uint64_t)((uintptr_t)captured - 1 - load_bias());
  rt_frame frames[8];
  int n = rt_backtrace_symbolize_elf(elf, size, addr, NULL, frames, 8);
  CHECK(n == 2, "%d frames", n);
  if (n == 2) {
    CHECK(strcmp(frames[0].function, "inner") == 0, "frame 0 is %s", frames[0].function);
    CHECK(strstr(frames[0].file, "backtrace_test.c") != NULL, "frame 0 in %s", frames[0].file);
    CHECK(frames[0].line == inner_line, "frame 0 at line %d, want %d", frames[0].line, inner_line);
    CHECK(strcmp(frames[1].function, "outer") == 0, "frame 1 is %s", frames[1].function);
    CHECK(frames[1].line == outer_line, "frame 1 at line %d, want %d", frames[1].line, outer_line);
  }
  // Only compile units of the named producer: none is "fusion" here.
  CHECK(rt_backtrace_symbolize_elf(elf, size, addr, "fusion", frames, 8) == 0, "a C unit taken for Fusion's");
  // Not code: nothing.
  CHECK(rt_backtrace_symbolize_elf(elf, size, 0, NULL, frames, 8) == 0, "address 0 symbolized");
  CHECK(rt_backtrace_symbolize_elf(elf, 16, addr, NULL, frames, 8) == 0, "a truncated header read");
  CHECK(rt_backtrace_symbolize_elf(NULL, 0, addr, NULL, frames, 8) == 0, "no image");
  // Mutations of the debug sections and truncations: any answer, no crash (ASan checks reads).
  const char* sections[] = {".debug_info", ".debug_abbrev", ".debug_line", ".debug_ranges", ".debug_str"};
  srand(12);
  for (int iter = 0; iter < 3000; iter++) {
    size_t off, len;
    find_section(elf, sections[iter % 5], &off, &len);
    if (len == 0) continue;
    enum { kFlips = 6 };
    size_t where[kFlips];
    uint8_t old[kFlips];
    for (int k = 0; k < kFlips; k++) {
      where[k] = off + (size_t)rand() % len;
      old[k] = elf[where[k]];
      elf[where[k]] = (uint8_t)rand();
    }
    size_t cut = iter % 7 == 0 ? (size_t)rand() % size : size;
    rt_backtrace_symbolize_elf(elf, cut, addr, NULL, frames, 8);
    for (int k = kFlips - 1; k >= 0; k--) elf[where[k]] = old[k];
  }
  // rt_backtrace_location and rt_backtrace_print from a SIGSEGV handler, with a symbolizer.
  self_image = elf;
  self_size = size;
  bias = load_bias();
  rt_backtrace_set_symbolizer(symbolize_self);
  rt_backtrace_prepare();
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);
  if (sigsetjmp(after_fault, 1) == 0) fault(NULL);
  char want[64];
  snprintf(want, sizeof want, "backtrace_test.c:%d:", fault_line);
  CHECK(fault_found == 1, "no Fusion (here: C) frame found from the ucontext");
  CHECK(strstr(fault_place, want) != NULL, "fault at %s, want %s", fault_place, want);
  // Small buffers are cut, NUL-terminated.
  char small[4] = "xyz";
  rt_backtrace_location(NULL, small, sizeof small);
  CHECK(strlen(small) < sizeof small, "not terminated");
  rt_backtrace_set_symbolizer(NULL);
  free(elf);
  return finish("backtrace_test");
}
