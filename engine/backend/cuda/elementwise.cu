// Element-wise kernels: fill, add, axpy, scale, and the activations cuDNN does not have (one
// kernel template over the activation table's math structs; the kinds with a cuDNN mode go
// through cudnnActivationForward/Backward in CudaBackend.cpp).
#include "engine/backend/cuda/CudaCheck.h"
#include "engine/backend/cuda/Kernels.h"
#include "engine/backend/cuda/LaunchConfig.cuh"
#include "engine/backend/kernels/ActivationTable.h"
#include "engine/backend/kernels/ElementMath.h"

namespace netcanvas::cuda {
namespace {

__global__ void fillKernel(float* x, int64_t count, float value)
{
    NC_GRID_STRIDE(i, count) x[i] = value;
}
__global__ void addKernel(const float* a, const float* b, float* y, int64_t count)
{
    NC_GRID_STRIDE(i, count) y[i] = a[i] + b[i];
}
__global__ void axpyKernel(float alpha, const float* x, float* y, int64_t count)
{
    NC_GRID_STRIDE(i, count) y[i] += alpha * x[i];
}
__global__ void scaleKernel(float alpha, float* x, int64_t count)
{
    NC_GRID_STRIDE(i, count) x[i] *= alpha;
}
template <class Math> __global__ void activationForwardKernel(float alpha, const float* x, float* y, int64_t count)
{
    NC_GRID_STRIDE(i, count) y[i] = Math::forward(x[i], alpha);
}
template <class Math>
__global__ void activationBackwardKernel(
    float alpha, const float* x, const float* y, const float* dy, float* dx, int64_t count)
{
    NC_GRID_STRIDE(i, count) dx[i] = Math::backward(x[i], y[i], dy[i], alpha);
}

} // namespace

namespace launch {

void fill(float* x, int64_t count, float value, cudaStream_t stream)
{
    if (count <= 0)
        return;
    fillKernel<<<blocksFor(count), kThreads, 0, stream>>>(x, count, value);
    NC_CUDA_CHECK_LAUNCH(fillKernel);
}
void add(const float* a, const float* b, float* y, int64_t count, cudaStream_t stream)
{
    if (count <= 0)
        return;
    addKernel<<<blocksFor(count), kThreads, 0, stream>>>(a, b, y, count);
    NC_CUDA_CHECK_LAUNCH(addKernel);
}
void axpy(float alpha, const float* x, float* y, int64_t count, cudaStream_t stream)
{
    if (count <= 0)
        return;
    axpyKernel<<<blocksFor(count), kThreads, 0, stream>>>(alpha, x, y, count);
    NC_CUDA_CHECK_LAUNCH(axpyKernel);
}
void scale(float alpha, float* x, int64_t count, cudaStream_t stream)
{
    if (count <= 0)
        return;
    scaleKernel<<<blocksFor(count), kThreads, 0, stream>>>(alpha, x, count);
    NC_CUDA_CHECK_LAUNCH(scaleKernel);
}
void activationForward(ActivationKind kind, float alpha, const float* x, float* y, int64_t count, cudaStream_t stream)
{
    if (count <= 0)
        return;
    withActivationMath(kind, [&](auto math) {
        activationForwardKernel<decltype(math)><<<blocksFor(count), kThreads, 0, stream>>>(alpha, x, y, count);
        NC_CUDA_CHECK_LAUNCH(activationForwardKernel);
    });
}
void activationBackward(ActivationKind kind, float alpha, const float* x, const float* y, const float* dy, float* dx,
    int64_t count, cudaStream_t stream)
{
    if (count <= 0)
        return;
    withActivationMath(kind, [&](auto math) {
        activationBackwardKernel<decltype(math)><<<blocksFor(count), kThreads, 0, stream>>>(alpha, x, y, dy, dx, count);
        NC_CUDA_CHECK_LAUNCH(activationBackwardKernel);
    });
}

} // namespace launch
} // namespace netcanvas::cuda
