// For align.fu: over-aligned C records, as CUDA's headers have them (float4's __align__(16),
// CUtensorMap's alignas(64)), measured and passed both ways.
#include <stddef.h>
#include <stdint.h>
typedef struct __attribute__((aligned(16))) { float x, y, z, w; } V4;
typedef struct { int32_t a; } __attribute__((aligned(16))) A16;
typedef struct { uint8_t c; A16 a; uint8_t d; } HoldsA16;
typedef struct { _Alignas(64) uint64_t opaque[16]; } Map64;

size_t align_c_layout(int what) {
  switch (what) {
    case 0: return sizeof(A16);
    case 1: return _Alignof(A16);
    case 2: return sizeof(HoldsA16);
    case 3: return offsetof(HoldsA16, a);
    case 4: return offsetof(HoldsA16, d);
    case 5: return sizeof(Map64);
    default: return _Alignof(Map64);
  }
}
float align_sum(V4 v) { return v.x + v.y + v.z + v.w; }
V4 align_scale(V4 v, float k) { return (V4){v.x * k, v.y * k, v.z * k, v.w * k}; }
int align_check(const HoldsA16* h) { return ((uintptr_t)&h->a % 16 == 0) * 100 + h->a.a + h->d; }
int align_is_aligned(const Map64* m) { return (uintptr_t)m % 64 == 0 && m->opaque[15] == 15; }
