// The C twin of layout.fu: prints the same sizes, alignments and offsets.
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
struct A { uint8_t a; int32_t b; uint8_t c; };
struct B { uint8_t a; double d; uint16_t e[3]; struct A f; };
struct C { bool x; int16_t y; uint8_t z[3]; void* w; };
struct D { struct A a[3]; uint8_t b; };
struct E { float f; uint8_t c; };
int main(void) {
  printf("%zu %zu %zu %zu\n", sizeof(struct A), alignof(struct A), offsetof(struct A, b), offsetof(struct A, c));
  printf("%zu %zu %zu %zu %zu\n", sizeof(struct B), alignof(struct B), offsetof(struct B, d), offsetof(struct B, e), offsetof(struct B, f));
  printf("%zu %zu %zu %zu %zu\n", sizeof(struct C), alignof(struct C), offsetof(struct C, y), offsetof(struct C, z), offsetof(struct C, w));
  printf("%zu %zu %zu\n", sizeof(struct D), alignof(struct D), offsetof(struct D, b));
  printf("%zu %zu %zu\n", sizeof(struct E), alignof(struct E), offsetof(struct E, c));
  printf("%zu %zu %zu %zu %zu %zu %zu %zu\n", sizeof(int8_t), sizeof(int16_t), sizeof(int64_t), sizeof(float), sizeof(bool), sizeof(uint8_t*), sizeof(size_t), sizeof(const char*));
  printf("%zu %zu\n", sizeof(double[7]), alignof(int16_t[5]));
  return 0;
}
