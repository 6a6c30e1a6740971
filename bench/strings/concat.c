// concat.fu's twin: snprintf each number into a buffer that doubles.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  long long n = atoll(argv[1]);
  size_t cap = 16, len = 0;
  char* s = malloc(cap);
  for (long long i = 0; i < n; i++) {
    char num[32];
    int k = snprintf(num, sizeof num, "%lld,", i);
    if (len + (size_t)k + 1 > cap) {
      while (len + (size_t)k + 1 > cap) cap *= 2;
      s = realloc(s, cap);
    }
    memcpy(s + len, num, (size_t)k);
    len += (size_t)k;
  }
  long long check = 0;
  for (size_t i = 0; i < len; i++) check = (check * 31 + (unsigned char)s[i]) % 1000000007;
  printf("%zu %lld\n", len, check);
  free(s);
  return 0;
}
