// Type descriptors: sizes, alignments and offsets equal to the C compiler's; SysV classification;
// interning; queries and text form.
#include "ffi_shapes.h"

static void check_shapes(void) {
  for (size_t i = 0; i < NSHAPES; i++) {
    const shape_info* s = &g_shapes[i];
    const rt_ffi_type* t = s->build();
    CHECK(t != NULL, "%s: %s", s->name, rt_ffi_last_error());
    if (!t) continue;
    CHECK(rt_ffi_type_size(t) == s->size, "%s: size %zu, C says %zu", s->name, rt_ffi_type_size(t),
          s->size);
    CHECK(rt_ffi_type_align(t) == s->align, "%s: align %zu, C says %zu", s->name,
          rt_ffi_type_align(t), s->align);
    bool is_union = rt_ffi_type_kind(t) == RT_FFI_UNION;
    CHECK(rt_ffi_type_count(t) == s->noffsets || is_union, "%s: %zu members", s->name,
          rt_ffi_type_count(t));
    for (size_t m = 0; m < s->noffsets && !is_union; m++)
      CHECK(rt_ffi_type_offset(t, m) == s->offsets[m], "%s: member %zu at %zu, C says %zu", s->name,
            m, rt_ffi_type_offset(t, m), s->offsets[m]);
    rt_ffi_class classes[2] = {0, 0};
    int n = rt_ffi_type_classify(t, classes);
    CHECK(n == s->nclasses, "%s: %d eightbytes in registers, want %d", s->name, n, s->nclasses);
    for (int e = 0; e < n && n == s->nclasses; e++)
      CHECK(classes[e] == s->classes[e], "%s: eightbyte %d has class %d, want %d", s->name, e,
            classes[e], s->classes[e]);
  }
}

// Layouts not among the shapes: padding between and after members, nested arrays.
static void check_layout_rules(void) {
  typedef struct {
    int8_t a;
    int64_t b;
    int8_t c;
  } pad3;
  const rt_ffi_type* t = ST(T(I8), T(I64), T(I8));
  CHECK(rt_ffi_type_size(t) == sizeof(pad3) && rt_ffi_type_offset(t, 1) == offsetof(pad3, b) &&
            rt_ffi_type_offset(t, 2) == offsetof(pad3, c),
        "pad3");
  typedef struct {
    int16_t a;
    int8_t b[3];
  } short_bytes;
  t = ST(T(I16), AR(T(I8), 3));
  CHECK(rt_ffi_type_size(t) == sizeof(short_bytes) && rt_ffi_type_align(t) == 2, "short_bytes");
  typedef struct {
    double m[3][2];
    int8_t tag;
  } matrix;
  t = ST(AR(AR(T(F64), 2), 3), T(I8));
  CHECK(rt_ffi_type_size(t) == sizeof(matrix) && rt_ffi_type_offset(t, 1) == offsetof(matrix, tag),
        "matrix");
  typedef union {
    int8_t c[5];
    int32_t i;
  } u5;
  t = UN(AR(T(I8), 5), T(I32));
  CHECK(rt_ffi_type_size(t) == sizeof(u5) && rt_ffi_type_align(t) == _Alignof(u5), "u5 %zu",
        rt_ffi_type_size(t));
  typedef struct {
    bool b;
    void* p;
    size_t n;
    intptr_t d;
    const char* s;
  } mixed;
  t = ST(T(BOOL), T(POINTER), T(USIZE), T(ISIZE), T(CSTRING));
  CHECK(rt_ffi_type_size(t) == sizeof(mixed) && rt_ffi_type_offset(t, 4) == offsetof(mixed, s),
        "mixed");
  CHECK(rt_ffi_type_size(T(BOOL)) == 1 && rt_ffi_type_align(T(F64)) == 8 &&
            rt_ffi_type_size(T(VOID)) == 0 && rt_ffi_type_size(T(USIZE)) == sizeof(size_t),
        "primitive sizes");
  // Arrays: size, element, offsets; not passable by value.
  const rt_ffi_type* arr = AR(T(I32), 7);
  CHECK(rt_ffi_type_size(arr) == 28 && rt_ffi_type_align(arr) == 4 && rt_ffi_type_count(arr) == 7,
        "array");
  CHECK(rt_ffi_type_elem(arr, 0) == T(I32) && rt_ffi_type_offset(arr, 3) == 12, "array elem");
  rt_ffi_class classes[2];
  CHECK(rt_ffi_type_classify(arr, classes) == -1, "arrays are not passed by value");
  CHECK(rt_ffi_type_classify(T(VOID), classes) == -1, "void is not passed");
  CHECK(rt_ffi_type_classify(T(F32), classes) == 1 && classes[0] == RT_FFI_CLASS_SSE, "f32");
  CHECK(rt_ffi_type_classify(T(CSTRING), classes) == 1 && classes[0] == RT_FFI_CLASS_INTEGER,
        "cstring");
}

static void check_interning(void) {
  const rt_ffi_type* a = ST(T(I32), T(F64));
  const rt_ffi_type* b = ST(T(I32), T(F64));
  CHECK(a == b, "the same struct built twice gives one descriptor");
  CHECK(a != UN(T(I32), T(F64)), "a union is not the struct of the same members");
  CHECK(a != ST(T(F64), T(I32)), "member order matters");
  CHECK(AR(T(U8), 4) == AR(T(U8), 4) && AR(T(U8), 4) != AR(T(U8), 5), "arrays");
  const rt_ffi_type* pi = rt_ffi_type_pointer(T(I32));
  CHECK(pi == rt_ffi_type_pointer(T(I32)) && pi != T(POINTER), "typed pointers");
  CHECK(rt_ffi_type_pointer(NULL) == T(POINTER), "void* is the plain pointer");
  CHECK(rt_ffi_type_pointer(T(VOID)) == T(POINTER), "*void is the plain pointer");
  CHECK(rt_ffi_type_elem(pi, 0) == T(I32) && rt_ffi_type_size(pi) == 8, "pointee");
  // A self-describing list node: struct { i64 value; *void next; }
  const rt_ffi_type* node = ST(T(I64), rt_ffi_type_pointer(NULL));
  CHECK(rt_ffi_type_size(node) == 16, "node");
}

static void check_format(void) {
  char buf[128];
  struct {
    const rt_ffi_type* t;
    const char* want;
  } cases[] = {
      {T(I32), "i32"},
      {T(CSTRING), "cstring"},
      {T(POINTER), "*void"},
      {rt_ffi_type_pointer(rt_ffi_type_pointer(T(F64))), "**f64"},
      {AR(T(U8), 128), "[u8; 128]"},
      {ST(T(I32), AR(T(F32), 3), T(POINTER)), "{i32, [f32; 3], *void}"},
      {UN(T(I64), T(F64)), "union {i64, f64}"},
      {ST(ST(T(F32), T(F32)), T(BOOL)), "{{f32, f32}, bool}"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t n = rt_ffi_type_format(cases[i].t, buf, sizeof buf);
    CHECK(strcmp(buf, cases[i].want) == 0 && n == strlen(cases[i].want), "format: %s, want %s", buf,
          cases[i].want);
  }
  // Truncation like snprintf.
  size_t n = rt_ffi_type_format(ST(T(I32), T(I64)), buf, 5);
  CHECK(n == strlen("{i32, i64}") && strcmp(buf, "{i32") == 0, "truncated: %s (%zu)", buf, n);
}

int main(void) {
  check_shapes();
  check_layout_rules();
  check_interning();
  check_format();
  return finish("ffi_layout_test");
}
