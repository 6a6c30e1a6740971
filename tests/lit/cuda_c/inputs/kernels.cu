extern "C" __global__ void scale(int n, float a, float* x) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] = a * x[i];
}
template <typename T> __global__ void fill(T v, long long n, T* p) {
  long long i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) p[i] = v;
}
