// Shared by str/string.c and str/io.c.
#ifndef FUSION_STR_INTERNAL_H
#define FUSION_STR_INTERNAL_H

#include <stdarg.h>

#include "fusion/rt_string.h"

// Ends the program with a formatted message at `loc` (the panic path).
#define rts_panic rt_panicf
// A new string with printf's output.
rt_str* rts_printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// Counts a string or a file made (+1) or freed (-1), for rt_str_live.
void rts_count(int delta);
// A string's bytes as a NUL-terminated C string that lives as long as the string.
const char* rts_cstr(rt_str* s, rt_loc loc);

#endif
