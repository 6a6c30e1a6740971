// The dying process: one lock that every fatal report takes (panics, kernel hazards, crash
// signals), and the handlers of SIGSEGV, SIGBUS, SIGILL and SIGFPE.
//
// Exactly one report is printed however many threads fail at once: the first thread to call
// rt_die_begin wins, any other parks for ever. The winner flushes stdout, prints its report,
// flushes stderr and ends the process with _exit(101): never exit(), whose atexit handlers and
// static destructors (the JIT's, under `fusion run`) would run while other threads still execute
// the program's code.
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "fusion/rt_core.h"
#include "fusion/rt_string.h"

// --- The dying lock -----------------------------------------------------------------------------

static atomic_int g_dying;                    // 0, then 1 once a thread has begun its report
static _Thread_local bool g_this_thread_dies;  // the winner (a fault inside its own report)
static rt_die_hook_fn g_context, g_interrupt;

static _Noreturn void park(void) {
  for (;;) pause();
}

// Flushes stdout unless another thread holds its lock for a whole second: a thread parked (above)
// in the middle of printing keeps it for ever, and the report must still come out.
static void flush_stdout(void) {
  for (int i = 0; i < 1000; i++) {
    if (ftrylockfile(stdout) == 0) {  // also when this thread holds it already
      fflush_unlocked(stdout);
      funlockfile(stdout);
      return;
    }
    struct timespec ms = {0, 1000 * 1000};
    nanosleep(&ms, NULL);
  }
}

void rt_die_begin(void) {
  if (g_interrupt) g_interrupt(RT_DIE_REPORT);
  if (g_this_thread_dies) {
    // A failure inside this thread's own report: say so and end without it.
    static const char msg[] = "\nfatal: a second failure while reporting the first\n";
    ssize_t ignored = write(2, msg, sizeof msg - 1);
    (void)ignored;
    _exit(101);
  }
  int expected = 0;
  if (!atomic_compare_exchange_strong(&g_dying, &expected, 1)) park();
  g_this_thread_dies = true;
  flush_stdout();
}

_Noreturn void rt_die_exit(void) {
  flush_stdout();
  rt_files_flush();  // what the program wrote to its files (io.create/append) reaches them
  fflush(stderr);
  _exit(101);
}

void rt_die_set_hooks(rt_die_hook_fn context, rt_die_hook_fn interrupt) {
  g_context = context;
  g_interrupt = interrupt;
}

void rt_die_print_context(rt_die_cause cause) {
  if (g_context) g_context(cause);
}

// --- Crash signals ------------------------------------------------------------------------------

// The handler's own stack; faults below this address are null pointer dereferences; a fault this
// close to the stack pointer, or this far below the thread's stack, is a stack overflow.
enum { ALT_STACK_SIZE = 1024 * 1024, NULL_PAGE = 4096, NEAR_SP = 64 * 1024, BELOW_STACK = 1024 * 1024 };

// This thread's stack, for telling a stack overflow from other faults; zero when unknown.
static _Thread_local uintptr_t g_stack_lo, g_stack_hi;
static _Thread_local bool g_thread_ready;

void rt_fault_thread_init(void) {
  if (g_thread_ready) return;
  g_thread_ready = true;
  // An alternate stack of its own, so that the handler can run when the thread's stack is full.
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  char* mem = mmap(NULL, ALT_STACK_SIZE + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem != MAP_FAILED) {
    mprotect(mem, page, PROT_NONE);  // a guard page below it
    stack_t ss = {.ss_sp = mem + page, .ss_size = ALT_STACK_SIZE, .ss_flags = 0};
    sigaltstack(&ss, NULL);
  }
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* addr;
    size_t size;
    if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
      g_stack_lo = (uintptr_t)addr;
      g_stack_hi = (uintptr_t)addr + size;
    }
    pthread_attr_destroy(&attr);
  }
}

