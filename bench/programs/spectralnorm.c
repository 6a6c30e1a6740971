/* spectral-norm (Computer Language Benchmarks Game): the spectral norm of an infinite matrix A,
 * a(i,j) = 1/((i+j)(i+j+1)/2 + i + 1), by 10 steps of the power method on A^T A. */
#include <math.h>
#include "pyrepr.h"

#define N 5500

static double u[N], v[N], tmp[N];

static double eval_a(int i, int j) { return 1.0 / (double)((i + j) * (i + j + 1) / 2 + i + 1); }

static void mul_av(const double *x, double *out) {
    for (int i = 0; i < N; i++) {
        double sum = 0;
        for (int j = 0; j < N; j++) sum += eval_a(i, j) * x[j];
        out[i] = sum;
    }
}

static void mul_atv(const double *x, double *out) {
    for (int i = 0; i < N; i++) {
        double sum = 0;
        for (int j = 0; j < N; j++) sum += eval_a(j, i) * x[j];
        out[i] = sum;
    }
}

static void mul_atav(const double *x, double *out) {
    mul_av(x, tmp);
    mul_atv(tmp, out);
}

int main(void) {
    for (int i = 0; i < N; i++) u[i] = 1.0;
    for (int i = 0; i < 10; i++) {
        mul_atav(u, v);
        mul_atav(v, u);
    }
    double vbv = 0, vv = 0;
    for (int i = 0; i < N; i++) {
        vbv += u[i] * v[i];
        vv += v[i] * v[i];
    }
    print_f64(sqrt(vbv / vv));
    return 0;
}
