// The tensor cores on the CPU executor: mma.sync and ldmatrix for a whole warp, each lane's
// fragment elements where the PTX ISA puts them (docs/gpu.md, "Tensor cores").
#include <math.h>
#include <string.h>

#include "gpu_internal.h"

typedef enum { E_F16, E_BF16, E_TF32, E_S8, E_U8 } elem_kind;

// An mma shape: m16n8k`k`, with `per_reg` elements of kind `elem` in each 32-bit register of A
// and B (the low bits hold the lower-numbered element).
typedef struct mma_shape {
  int k, per_reg;
  elem_kind elem;
} mma_shape;

static const mma_shape kShapes[] = {
    [RT_GPU_MMA_M16N8K16_F16] = {16, 2, E_F16}, [RT_GPU_MMA_M16N8K16_BF16] = {16, 2, E_BF16},
    [RT_GPU_MMA_M16N8K8_F16] = {8, 2, E_F16},   [RT_GPU_MMA_M16N8K8_BF16] = {8, 2, E_BF16},
    [RT_GPU_MMA_M16N8K8_TF32] = {8, 1, E_TF32}, [RT_GPU_MMA_M16N8K4_TF32] = {4, 1, E_TF32},
    [RT_GPU_MMA_M16N8K32_S8] = {32, 4, E_S8},   [RT_GPU_MMA_M16N8K32_U8] = {32, 4, E_U8},
    [RT_GPU_MMA_M16N8K16_S8] = {16, 4, E_S8},   [RT_GPU_MMA_M16N8K16_U8] = {16, 4, E_U8},
};

enum { A_AT = 0, B_AT = 4, C_AT = 8, D_AT = 12 };

