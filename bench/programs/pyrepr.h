/* Prints a double the way Fusion's print() does (Python's repr()), so the C and Fusion versions
 * of a benchmark give byte-identical output. Not part of any timed loop. */
#ifndef BENCH_PYREPR_H
#define BENCH_PYREPR_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void pyrepr(double x, char *out) {
    if (isnan(x)) { strcpy(out, "nan"); return; }
    if (isinf(x)) { strcpy(out, x < 0 ? "-inf" : "inf"); return; }
    char buf[64];
    int prec = 1;
    for (; prec <= 17; prec++) {              /* shortest digits that read back exactly */
        snprintf(buf, sizeof buf, "%.*e", prec - 1, x);
        if (strtod(buf, NULL) == x) break;
    }
    char *p = buf, digits[32];
    int nd = 0, neg = 0;
    if (*p == '-') { neg = 1; p++; }
    for (; *p && *p != 'e'; p++) if (*p != '.') digits[nd++] = *p;
    int exp10 = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    digits[nd] = 0;
    int decpt = exp10 + 1;
    char *o = out;
    if (neg) *o++ = '-';
    if (decpt <= -4 || decpt > 16) {           /* scientific: d[.ddd]e+XX */
        *o++ = digits[0];
        if (nd > 1) { *o++ = '.'; memcpy(o, digits + 1, nd - 1); o += nd - 1; }
        sprintf(o, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
        return;
    }
    if (decpt <= 0) {
        *o++ = '0'; *o++ = '.';
        for (int i = 0; i < -decpt; i++) *o++ = '0';
        memcpy(o, digits, nd); o += nd;
    } else if (decpt >= nd) {
        memcpy(o, digits, nd); o += nd;
        for (int i = nd; i < decpt; i++) *o++ = '0';
        *o++ = '.'; *o++ = '0';
    } else {
        memcpy(o, digits, decpt); o += decpt;
        *o++ = '.';
        memcpy(o, digits + decpt, nd - decpt); o += nd - decpt;
    }
    *o = 0;
}

static void print_f64(double x) {
    char s[64];
    pyrepr(x, s);
    puts(s);
}
#endif
