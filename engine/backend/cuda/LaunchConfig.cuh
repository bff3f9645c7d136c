#pragma once
// Grid-stride launch geometry shared by the plugin's kernels.
#include <cstdint>

namespace netcanvas::cuda {

constexpr int kThreads = 256;

// Blocks for a grid-stride loop over count elements (at least 1, at most 65535·32: the loop
// covers the rest).
inline unsigned int blocksFor(int64_t count)
{
    const int64_t blocks = (count + kThreads - 1) / kThreads;
    return static_cast<unsigned int>(blocks < 1 ? 1 : (blocks > 65535 * 32 ? 65535 * 32 : blocks));
}

#define NC_GRID_STRIDE(i, count)                                                                                       \
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (count);                         \
         i += static_cast<int64_t>(blockDim.x) * gridDim.x)

} // namespace netcanvas::cuda
