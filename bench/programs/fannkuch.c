/* fannkuch-redux (Computer Language Benchmarks Game): for every permutation of 1..N (in the order
 * of the classic count-array generator), count the prefix reversals ("pancake flips") until the
 * first element is 1; print the alternating checksum and the maximum flip count. */
#include <stdio.h>

#define N 11

int main(void) {
    int perm[N], perm1[N], count[N];
    int max_flips = 0, checksum = 0, perm_count = 0;
    for (int i = 0; i < N; i++) perm1[i] = i;
    int r = N;
    for (;;) {
        while (r != 1) {
            count[r - 1] = r;
            r--;
        }
        for (int i = 0; i < N; i++) perm[i] = perm1[i];
        int flips = 0;
        int k;
        while ((k = perm[0]) != 0) {
            int k2 = (k + 1) >> 1;
            for (int i = 0; i < k2; i++) {
                int t = perm[i];
                perm[i] = perm[k - i];
                perm[k - i] = t;
            }
            flips++;
        }
        if (flips > max_flips) max_flips = flips;
        checksum += perm_count % 2 == 0 ? flips : -flips;
        /* next permutation */
        for (;;) {
            if (r == N) {
                printf("%d\nPfannkuchen(%d) = %d\n", checksum, N, max_flips);
                return 0;
            }
            int perm0 = perm1[0];
            for (int i = 0; i < r; i++) perm1[i] = perm1[i + 1];
            perm1[r] = perm0;
            count[r]--;
            if (count[r] > 0) break;
            r++;
        }
        perm_count++;
    }
}
