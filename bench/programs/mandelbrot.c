/* mandelbrot (Computer Language Benchmarks Game): the Mandelbrot set on [-1.5,0.5]x[-1,1] as an
 * N x N bitmap, 50 iterations, escape at |z| > 2, 8 pixels per byte as in the PBM output.
 * Instead of writing the PBM it prints the byte count, the number of points in the set and a checksum of the bitmap bytes. */
#include <stdint.h>
#include <stdio.h>

#define N 5000
#define ITER 50

int main(void) {
    uint64_t hash = 14695981039346656037u, nbytes = 0, inside = 0;
    int bit_num = 0;
    uint32_t byte_acc = 0;
    const double limit2 = 2.0 * 2.0;
    for (int y = 0; y < N; y++) {
        double ci = 2.0 * (double)y / (double)N - 1.0;
        for (int x = 0; x < N; x++) {
            double cr = 2.0 * (double)x / (double)N - 1.5;
            double zr = 0, zi = 0, tr = 0, ti = 0;
            for (int i = 0; i < ITER && tr + ti <= limit2; i++) {
                zi = 2.0 * zr * zi + ci;
                zr = tr - ti + cr;
                tr = zr * zr;
                ti = zi * zi;
            }
            byte_acc <<= 1;
            if (tr + ti <= limit2) {
                byte_acc |= 1;
                inside++;
            }
            bit_num++;
            if (bit_num == 8 || x == N - 1) {
                byte_acc <<= 8 - bit_num;           /* pad the last byte of a row */
                uint8_t b = (uint8_t)byte_acc;
                hash = (hash ^ b) * 1099511628211u; /* FNV-1a over the bytes */
                nbytes++;
                byte_acc = 0;
                bit_num = 0;
            }
        }
    }
    printf("%llu %llu %llu\n", (unsigned long long)nbytes, (unsigned long long)inside, (unsigned long long)hash);
    return 0;
}
