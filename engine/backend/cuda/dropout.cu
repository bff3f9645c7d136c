// Dropout: the mask of element i is kernels::dropoutMask(seed, i, rate), a counter-based draw,
// so the GPU's mask equals the CPU's for the same seed and backward recomputes it instead of
// storing it.
#include "engine/backend/cuda/CudaCheck.h"
#include "engine/backend/cuda/Kernels.h"
#include "engine/backend/cuda/LaunchConfig.cuh"
#include "engine/backend/kernels/ElementMath.h"

namespace netcanvas::cuda {
namespace {

__global__ void dropoutKernel(const float* x, float* y, int64_t count, float rate, uint64_t seed)
{
    NC_GRID_STRIDE(i, count) y[i] = x[i] * kernels::dropoutMask(seed, static_cast<uint64_t>(i), rate);
}

} // namespace

namespace launch {

void dropoutApply(const float* x, float* y, int64_t count, float rate, uint64_t seed, cudaStream_t stream)
{
    if (count <= 0)
        return;
    dropoutKernel<<<blocksFor(count), kThreads, 0, stream>>>(x, y, count, rate, seed);
    NC_CUDA_CHECK_LAUNCH(dropoutKernel);
}

} // namespace launch
} // namespace netcanvas::cuda
