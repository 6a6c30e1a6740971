// CHECK and finish for the runtime's C tests: a failed check prints where and why and counts;
// finish ends a test with `name: ok` (exit 0) or the count of failures (exit 1).
#ifndef FUSION_TESTS_TEST_CHECK_H
#define FUSION_TESTS_TEST_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond, ...)                                               \
  do {                                                                 \
    if (!(cond)) {                                                     \
      fprintf(stderr, "%s:%d: FAIL: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                    \
      fputc('\n', stderr);                                             \
      failures++;                                                      \
    }                                                                  \
  } while (0)

static inline int finish(const char* name) {
  if (failures) {
    fprintf(stderr, "%s: %d failures\n", name, failures);
    return 1;
  }
  printf("%s: ok\n", name);
  return 0;
}

#endif
