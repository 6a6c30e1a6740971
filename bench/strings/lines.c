// lines.fu's twin: getline, memchr, strtoll, memmem.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  FILE* f = fopen(argv[1], "r");
  if (!f) { perror(argv[1]); return 1; }
  char* line = NULL;
  size_t cap = 0;
  ssize_t len;
  long long sum = 0, count = 0, n = 0;
  while ((len = getline(&line, &cap, f)) >= 0) {
    if (len > 0 && line[len - 1] == '\n') line[--len] = 0;
    char* comma = memchr(line, ',', (size_t)len);
    sum += strtoll(comma + 1, NULL, 10);
    if (memmem(line, (size_t)(comma - line), "77", 2)) count++;
    n++;
  }
  free(line);
  fclose(f);
  printf("%lld %lld %lld\n", n, sum, count);
  return 0;
}
