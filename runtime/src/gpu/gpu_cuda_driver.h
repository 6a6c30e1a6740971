// The part of the CUDA driver API (cuda.h) that the CUDA device uses, declared here so that
// Fusion builds without the toolkit: handle types, the enum values (the ABI values of cuda.h,
// CUDA 13), and the signatures of the entry points as the driver exports them (the `_v2` names
// where cuda.h maps a name to one). Shared with the driver's test double (tests/cuda_double),
// which exports these entry points.
#ifndef FUSION_GPU_CUDA_DRIVER_H
#define FUSION_GPU_CUDA_DRIVER_H

#include <stddef.h>

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef struct CUctx_st* CUcontext;
typedef struct CUmod_st* CUmodule;
typedef struct CUfunc_st* CUfunction;
typedef struct CUstream_st* CUstream;
typedef struct CUevent_st* CUevent;
typedef struct CUmemPoolHandle_st* CUmemoryPool;
typedef struct CUlinkState_st* CUlinkState;

enum {
  CUDA_SUCCESS = 0,
  CUDA_ERROR_INVALID_VALUE = 1,
  CUDA_ERROR_OUT_OF_MEMORY = 2,
  CUDA_ERROR_NOT_INITIALIZED = 3,
  CUDA_ERROR_NO_DEVICE = 100,
  CUDA_ERROR_INVALID_DEVICE = 101,
  CUDA_ERROR_INVALID_IMAGE = 200,
  CUDA_ERROR_NO_BINARY_FOR_GPU = 209,
  CUDA_ERROR_INVALID_CONTEXT = 201,
  CUDA_ERROR_INVALID_PTX = 218,
  CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222,
  CUDA_ERROR_INVALID_HANDLE = 400,
  CUDA_ERROR_NOT_FOUND = 500,
  CUDA_ERROR_NOT_READY = 600,
  // 700 to 719: a kernel failed while it ran. The context is then unusable, and every later
  // call returns the same error.
  CUDA_ERROR_ILLEGAL_ADDRESS = 700,
  CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701,
  CUDA_ERROR_ASSERT = 710,
  CUDA_ERROR_LAUNCH_FAILED = 719,
  CUDA_ERROR_NOT_SUPPORTED = 801,
  CUDA_ERROR_UNKNOWN = 999,
};

typedef enum CUdevice_attribute {
  CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1,
  CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X = 2,
  CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y = 3,
  CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z = 4,
  CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X = 5,
  CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y = 6,
  CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z = 7,
  CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK = 8,
  CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
  CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97,
  CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED = 115,
} CUdevice_attribute;

typedef enum CUfunction_attribute {
  CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES = 1,  // its static __shared__ memory
  CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8,
} CUfunction_attribute;

typedef enum CUmemPool_attribute {
  CU_MEMPOOL_ATTR_RELEASE_THRESHOLD = 4,  // uint64_t: bytes the pool keeps when freed
} CUmemPool_attribute;

typedef enum CUjit_option {
  CU_JIT_INFO_LOG_BUFFER = 3,
  CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4,  // in: the size; out: the bytes written
  CU_JIT_ERROR_LOG_BUFFER = 5,
  CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
  CU_JIT_LOG_VERBOSE = 12,
} CUjit_option;

typedef enum CUjitInputType {
  CU_JIT_INPUT_CUBIN = 0,
  CU_JIT_INPUT_PTX = 1,
} CUjitInputType;

enum { CU_STREAM_DEFAULT = 0, CU_EVENT_DEFAULT = 0 };