static float bits_to_float(uint32_t bits) {
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

static uint32_t float_to_bits(float f) {
  uint32_t bits;
  memcpy(&bits, &f, sizeof bits);
  return bits;
}

// IEEE binary16 to f32 (exact).
static float half_to_float(uint32_t h) {
  uint32_t sign = (h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
  if (exp == 31) return bits_to_float(sign | 0x7f800000u | man << 13);
  float v = exp == 0 ? ldexpf((float)man, -24) : ldexpf((float)(man | 0x400), (int)exp - 25);
  return sign ? -v : v;
}

// Element `e` of a register, as a float (f16, bf16, tf32: exact) or an integer (s8, u8).
static float float_elem(elem_kind kind, uint32_t reg, int e) {
  switch (kind) {
    case E_F16: return half_to_float(reg >> (16 * e) & 0xffff);
    case E_BF16: return bits_to_float((reg >> (16 * e) & 0xffff) << 16);
    default: return bits_to_float(reg & 0xffffe000u);  // tf32: the 13 low bits are not part of it
  }
}

static int32_t int_elem(elem_kind kind, uint32_t reg, int e) {
  uint32_t byte = reg >> (8 * e) & 0xff;
  return kind == E_S8 ? (int32_t)(int8_t)byte : (int32_t)byte;
}

// D = A·B + C for the warp (PTX's fragment layouts, with g = lane / 4 and t = lane % 4):
//   A (16×k): register r, element e: row g + 8·(r % 2), column t·per_reg + e + (r / 2)·k/2
//   B (k×8):  register r, element e: row t·per_reg + e + r·k/2, column g
//   C and D (16×8): element i: row g + 8·(i / 2), column 2t + i % 2
// Floats accumulate from C over k = 0, 1, … in order, each step one fused multiply-add rounded to
// nearest even (the products of f16, bf16 and tf32 values are exact in f32); integers wrap.
static void mma(const mma_shape* s, uint32_t (*lanes)[RT_GPU_MMA_WORDS]) {
  int k = s->k, a_regs = 2 * k / (4 * s->per_reg), b_regs = k / (4 * s->per_reg);
  bool integer = s->elem == E_S8 || s->elem == E_U8;
  float fa[16][32], fb[32][8];
  int32_t ia[16][32], ib[32][8];
  for (int lane = 0; lane < RT_GPU_WARP_SIZE; lane++) {
    int g = lane / 4, t = lane % 4;
    for (int r = 0; r < a_regs; r++)
      for (int e = 0; e < s->per_reg; e++) {
        int row = g + 8 * (r % 2), col = t * s->per_reg + e + (r / 2) * (k / 2);
        uint32_t reg = lanes[lane][A_AT + r];
        if (integer) ia[row][col] = int_elem(s->elem, reg, e);
        else fa[row][col] = float_elem(s->elem, reg, e);
      }
    for (int r = 0; r < b_regs; r++)
      for (int e = 0; e < s->per_reg; e++) {
        int row = t * s->per_reg + e + r * (k / 2);
        uint32_t reg = lanes[lane][B_AT + r];
        if (integer) ib[row][g] = int_elem(s->elem, reg, e);
        else fb[row][g] = float_elem(s->elem, reg, e);
      }
  }
  for (int lane = 0; lane < RT_GPU_WARP_SIZE; lane++) {
    int g = lane / 4, t = lane % 4;
    for (int i = 0; i < 4; i++) {
      int row = g + 8 * (i / 2), col = 2 * t + i % 2;
      uint32_t c = lanes[lane][C_AT + i];
      if (integer) {
        uint32_t acc = c;
        for (int j = 0; j < k; j++) acc += (uint32_t)(ia[row][j] * ib[j][col]);
        lanes[lane][D_AT + i] = acc;
      } else {
        float acc = bits_to_float(c);
        for (int j = 0; j < k; j++) acc = fmaf(fa[row][j], fb[j][col], acc);
        lanes[lane][D_AT + i] = float_to_bits(acc);
      }
    }
  }
}

static const char* row_address(uint32_t (*lanes)[RT_GPU_MMA_WORDS], int lane) {
  return (const char*)(uintptr_t)((uint64_t)lanes[lane][0] | (uint64_t)lanes[lane][1] << 32);
}

// ldmatrix.sync.aligned.m8n8.xN[.trans].b16: matrix j (of N) has its 8 rows of 8 16-bit elements
// at the addresses of lanes 8j … 8j+7; lane l gets, in register j, the elements (l / 4, 2·(l % 4))
// and (l / 4, 2·(l % 4) + 1) of it, or with .trans those of its transpose.
static void ldmatrix(int n, bool trans, uint32_t (*lanes)[RT_GPU_MMA_WORDS]) {
  uint32_t out[RT_GPU_WARP_SIZE][4];
  for (int lane = 0; lane < RT_GPU_WARP_SIZE; lane++)
    for (int j = 0; j < n; j++) {
      int r = lane / 4, c = 2 * (lane % 4);
      uint16_t lo, hi;
      if (trans) {
        memcpy(&lo, row_address(lanes, 8 * j + c) + 2 * r, 2);
        memcpy(&hi, row_address(lanes, 8 * j + c + 1) + 2 * r, 2);
      } else {
        memcpy(&lo, row_address(lanes, 8 * j + r) + 2 * c, 2);
        memcpy(&hi, row_address(lanes, 8 * j + r) + 2 * c + 2, 2);
      }
      out[lane][j] = (uint32_t)lo | (uint32_t)hi << 16;
    }
  for (int lane = 0; lane < RT_GPU_WARP_SIZE; lane++)
    for (int j = 0; j < n; j++) lanes[lane][D_AT + j] = out[lane][j];
}

int rtgpu_tensor_core(int kind, uint32_t (*lanes)[RT_GPU_MMA_WORDS], const char* shared, size_t shared_bytes) {
  if (kind < RT_GPU_LDMATRIX_X1) {
    mma(&kShapes[kind], lanes);
    return -1;
  }
  int index = kind - RT_GPU_LDMATRIX_X1, n = index % 3 == 0 ? 1 : index % 3 == 1 ? 2 : 4;
  // Each row the operation reads lies inside the block's shared memory, 16-byte aligned.
  for (int lane = 0; lane < 8 * n; lane++) {
    const char* p = row_address(lanes, lane);
    if (((uintptr_t)p & 15) || !shared || p < shared || p + 16 > shared + shared_bytes) return lane;
  }
  ldmatrix(n, index >= 3, lanes);
  return -1;
}
