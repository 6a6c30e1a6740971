// The host's `gpu.*` functions as a table (base/gpu_api.def): entry i is ast::Builtin GpuFirst + 1 + i.
#pragma once

#include <cstddef>
#include <string_view>

namespace fusion {

struct GpuApiFn {
  const char* name;    // `alloc` for gpu.alloc; the runtime's is rt_gpu_api_alloc
  const char* result;  // one letter (see gpu_api.def)
  const char* params;  // one letter per parameter
};

inline constexpr GpuApiFn kGpuApi[] = {
#define GPU_API(name, kind, result, params) {#name, result, params},
#include "base/gpu_api.def"
};
inline constexpr size_t kGpuApiCount = sizeof kGpuApi / sizeof kGpuApi[0];

// The entry named `name`, or -1.
inline auto GpuApiIndex(std::string_view name) -> int {
  for (size_t i = 0; i < kGpuApiCount; i++)
    if (name == kGpuApi[i].name) return static_cast<int>(i);
  return -1;
}

}  // namespace fusion
