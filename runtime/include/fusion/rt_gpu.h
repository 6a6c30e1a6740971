// The GPU device layer: one interface (rt_gpu_device) that every device implements, the CPU
// device that runs kernels on the host with a GPU's results, and what a kernel's CPU body calls
// (barriers, warp shuffles and votes).
//
// A kernel's CPU body runs one GPU thread: it gets an rt_gpu_thread (its indices and the block's
// shared memory) and the launch's argument array, as cudaLaunchKernel takes it (one pointer per
// parameter). The CPU device runs the blocks of a launch on a pool of worker threads (one per
// core). A kernel that uses no barrier and no warp operation (rt_gpu_kernel.cooperative false)
// runs its threads as a plain loop, and so does a cooperative one the compiler split at its barriers
// and warp operations (rt_gpu_kernel.cpu_block set); otherwise each thread of a block is a fiber that switches at
// rt_gpu_sync_threads and at warp operations, and warps are groups of 32 lanes, so shuffles and
// votes give exactly the GPU's results. What a GPU would hang on or corrupt (a barrier some
// threads never reach, a warp operation whose lanes have exited) is reported with the kernel,
// block, thread and launch site, and ends the program (exit code 101).
#ifndef FUSION_RT_GPU_H
#define FUSION_RT_GPU_H

#include <stddef.h>

#include "fusion/rt_core.h"  // rt_gpu_sync_threads, rt_gpu_shfl, rt_gpu_vote (rt_functions.def)

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rt_dim3 {
  uint32_t x, y, z;
} rt_dim3;

typedef struct rt_gpu_block rt_gpu_block;  // executor-private state of a running block

// What one thread of a kernel sees.
typedef struct rt_gpu_thread {
  rt_dim3 thread_idx, block_idx, block_dim, grid_dim;
  void* shared;          // the block's shared memory: static first, then dynamic
  uint32_t linear;       // thread_idx as one number (x fastest); lane = linear % 32
  rt_gpu_block* block;   // for barriers and warp operations
} rt_gpu_thread;

// A kernel's CPU body: runs thread `t` with the launch's arguments.
typedef void (*rt_gpu_kernel_fn)(rt_gpu_thread* t, void* const* args);
// A kernel's block loop (kernels that are not cooperative): runs every thread of the block that `t`
// describes (block_idx, block_dim, grid_dim, shared set; thread_idx and linear are its to fill),
// so that the compiler can keep the arguments in registers and vectorise across threads.
typedef void (*rt_gpu_block_fn)(rt_gpu_thread* t, void* const* args);

// A cubin of the program's PTX for one architecture (`fusion build --gpu-arch sm_80,sm_90`).
typedef struct rt_gpu_cubin {
  int32_t sm;  // 80 for sm_80; 0 ends a table
  uint64_t size;
  const void* data;  // the ELF image ptxas made
} rt_gpu_cubin;

typedef struct rt_gpu_kernel {
  const char* name;
  rt_gpu_kernel_fn cpu;     // the CPU body; NULL for a CUDA C kernel, which runs only on a CUDA device
  const char* ptx;          // the PTX (for a CUDA device), or NULL
  uint32_t static_shared;   // bytes of `shared var` storage
  uint32_t max_threads;     // @kernel(max_threads: N), 0 for none
  bool cooperative;         // uses sync_threads or warp operations: fibers, unless cpu_block is set
  rt_gpu_block_fn cpu_block;  // NULL: the executor loops over `cpu` itself
  const char* entry;        // the PTX entry when it is not `name` (a CUDA C kernel's lowered name)
  // One letter per parameter, for `--device check` (NULL: not known). A pointer parameter is its
  // pointee's scalars: f, d (f32, f64), b, w, i, l (signed integers of 1, 2, 4, 8 bytes), B, W, I,
  // L (unsigned, and bool), m (mixed or other: compared byte by byte), p (holds pointers); a value
  // parameter is '-', or '*' when it holds pointers.
  const char* params;
  const rt_gpu_cubin* cubins;  // NULL, or cubins of `ptx` for some architectures, ended by sm 0
  rt_dim3 threads;  // @kernel(threads: (x, y, z)): the only block it may be launched with; (0, 0, 0): any
} rt_gpu_kernel;

