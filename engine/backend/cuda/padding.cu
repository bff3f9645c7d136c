// Padding kernels for windows cuDNN cannot express: cuDNN pads symmetrically, so an asymmetric
// window ("same" with an even kernel pads one more cell at the bottom/right) runs on an explicitly
// padded copy of the input (PaddingPlan.h), and its input gradient is cropped back.
#include "engine/backend/cuda/CudaCheck.h"
#include "engine/backend/cuda/Kernels.h"
#include "engine/backend/cuda/LaunchConfig.cuh"

namespace netcanvas::cuda {
namespace {

__global__ void padKernel(const float* src, float* dst, int64_t total, int64_t height, int64_t width, int64_t top,
    int64_t left, int64_t paddedH, int64_t paddedW, float value)
{
    NC_GRID_STRIDE(i, total)
    {
        const int64_t pw = i % paddedW, ph = (i / paddedW) % paddedH, plane = i / (paddedW * paddedH);
        const int64_t h = ph - top, w = pw - left;
        dst[i] = (h >= 0 && h < height && w >= 0 && w < width) ? src[(plane * height + h) * width + w] : value;
    }
}

__global__ void cropKernel(const float* padded, float* dst, int64_t total, int64_t height, int64_t width, int64_t top,
    int64_t left, int64_t paddedH, int64_t paddedW)
{
    NC_GRID_STRIDE(i, total)
    {
        const int64_t w = i % width, h = (i / width) % height, plane = i / (width * height);
        dst[i] = padded[(plane * paddedH + h + top) * paddedW + w + left];
    }
}

__global__ void excludePaddingScaleKernel(const float* in, float* out, int64_t total, PoolGeometry g)
{
    NC_GRID_STRIDE(i, total)
    {
        const int64_t ow = i % g.outW, oh = (i / g.outW) % g.outH;
        out[i] = in[i] * excludePaddingFactor(g, oh, ow);
    }
}

} // namespace

namespace launch {

void padPlanes(const float* src, float* dst, int64_t planes, int64_t height, int64_t width, int64_t top, int64_t left,
    int64_t bottom, int64_t right, float value, cudaStream_t stream)
{
    const int64_t paddedH = top + height + bottom, paddedW = left + width + right;
    const int64_t total = planes * paddedH * paddedW;
    if (total <= 0)
        return;
    padKernel<<<blocksFor(total), kThreads, 0, stream>>>(
        src, dst, total, height, width, top, left, paddedH, paddedW, value);
    NC_CUDA_CHECK_LAUNCH(padKernel);
}

void cropPlanes(const float* padded, float* dst, int64_t planes, int64_t height, int64_t width, int64_t top,
    int64_t left, int64_t bottom, int64_t right, cudaStream_t stream)
{
    const int64_t total = planes * height * width;
    if (total <= 0)
        return;
    cropKernel<<<blocksFor(total), kThreads, 0, stream>>>(
        padded, dst, total, height, width, top, left, top + height + bottom, left + width + right);
    NC_CUDA_CHECK_LAUNCH(cropKernel);
}

void excludePaddingScale(const float* in, float* out, int64_t planes, const PoolGeometry& g, cudaStream_t stream)
{
    const int64_t total = planes * g.outH * g.outW;
    if (total <= 0)
        return;
    excludePaddingScaleKernel<<<blocksFor(total), kThreads, 0, stream>>>(in, out, total, g);
    NC_CUDA_CHECK_LAUNCH(excludePaddingScaleKernel);
}

} // namespace launch
} // namespace netcanvas::cuda
