// Bias kernels: add a per-channel bias over N × C × spatial, and its gradient.
#include "engine/backend/cuda/CudaCheck.h"
#include "engine/backend/cuda/Kernels.h"
#include "engine/backend/cuda/LaunchConfig.cuh"

namespace netcanvas::cuda {
namespace {

__global__ void addBiasKernel(float* y, const float* bias, int64_t total, int64_t channels, int64_t spatial)
{
    NC_GRID_STRIDE(i, total) y[i] += bias[(i / spatial) % channels];
}

// One block per channel; each thread sums a fixed strided subset, then a fixed-shape tree:
// the same order on every run (deterministic, unlike atomics).
__global__ void biasGradientKernel(const float* dy, float* db, int64_t n, int64_t channels, int64_t spatial)
{
    __shared__ float partial[kThreads];
    const int64_t c = blockIdx.x;
    const int64_t perChannel = n * spatial;
    float sum = 0.0f;
    for (int64_t j = threadIdx.x; j < perChannel; j += blockDim.x) {
        const int64_t i = j / spatial, s = j % spatial;
        sum += dy[(i * channels + c) * spatial + s];
    }
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (int stride = kThreads / 2; stride > 0; stride /= 2) {
        if (static_cast<int>(threadIdx.x) < stride)
            partial[threadIdx.x] += partial[threadIdx.x + stride];
        __syncthreads();
    }
    if (threadIdx.x == 0)
        db[c] = partial[0];
}

} // namespace

namespace launch {

void addBias(float* y, const float* bias, int64_t n, int64_t channels, int64_t spatial, cudaStream_t stream)
{
    const int64_t total = n * channels * spatial;
    if (total <= 0)
        return;
    addBiasKernel<<<blocksFor(total), kThreads, 0, stream>>>(y, bias, total, channels, spatial);
    NC_CUDA_CHECK_LAUNCH(addBiasKernel);
}

void biasGradient(const float* dy, float* db, int64_t n, int64_t channels, int64_t spatial, cudaStream_t stream)
{
    if (channels <= 0)
        return;
    if (channels > 0x7fffffff)
        throw BackendError("biasGradient: " + std::to_string(channels) + " channels is more than a grid holds");
    biasGradientKernel<<<static_cast<unsigned int>(channels), kThreads, 0, stream>>>(dy, db, n, channels, spatial);
    NC_CUDA_CHECK_LAUNCH(biasGradientKernel);
}

} // namespace launch
} // namespace netcanvas::cuda