// A fault just below the stack's end, or close to the stack pointer (a fiber's stack, whose
// guard page the thread's bounds do not know), is the stack running out.
static bool is_stack_overflow(uintptr_t addr, uintptr_t sp) {
  if (g_stack_lo && addr < g_stack_lo + NULL_PAGE && addr + BELOW_STACK >= g_stack_lo) return true;
  return addr + NEAR_SP >= sp && addr <= sp + NEAR_SP;
}

// A fault the hardware reported (not a signal sent by kill or raise, not a general protection
// fault, whose address the kernel does not give).
static bool has_address(const siginfo_t* info) { return info->si_code > 0 && info->si_code != SI_KERNEL; }

static rt_die_cause cause_of(int sig, const siginfo_t* info, const ucontext_t* uc) {
  uintptr_t addr = (uintptr_t)info->si_addr, sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
  if (sig == SIGSEGV && has_address(info) && addr >= NULL_PAGE && is_stack_overflow(addr, sp))
    return RT_DIE_STACK_OVERFLOW;
  return RT_DIE_FAULT;
}

static void describe(int sig, const siginfo_t* info, rt_die_cause cause) {
  uintptr_t addr = (uintptr_t)info->si_addr;
  if (info->si_code <= 0) {  // SI_USER, SI_TKILL, SI_QUEUE…: nothing faulted
    const char* name = sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS" : sig == SIGILL ? "SIGILL" : "SIGFPE";
    fprintf(stderr, "fatal: %s sent by kill or raise\n", name);
    return;
  }
  switch (sig) {
    case SIGSEGV: {
      if (info->si_code == SI_KERNEL)
        fprintf(stderr, "fatal: segmentation fault: general protection fault (a non-canonical address?)\n");
      else if (addr < NULL_PAGE)
        fprintf(stderr, "fatal: segmentation fault: null pointer dereference (address 0x%lx)\n", (unsigned long)addr);
      else if (cause == RT_DIE_STACK_OVERFLOW)
        fprintf(stderr, "fatal: stack overflow\n");
      else if (info->si_code == SEGV_ACCERR)
        fprintf(stderr, "fatal: segmentation fault: access not permitted at address 0x%lx\n", (unsigned long)addr);
      else
        fprintf(stderr, "fatal: segmentation fault: no memory at address 0x%lx\n", (unsigned long)addr);
      break;
    }
    case SIGBUS: fprintf(stderr, "fatal: bus error at address 0x%lx\n", (unsigned long)addr); break;
    case SIGILL: fprintf(stderr, "fatal: illegal instruction at address 0x%lx\n", (unsigned long)addr); break;
    case SIGFPE:
      if (info->si_code == FPE_INTDIV) fprintf(stderr, "fatal: arithmetic exception: integer division by zero\n");
      else if (info->si_code == FPE_INTOVF) fprintf(stderr, "fatal: arithmetic exception: integer overflow\n");
      else fprintf(stderr, "fatal: arithmetic exception at address 0x%lx\n", (unsigned long)addr);
      break;
  }
}

static void on_fault(int sig, siginfo_t* info, void* ucontext) {
  if (g_interrupt) g_interrupt(RT_DIE_FAULT);
  rt_die_begin();
  rt_die_cause cause = cause_of(sig, info, ucontext);
  describe(sig, info, cause);
  char where[512];
  if (rt_backtrace_location(ucontext, where, sizeof where)) fprintf(stderr, "  at %s\n", where);
  rt_die_print_context(cause);
  rt_backtrace_print(ucontext);
  rt_die_exit();
}

static pthread_once_t g_install_once = PTHREAD_ONCE_INIT;

static void install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  // SA_NODEFER: a fault inside the report reaches rt_die_begin (which ends the process) instead
  // of the kernel killing it with the signal blocked.
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  const int signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) sigaction(signals[i], &sa, NULL);
}

void rt_fault_install(void) {
  rt_backtrace_prepare();  // what the first backtrace would do inside a crash (dlopen, mmap)
  pthread_once(&g_install_once, install);
  rt_fault_thread_init();
}
