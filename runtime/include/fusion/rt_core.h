// Core runtime: program start/exit, printing, panics, heap. Declared from rt_functions.def.
#ifndef FUSION_RT_CORE_H
#define FUSION_RT_CORE_H

#include "fusion/rt_types.h"

#ifdef __cplusplus
#define RT_NORETURN [[noreturn]]
extern "C" {
#else
#define RT_NORETURN _Noreturn
#endif

#define RT_FN(name, ret, ...) ret name(__VA_ARGS__);
#define RT_FN_NORETURN(name, ...) RT_NORETURN void name(__VA_ARGS__);
#include "fusion/rt_functions.def"

// Formats a float as Python's repr() does into `buf` (at least 32 bytes); returns its length.
// `is_f32` selects the shortest digits that read back to the same f32.
int rt_format_float(char* buf, double value, bool is_f32);

// The program's arguments as given to rt_init (argv[0] is the program).
int rt_argc(void);
const char* rt_argv(int i);

// Crash reports (core/backtrace.c): prints the current thread's call stack to stderr, innermost
// frame first. `ucontext` is a signal handler's third argument (the stack then starts at the
// faulting instruction) or NULL (it starts at the caller of rt_backtrace_print).
void rt_backtrace_print(void* ucontext);

// The dying process (core/fault.c): every report that ends the program (a panic, a kernel hazard,
// a crash signal) starts with rt_die_begin and ends with rt_die_exit. The first thread to call
// rt_die_begin goes on (after flushing stdout); any other parks for ever, so one report is printed
// however many threads fail at once. rt_die_exit flushes stdout and stderr and ends the process
// with _exit(101): no atexit handlers or static destructors, which would run under threads that
// still execute the program (and, under `fusion run`, tear down the JIT beneath them).
void rt_die_begin(void);
RT_NORETURN void rt_die_exit(void);
// What ends the program: a report (a panic, a hazard, an error), a crash signal, a stack overflow.
typedef enum rt_die_cause { RT_DIE_REPORT, RT_DIE_FAULT, RT_DIE_STACK_OVERFLOW } rt_die_cause;
// What a report adds about the code this thread runs (the CPU executor: the kernel, its launch,
// the block and thread), printed by rt_die_print_context: whole lines to stderr, or nothing when
// the thread runs no kernel. `interrupt` is called first thing by rt_die_begin and by the crash
// handler, before the lock: the executor's way back from re-running a block to find the thread
// that faulted (gpu_cpu.c). Set once, before any thread can fail.
typedef void (*rt_die_hook_fn)(rt_die_cause cause);
void rt_die_set_hooks(rt_die_hook_fn context, rt_die_hook_fn interrupt);
void rt_die_print_context(rt_die_cause cause);
#ifndef __cplusplus
// Whether print and eprint are muted on this thread (while the executor re-runs a block).
extern _Thread_local bool rt_print_muted;
#endif

// Crash signals (core/fault.c): rt_fault_install (from rt_init) installs the handlers of SIGSEGV,
// SIGBUS, SIGILL and SIGFPE, which report the fault (`fatal: …`), the context, the backtrace
// (rt_backtrace_print with the signal's ucontext, stdout already flushed) and exit with 101.
// Every thread that runs Fusion code calls rt_fault_thread_init once: an alternate signal stack of
// its own (so that a stack overflow can be reported) and its stack's bounds.
void rt_fault_install(void);
void rt_fault_thread_init(void);

#ifdef __cplusplus
}
#endif
#endif