// The entry points, as X(name the driver exports, parameters); each returns a CUresult. The
// device needs all of these, and uses the optional ones below when the driver has them.
#define FUSION_CUDA_ENTRY_POINTS(X)                                                                               \
  X(cuInit, (unsigned int flags))                                                                                  \
  X(cuDriverGetVersion, (int* version))                                                                            \
  X(cuGetErrorName, (CUresult error, const char** name))                                                           \
  X(cuGetErrorString, (CUresult error, const char** text))                                                         \
  X(cuDeviceGetCount, (int* count))                                                                                \
  X(cuDeviceGet, (CUdevice * device, int ordinal))                                                                 \
  X(cuDeviceGetName, (char* name, int len, CUdevice dev))                                                          \
  X(cuDeviceGetAttribute, (int* value, CUdevice_attribute attrib, CUdevice dev))                                   \
  X(cuDeviceTotalMem_v2, (size_t * bytes, CUdevice dev))                                                           \
  X(cuDevicePrimaryCtxRetain, (CUcontext * ctx, CUdevice dev))                                                     \
  X(cuDevicePrimaryCtxRelease_v2, (CUdevice dev))                                                                  \
  X(cuCtxSetCurrent, (CUcontext ctx))                                                                              \
  X(cuCtxGetCurrent, (CUcontext * ctx))                                                                            \
  X(cuCtxSynchronize, (void))                                                                                      \
  X(cuDeviceGetDefaultMemPool, (CUmemoryPool * pool, CUdevice dev))                                                \
  X(cuMemPoolSetAttribute, (CUmemoryPool pool, CUmemPool_attribute attr, void* value))                             \
  X(cuMemPoolTrimTo, (CUmemoryPool pool, size_t keep))                                                             \
  X(cuMemAllocAsync, (CUdeviceptr * dptr, size_t bytes, CUstream stream))                                          \
  X(cuMemFreeAsync, (CUdeviceptr dptr, CUstream stream))                                                           \
  X(cuMemAlloc_v2, (CUdeviceptr * dptr, size_t bytes))                                                             \
  X(cuMemFree_v2, (CUdeviceptr dptr))                                                                              \
  X(cuMemAllocHost_v2, (void** p, size_t bytes))                                                                   \
  X(cuMemFreeHost, (void* p))                                                                                      \
  X(cuMemcpyHtoDAsync_v2, (CUdeviceptr dst, const void* src, size_t bytes, CUstream stream))                       \
  X(cuMemcpyDtoHAsync_v2, (void* dst, CUdeviceptr src, size_t bytes, CUstream stream))                             \
  X(cuMemcpyDtoDAsync_v2, (CUdeviceptr dst, CUdeviceptr src, size_t bytes, CUstream stream))                       \
  X(cuMemsetD8Async, (CUdeviceptr dst, unsigned char value, size_t count, CUstream stream))                        \
  X(cuMemsetD16Async, (CUdeviceptr dst, unsigned short value, size_t count, CUstream stream))                      \
  X(cuMemsetD32Async, (CUdeviceptr dst, unsigned int value, size_t count, CUstream stream))                        \
  X(cuMemsetD2D32Async,                                                                                            \
    (CUdeviceptr dst, size_t pitch, unsigned int value, size_t width, size_t height, CUstream stream))             \
  X(cuModuleLoadDataEx,                                                                                            \
    (CUmodule * module, const void* image, unsigned int count, CUjit_option* options, void** values))              \
  X(cuModuleGetFunction, (CUfunction * fn, CUmodule module, const char* name))                                    \
  X(cuModuleUnload, (CUmodule module))                                                                             \
  X(cuFuncSetAttribute, (CUfunction fn, CUfunction_attribute attrib, int value))                                   \
  X(cuFuncGetAttribute, (int* value, CUfunction_attribute attrib, CUfunction fn))                                  \
  X(cuLaunchKernel, (CUfunction fn, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx,            \
                     unsigned int by, unsigned int bz, unsigned int shared, CUstream stream, void** params,        \
                     void** extra))                                                                                \
  X(cuStreamCreate, (CUstream * stream, unsigned int flags))                                                       \
  X(cuStreamDestroy_v2, (CUstream stream))                                                                         \
  X(cuStreamSynchronize, (CUstream stream))                                                                        \
  X(cuStreamWaitEvent, (CUstream stream, CUevent event, unsigned int flags))                                       \
  X(cuEventCreate, (CUevent * event, unsigned int flags))                                                          \
  X(cuEventDestroy_v2, (CUevent event))                                                                            \
  X(cuEventRecord, (CUevent event, CUstream stream))                                                               \
  X(cuEventSynchronize, (CUevent event))                                                                           \
  X(cuEventElapsedTime, (float* ms, CUevent start, CUevent end))

// Optional: newer names, used when the driver has them (cuEventElapsedTime_v2 since CUDA 12.8),
// and the linker, which turns PTX into a cubin for the kernel cache (without it, PTX is loaded as
// before and nothing is cached).
#define FUSION_CUDA_OPTIONAL_ENTRY_POINTS(X)                                                                      \
  X(cuEventElapsedTime_v2, (float* ms, CUevent start, CUevent end))                                                \
  X(cuLinkCreate_v2, (unsigned int count, CUjit_option* options, void** values, CUlinkState* state))               \
  X(cuLinkAddData_v2, (CUlinkState state, CUjitInputType type, void* data, size_t size, const char* name,          \
                       unsigned int count, CUjit_option* options, void** values))                                  \
  X(cuLinkComplete, (CUlinkState state, void** cubin, size_t* size))                                               \
  X(cuLinkDestroy, (CUlinkState state))                                                                            \
  X(cuModuleLoadData, (CUmodule * module, const void* image))

// --- Only for the test double -------------------------------------------------------------------
// The real driver cannot run a Fusion kernel's CPU body; its test double (tests/cuda_double) can,
// through this hook. When the loaded driver exports `fusion_cuda_double_attach`, the CUDA device
// calls it once, passing a function that runs a launch of the kernel named `name` on the CPU
// executor (0 on success, else nonzero with `error` filled). A real libcuda.so.1 has no such
// symbol, and nothing else uses it.
typedef int (*fusion_cuda_double_run_fn)(const char* name, const unsigned grid[3], const unsigned block[3],
                                         unsigned dynamic_shared, void** params, char* error, size_t error_size);
typedef void (*fusion_cuda_double_attach_fn)(fusion_cuda_double_run_fn run);
#define FUSION_CUDA_DOUBLE_ATTACH "fusion_cuda_double_attach"

#endif