typedef struct rt_gpu_launch {
  const rt_gpu_kernel* kernel;
  rt_dim3 grid, block;
  uint32_t dynamic_shared;  // bytes
  void* stream;             // NULL: the default stream
  void* const* args;
  rt_loc loc;               // the launch in Fusion source, for errors and hazard reports
} rt_gpu_launch;

typedef enum rt_gpu_copy_kind {
  RT_GPU_HOST_TO_DEVICE,
  RT_GPU_DEVICE_TO_HOST,
  RT_GPU_DEVICE_TO_DEVICE,
} rt_gpu_copy_kind;

// A device. Every operation returns 0 on success, or nonzero with rt_gpu_last_error() saying
// what failed (for a CUDA device: the API, CUDA's error name and text). Streams and events are
// the device's own handles (a CUstream, a CUevent); a NULL stream is the device's default stream,
// which waits for, and is waited for by, every other stream (CUDA's legacy default stream).
// Operations on a stream are ordered on it and may return before they finish; the API layer
// (gpu_api.c) synchronises where a call is synchronous, checks handles and ranges, and reports.
typedef struct rt_gpu_device rt_gpu_device;
struct rt_gpu_device {
  const char* name;
  // Device memory, stream-ordered (a CUDA device allocates from its memory pool).
  int (*alloc)(rt_gpu_device* d, size_t bytes, void* stream, void** out);
  int (*free)(rt_gpu_device* d, void* p, void* stream);
  // Page-locked host memory.
  int (*alloc_host)(rt_gpu_device* d, size_t bytes, void** out);
  int (*free_host)(rt_gpu_device* d, void* p);
  int (*copy)(rt_gpu_device* d, void* dst, const void* src, size_t bytes, rt_gpu_copy_kind kind, void* stream);
  // `count` values of `elem_size` bytes (1, 2, 4 or 8), each the low elem_size bytes of `pattern`.
  int (*fill)(rt_gpu_device* d, void* p, uint64_t pattern, uint32_t elem_size, size_t count, void* stream);
  int (*launch)(rt_gpu_device* d, const rt_gpu_launch* launch);
  int (*sync)(rt_gpu_device* d);  // everything on every stream
  int (*stream_create)(rt_gpu_device* d, void** out);
  int (*stream_destroy)(rt_gpu_device* d, void* stream);
  int (*stream_sync)(rt_gpu_device* d, void* stream);
  int (*stream_wait_event)(rt_gpu_device* d, void* stream, void* event);
  int (*event_create)(rt_gpu_device* d, void** out);  // with timing
  int (*event_destroy)(rt_gpu_device* d, void* event);
  int (*event_record)(rt_gpu_device* d, void* event, void* stream);
  int (*event_sync)(rt_gpu_device* d, void* event);
  int (*event_elapsed_ms)(rt_gpu_device* d, void* start, void* end, float* out);
  // Properties (0 on the CPU device).
  int32_t ordinal;             // the CUDA device number (0 on the CPU device)
  int32_t sm_count;
  int32_t compute_capability;  // major * 10 + minor
  uint64_t total_memory;
};

// The CPU device (one per process).
RT_API rt_gpu_device* rt_gpu_cpu_device(void);

// What the last failed operation on this thread said.
RT_API const char* rt_gpu_last_error(void);

// Limits the CPU device enforces as a GPU does (CUDA's defaults).
enum {
  RT_GPU_MAX_BLOCK_THREADS = 1024,
  // Shared memory a block may have, static and dynamic together: what the largest GPUs give a
  // kernel that opts in (sm_90: 227 KiB; a CUDA device raises the kernel's attribute itself), so
  // that a program that runs on them runs on the CPU too. Static `shared var`s stay within 48 KiB
  // (the compiler checks), as on every GPU.
  RT_GPU_MAX_SHARED = 227 * 1024,
  RT_GPU_WARP_SIZE = 32,
};

// For kernel bodies (declared in rt_functions.def, with `t` an rt_gpu_thread*):
//   rt_gpu_sync_threads(t): wait until every thread of the block has arrived (__syncthreads).
//   rt_gpu_shfl(t, kind, mask, value, arg, width): __shfl_*_sync over the lanes of `mask`, in
//     segments of `width` lanes (a power of two up to 32): every lane of `mask` must call it.
//     Values are 32 or 64 bits, carried as uint64_t.
//   rt_gpu_vote(t, kind, mask, predicate): __ballot_sync, __any_sync, __all_sync.
//   rt_gpu_combine(t, kind, mask, value): __syncwarp, __match_*_sync, __reduce_*_sync.
typedef enum rt_gpu_shfl_kind {
  RT_GPU_SHFL_IDX,   // from lane `arg` of the segment
  RT_GPU_SHFL_UP,    // from lane - arg, within the segment
  RT_GPU_SHFL_DOWN,  // from lane + arg, within the segment
  RT_GPU_SHFL_XOR,   // from lane ^ arg, within the segment
} rt_gpu_shfl_kind;

