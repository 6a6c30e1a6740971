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

#ifdef __cplusplus
}
#endif
#endif
