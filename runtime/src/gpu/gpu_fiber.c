// Fibers for the CPU executor: a stack each and a hand-written x86-64 context switch (far cheaper
// than swapcontext, which makes a system call for the signal mask on every switch).
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gpu_internal.h"

#if defined(__SANITIZE_ADDRESS__)
#define RTGPU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RTGPU_ASAN 1
#endif
#endif
#ifdef RTGPU_ASAN
void __sanitizer_start_switch_fiber(void** fake_stack_save, const void* bottom, size_t size);
void __sanitizer_finish_switch_fiber(void* fake_stack_save, const void** bottom_old, size_t* size_old);
#endif

// rtgpu_switch(&from->sp, to->sp): push the callee-saved state, store rsp, load the other, pop.
void rtgpu_switch(void** save_sp, void* load_sp);
// The first code a fiber runs: its fiber pointer is in r12, its C entry in r13.
void rtgpu_fiber_start(void);
__asm__(
    ".text\n"
    ".globl rtgpu_switch\n"
    ".hidden rtgpu_switch\n"
    ".type rtgpu_switch,@function\n"
    "rtgpu_switch:\n"
    "  pushq %rbp\n"
    "  pushq %rbx\n"
    "  pushq %r12\n"
    "  pushq %r13\n"
    "  pushq %r14\n"
    "  pushq %r15\n"
    "  subq $8, %rsp\n"
    "  stmxcsr (%rsp)\n"
    "  fnstcw 4(%rsp)\n"
    "  movq %rsp, (%rdi)\n"
    "  movq %rsi, %rsp\n"
    "  ldmxcsr (%rsp)\n"
    "  fldcw 4(%rsp)\n"
    "  addq $8, %rsp\n"
    "  popq %r15\n"
    "  popq %r14\n"
    "  popq %r13\n"
    "  popq %r12\n"
    "  popq %rbx\n"
    "  popq %rbp\n"
    "  ret\n"
    ".size rtgpu_switch, .-rtgpu_switch\n"
    ".globl rtgpu_fiber_start\n"
    ".hidden rtgpu_fiber_start\n"
    ".type rtgpu_fiber_start,@function\n"
    "rtgpu_fiber_start:\n"
    "  movq %r12, %rdi\n"
    "  callq *%r13\n"
    "  ud2\n"
    ".size rtgpu_fiber_start, .-rtgpu_fiber_start\n");

// Runs the fiber's entry; a fiber never returns from here (the executor switches away from it
// for the last time when its thread has finished).
static void fiber_main(rtgpu_fiber* f) {
#ifdef RTGPU_ASAN
  __sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
  f->entry(f->arg);
  __builtin_trap();  // entry must switch away instead of returning
}

bool rtgpu_fiber_init(rtgpu_fiber* f, size_t stack_size, void (*entry)(void*), void* arg) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  stack_size = (stack_size + page - 1) / page * page;
  if (!f->stack || f->stack_size != stack_size) {
    rtgpu_fiber_release(f);
    // One guard page below the stack turns an overflow into a fault instead of corruption.
    void* mem = mmap(NULL, stack_size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                     -1, 0);
    if (mem == MAP_FAILED) return false;
    mprotect(mem, page, PROT_NONE);
    f->stack = (char*)mem + page;
    f->stack_size = stack_size;
  }
  f->entry = entry;
  f->arg = arg;
  f->asan_stack = f->stack;
  f->asan_size = f->stack_size;
  // The initial frame rtgpu_switch pops: MXCSR/x87 word, r15..r12, rbx, rbp, return address.
  uintptr_t top = ((uintptr_t)f->stack + f->stack_size) & ~(uintptr_t)15;
  uint64_t* sp = (uint64_t*)top;
  // After the pops and `ret`, rsp is `top`: 16-byte aligned at rtgpu_fiber_start's call, as the ABI wants.
  *--sp = (uint64_t)(uintptr_t)rtgpu_fiber_start;  // return address
  *--sp = 0;                              // rbp
  *--sp = 0;                              // rbx
  *--sp = (uint64_t)(uintptr_t)f;         // r12: the fiber
  *--sp = (uint64_t)(uintptr_t)fiber_main;  // r13: where to go
  *--sp = 0;                              // r14
  *--sp = 0;                              // r15
  uint32_t mxcsr;
  uint16_t fpucw;
  __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
  __asm__ volatile("fnstcw %0" : "=m"(fpucw));
  *--sp = (uint64_t)mxcsr | ((uint64_t)fpucw << 32);
  f->sp = sp;
  return true;
}

void rtgpu_fiber_release(rtgpu_fiber* f) {
  if (!f->stack) return;
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  munmap((char*)f->stack - page, f->stack_size + page);
  f->stack = NULL;
}

void rtgpu_fiber_switch(rtgpu_fiber* from, rtgpu_fiber* to) {
#ifdef RTGPU_ASAN
  void* fake = NULL;
  __sanitizer_start_switch_fiber(&fake, to->asan_stack, to->asan_size);
  rtgpu_switch(&from->sp, to->sp);
  __sanitizer_finish_switch_fiber(fake, &from->asan_stack, &from->asan_size);
#else
  rtgpu_switch(&from->sp, to->sp);
#endif
}
