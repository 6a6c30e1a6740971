// Unions by value and by pointer through rt_ffi_call and closures: all-integer, all-float,
// mixed eightbytes, unions with arrays, a union over 16 bytes, a tagged union in a struct.
#include "ffi_shapes.h"

#define UNION_SHAPES(X) X(u8) X(uf) X(udf) X(u12) X(u16) X(u16i) X(u24) X(tagged)
UNION_SHAPES(DEFINE_SHAPE_CHECK)

int main(void) {
  UNION_SHAPES(CALL_SHAPE_CHECK)
  close_cases();
  return finish("ffi_union_test");
}
