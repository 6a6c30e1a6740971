// A header with half-precision types, for bindgen.test (declarations of inputs/half_c.c).
typedef _Float16 h16;
typedef struct { h16 a, b, c; } S3;
typedef struct { __bf16 a, b, c, d, e; } S5;
struct stored { __fp16 storage; float f; };
_Float16 hc_add(_Float16 a, _Float16 b);
__bf16 hc_badd(__bf16 a, __bf16 b);
S3 hc_s3(S3 x);
S5 hc_s5(S5 x);
