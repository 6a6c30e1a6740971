// Tensor misuse ends the program through the panic path (exit code 101) with the shapes and the
// Fusion location: shapes that do not broadcast (naming the operation's node), a reshape to the
// wrong size, an index out of bounds, an axis out of range, a reduction of nothing, a matmul of
// mismatched or unsupported operands or without cuBLAS on a CUDA device, negative and too many dimensions.
#include "tensor_test_kernels.h"

static const rt_src_loc here = {"d.fu", 9, 2};

static rt_tensor* matrix(int64_t rows, int64_t cols) {
  return (rt_tensor*)rt_tensor_full(RT_DTYPE_F64, 2, (int64_t[]){rows, cols}, 0, &here);
}

static void broadcast_mismatch(void) {
  const rt_tensor* ins[] = {matrix(3, 4), (rt_tensor*)rt_tensor_full(RT_DTYPE_F64, 1, (int64_t[]){5}, 0, &here)};
  rt_tensor_run(&tk_add, ins, NULL, 0, &here);
}

// The second node (`+` at g.fu:7:11) fails: s * [2, 3] is [2, 3], and [2] does not fit it.
static void broadcast_second_node(void) {
  const rt_tensor* ins[] = {matrix(2, 3), (rt_tensor*)rt_tensor_full(RT_DTYPE_F64, 1, (int64_t[]){2}, 0, &here)};
  uint64_t s = 0;
  rt_tensor_run(&tk_axpy, ins, &s, 0, &here);
}

static void reshape_wrong_size(void) { rt_tensor_reshape(matrix(3, 4), 2, (int64_t[]){5, 2}, &here); }
static void reshape_two_inferred(void) { rt_tensor_reshape(matrix(3, 4), 2, (int64_t[]){-1, -1}, &here); }
static void index_out_of_bounds(void) { rt_tensor_get(matrix(3, 4), 2, (int64_t[]){1, 4}, &here); }
static void index_count(void) { rt_tensor_get(matrix(3, 4), 1, (int64_t[]){1}, &here); }
static void item_of_many(void) { rt_tensor_item(matrix(3, 4), &here); }
static void axis_out_of_range(void) {
  const rt_tensor* ins[] = {matrix(3, 4)};
  rt_tensor_run(&tk_sum, ins, NULL, 2, &here);
}
static void transpose_axis(void) { rt_tensor_transpose(matrix(3, 4), 0, -3, &here); }
static void max_of_empty(void) {
  const rt_tensor* ins[] = {matrix(0, 4)};
  rt_tensor_run(&tk_max, ins, NULL, RT_TENSOR_ALL_AXES, &here);
}
static void argmax_of_empty_axis(void) {
  const rt_tensor* ins[] = {matrix(0, 4)};
  rt_tensor_run(&tk_argmax, ins, NULL, 0, &here);
}
static void matmul_inner(void) { rt_tensor_matmul(matrix(2, 3), matrix(4, 5), &here); }
static void matmul_dtype(void) {
  rt_tensor* i = (rt_tensor*)rt_tensor_full(RT_DTYPE_I32, 2, (int64_t[]){2, 2}, 0, &here);
  rt_tensor_matmul(i, i, &here);
}
static void negative_dim(void) { rt_tensor_full(RT_DTYPE_F32, 2, (int64_t[]){2, -3}, 0, &here); }
static void too_many_dims(void) { rt_tensor_full(RT_DTYPE_F32, 9, (int64_t[]){1, 1, 1, 1, 1, 1, 1, 1, 1}, 0, &here); }
static void assign_no_broadcast(void) { rt_tensor_assign(matrix(3, 4), matrix(2, 4), &here); }
// On a CUDA device (the driver's test double) with no cuBLAS to load (FUSION_CUBLAS names one that
// is not there), matmul names what it tried.
static void matmul_without_cublas(void) {
  setenv("FUSION_DEVICE", "cuda", 1);
  setenv("FUSION_CUDA_DRIVER", CUDA_DOUBLE_LIB, 1);
  setenv("FUSION_CUBLAS", "/nonexistent/libcublas.so.13", 1);
  rt_tensor* a = (rt_tensor*)rt_tensor_full(RT_DTYPE_F32, 2, (int64_t[]){2, 2}, 0, &here);
  rt_tensor_matmul(a, a, &here);
}
static void rand_of_ints(void) { rt_tensor_rand(RT_DTYPE_I64, 1, 1, (int64_t[]){3}, &here); }

int main(void) {
  tk_setup();
  CHECK_DIES(broadcast_mismatch, "panic: shapes [3, 4] and [5] cannot be broadcast together (`+` at f.fu:3:9)\n"
                                 "  at f.fu:3:9\n");
  CHECK_DIES(broadcast_second_node, "panic: shapes [2, 3] and [2] cannot be broadcast together (`+` at g.fu:7:11)");
  CHECK_DIES(reshape_wrong_size, "panic: reshape: a tensor of shape [3, 4] (12 elements) cannot be reshaped to [5, 2] (10)\n"
                                 "  at d.fu:9:2\n");
  CHECK_DIES(reshape_two_inferred, "reshape: shape [-1, -1] has more than one -1");
  CHECK_DIES(index_out_of_bounds, "panic: tensor index: index 4 is out of bounds for axis 1 of a tensor of shape [3, 4]");
  CHECK_DIES(index_count, "tensor index: a tensor of shape [3, 4] takes 2 indices, not 1");
  CHECK_DIES(item_of_many, "item: the tensor has shape [3, 4] (12 elements), not one element");
  CHECK_DIES(axis_out_of_range, "panic: sum: axis 2 is out of range for a tensor of shape [3, 4]");
  CHECK_DIES(transpose_axis, "transpose: axis -3 is out of range for a tensor of shape [3, 4]");
  CHECK_DIES(max_of_empty, "panic: max of an empty tensor (shape [0, 4])");
  CHECK_DIES(argmax_of_empty_axis, "panic: argmax of an empty tensor (shape [0, 4])");
  CHECK_DIES(matmul_inner, "panic: matmul: shapes [2, 3] and [4, 5] cannot be multiplied (inner sizes 3 and 4 differ)");
  CHECK_DIES(matmul_dtype, "matmul takes two tensors of one float type (f32, f64, f16, bf16), not i32 and i32");
  CHECK_DIES(negative_dim, "full: dimension 1 of shape [2, -3] is negative");
  CHECK_DIES(too_many_dims, "full: a tensor has at most 8 dimensions, not 9");
  CHECK_DIES(assign_no_broadcast, "cannot assign a tensor of shape [2, 4] to one of shape [3, 4]");
  CHECK_DIES(rand_of_ints, "rand: the element type must be a float type, not i64");
  CHECK_DIES(matmul_without_cublas, "panic: cannot load cuBLAS for matmul on a CUDA device (FUSION_CUBLAS names the "
                                    "library); tried:\n  cannot load library `/nonexistent/libcublas.so.13`");
  return finish("tensor_die_test");
}