typedef enum rt_gpu_vote_kind {
  RT_GPU_VOTE_BALLOT,  // the lanes of mask whose predicate is true, as a bit mask
  RT_GPU_VOTE_ANY,     // 1 if any lane of mask has a true predicate
  RT_GPU_VOTE_ALL,     // 1 if all lanes of mask have
} rt_gpu_vote_kind;

// Warp operations that combine the values of the lanes of the mask (32 or 64 bits, zero-extended).
typedef enum rt_gpu_combine_kind {
  RT_GPU_SYNC_WARP,     // nothing: the lanes wait for each other; the result is 0
  RT_GPU_MATCH_ANY,     // the lanes whose value equals this lane's, as a bit mask
  RT_GPU_MATCH_ALL,     // the mask if every lane's value is the same, else 0
  RT_GPU_REDUCE_ADD,    // the low 32 bits: the sum, wrapping
  RT_GPU_REDUCE_MIN_S,  // as i32
  RT_GPU_REDUCE_MIN_U,  // as u32
  RT_GPU_REDUCE_MAX_S,
  RT_GPU_REDUCE_MAX_U,
  RT_GPU_REDUCE_AND,
  RT_GPU_REDUCE_OR,
  RT_GPU_REDUCE_XOR,
} rt_gpu_combine_kind;

// Tensor-core warp operations (docs/gpu.md, "Tensor cores"), in ast::Builtin's order. Each lane
// hands over one record of RT_GPU_MMA_WORDS u32 words: for an mma, A's registers at 0 (up to 4),
// B's at 4 (up to 2), C's at 8 (4: f32 bits or i32) and D, the result, written at 12; for an
// ldmatrix, the lane's row address at 0 (low word) and 1, and its registers written at 12.
//   rt_gpu_mma(t, kind, record): one lane joins (fibers); returns when its D is written.
//   rt_gpu_mma_warp(t, kind, records): a whole warp's 32 records at once (split kernels).
typedef enum rt_gpu_mma_kind {
  RT_GPU_MMA_M16N8K16_F16,
  RT_GPU_MMA_M16N8K16_BF16,
  RT_GPU_MMA_M16N8K8_F16,
  RT_GPU_MMA_M16N8K8_BF16,
  RT_GPU_MMA_M16N8K8_TF32,
  RT_GPU_MMA_M16N8K4_TF32,
  RT_GPU_MMA_M16N8K32_S8,
  RT_GPU_MMA_M16N8K32_U8,
  RT_GPU_MMA_M16N8K16_S8,
  RT_GPU_MMA_M16N8K16_U8,
  RT_GPU_LDMATRIX_X1,
  RT_GPU_LDMATRIX_X2,
  RT_GPU_LDMATRIX_X4,
  RT_GPU_LDMATRIX_X1_TRANS,
  RT_GPU_LDMATRIX_X2_TRANS,
  RT_GPU_LDMATRIX_X4_TRANS,
} rt_gpu_mma_kind;
enum { RT_GPU_MMA_WORDS = 16 };

// The device `launch` and gpu.* use: chosen once, by FUSION_DEVICE (cpu, cuda or auto; auto, the
// default, is a CUDA GPU when there is one, else the CPU), then by gpu.set_device. NULL with
// rt_gpu_last_error() set when the chosen device cannot be used.
RT_API rt_gpu_device* rt_gpu_current(void);

// The CUDA devices (gpu_cuda.c), through the driver API: libcuda.so.1 (or FUSION_CUDA_DRIVER)
// opened with dlopen on first use. The count is -1, with rt_gpu_last_error() saying what was
// tried and what the driver said, when there is no usable driver; 0 when it reports no device.
RT_API int rt_gpu_cuda_device_count(void);
// Device `ordinal` (its primary context), or NULL with rt_gpu_last_error() set.
RT_API rt_gpu_device* rt_gpu_cuda_device(int ordinal);

#ifdef __cplusplus
}
#endif

#endif
