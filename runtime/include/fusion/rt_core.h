// Core runtime: program start/exit, printing, panics, heap. Declared from rt_functions.def.
#ifndef FUSION_RT_CORE_H
#define FUSION_RT_CORE_H

#include <stddef.h>

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

// A counted object (tensors, strings, files, handles): every such object starts with this header. `refs`
// counts the references; the last rt_release calls `drop`, which frees the object. An object whose
// `refs` is negative is static (a string literal's object): retain and release leave it alone.
// Counts are plain integers: an object is used by one thread at a time.
typedef struct rt_ref {
  int64_t refs;
  void (*drop)(struct rt_ref* self);
} rt_ref;

// Writes `n` bytes where print/eprint pieces go: stream 1 is stdout, 2 stderr, 0 the string that
// the innermost `format(…)` of this thread is building (rt_format_begin). Muted streams (below)
// write nothing; a format's string is never muted.
void rt_print_out(rt_i32 stream, const char* text, size_t n);

// rt_panic with a printf-style message (cut at 1,023 bytes), for the runtime's own checks.
RT_NORETURN void rt_panicf(rt_loc loc, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// Formats a float as Python's repr() does into `buf` (at least 32 bytes); returns its length.
// `is_f32` selects the shortest digits that read back to the same f32.
int rt_format_float(char* buf, double value, bool is_f32);

// LLVM's libcalls for narrowing to bf16 (core/half.c), which libgcc 12 lacks: the result is in
// the low 16 bits of the returned float's pattern, where a __bf16 result travels.
float __truncsfbf2(float x);
float __truncdfbf2(double x);

// The program's arguments as given to rt_init (argv[0] is the program).
int rt_argc(void);
const char* rt_argv(int i);

// ---- Crash reports (core/backtrace.c, core/dwarf.c) ----

// One Fusion frame: a function (inlined ones are frames too) and its place.
typedef struct rt_frame {
  char function[128];
  char file[512];  // the path as the compiler was given it, as panics print it
  int line, col;   // 0: unknown
  int flags;       // RT_FRAME_*
} rt_frame;
enum {
  RT_FRAME_ARTIFICIAL = 1,    // generated code (C `main`, C entry points): not printed
  RT_FRAME_KERNEL_ENTRY = 2,  // where the GPU executor enters a kernel (`K.cpu`, `K.block`): older
                              // frames are whichever executor thread ran the block, not printed
};
// Whether a function of this linkage name is a kernel's entry for the CPU executor.
int rt_backtrace_is_kernel_entry(const char* linkage_name);

// Symbolizes a code address `pc` (a faulting instruction, or a return address less one): writes
// up to `max` Fusion frames at that address, innermost (inlined) first, and returns how many; 0
// when `pc` is not Fusion code. Runs inside a crash: no locks that the crashing thread may hold.
typedef int (*rt_symbolizer)(uintptr_t pc, rt_frame* frames, int max);

// Installs the symbolizer of code that is not in the executable's file: `fusion run` installs
// one for the JIT's code (compiler/jit/jit.cpp). Without one, the executable's own DWARF is read
// (/proc/self/exe).
void rt_backtrace_set_symbolizer(rt_symbolizer fn);

// Prints the current thread's Fusion call stack to stderr, innermost frame first:
//   backtrace:
//     0: c at deep.fu:4:5
//     1: main at deep.fu:14:1
// Runtime and C frames are left out. `ucontext` is a signal handler's third argument (the stack
// then starts at the faulting instruction) or NULL (it starts at the caller). Nothing is printed
// when FUSION_BACKTRACE=0. Not reentrant: one thread at a time (the crash lock serializes).
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
// What rt_exit (the program's end: returning from main, or `exit`) calls first, with the code it
// was given; it returns the code to exit with. One hook (gpu_check.c's summary); set it once.
typedef int (*rt_exit_hook_fn)(int code);
void rt_exit_set_hook(rt_exit_hook_fn hook);
#ifndef __cplusplus
// Whether print and eprint are muted on this thread (while the executor re-runs a block, and in
// the second run of a launch under `--device check`).
extern _Thread_local bool rt_print_muted;
#endif

// Crash signals (core/fault.c): rt_fault_install (from rt_init) installs the handlers of SIGSEGV,
// SIGBUS, SIGILL and SIGFPE, which report the fault (`fatal: …`), the context, the backtrace
// (rt_backtrace_print with the signal's ucontext, stdout already flushed) and exit with 101.
// Every thread that runs Fusion code calls rt_fault_thread_init once: an alternate signal stack of
// its own (so that a stack overflow can be reported) and its stack's bounds.
void rt_fault_install(void);
void rt_fault_thread_init(void);

// Does ahead of a crash what the first backtrace would otherwise do inside it: loads the
// unwinder (glibc's backtrace() dlopens libgcc_s, which allocates) and maps the executable for
// its DWARF. For signal handlers' set-up; calling it is optional, and more than once is fine.
void rt_backtrace_prepare(void);

// The place of the innermost Fusion frame, "FILE:LINE:COL", into `buf` (NUL-terminated, cut to
// `n`): for a signal, where the fault happened. Returns 1, or 0 (buf empty) when no frame of the
// stack is Fusion code. `ucontext` as for rt_backtrace_print.
int rt_backtrace_location(void* ucontext, char* buf, size_t n);

// The reader behind it, for tests: symbolizes `addr` (an address in the file's own numbering)
// with the DWARF 4 of the ELF image `elf` (`size` bytes), looking only at compile units whose
// producer starts with `producer` (NULL: any). Bounds-checked: any bytes give 0 or frames.
int rt_backtrace_symbolize_elf(const void* elf, size_t size, uint64_t addr, const char* producer, rt_frame* frames,
                               int max);

#ifdef __cplusplus
}
#endif
#endif
