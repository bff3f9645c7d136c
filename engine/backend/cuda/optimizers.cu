// Optimizer updates: one thread per weight, each step the ElementMath.h function the CPU runs.
#include "engine/backend/cuda/CudaCheck.h"
#include "engine/backend/cuda/Kernels.h"
#include "engine/backend/cuda/LaunchConfig.cuh"
#include "engine/backend/kernels/ElementMath.h"

namespace netcanvas::cuda {
namespace {

__global__ void regularizationKernel(const float* w, float* g, int64_t count, float l1, float l2)
{
    NC_GRID_STRIDE(i, count) g[i] = kernels::regularizationGrad(w[i], g[i], l1, l2);
}
__global__ void sgdKernel(
    float* w, const float* g, float* velocity, int64_t count, float lr, float momentum, bool nesterov, bool firstStep)
{
    NC_GRID_STRIDE(i, count)
    {
        float v = velocity ? velocity[i] : 0.0f;
        w[i] = kernels::sgdStep(w[i], g[i], v, lr, momentum, nesterov, firstStep);
        if (velocity)
            velocity[i] = v;
    }
}
__global__ void adamKernel(float* w, const float* g, float* m, float* v, int64_t count, float beta1, float beta2,
    float epsilon, float stepSize, float bc2Sqrt, float decayFactor)
{
    NC_GRID_STRIDE(i, count)
    {
        float mi = m[i], vi = v[i];
        w[i] = kernels::adamStep(w[i], g[i], mi, vi, beta1, beta2, epsilon, stepSize, bc2Sqrt, decayFactor);
        m[i] = mi;
        v[i] = vi;
    }
}
__global__ void rmsPropKernel(float* w, const float* g, float* square, float* velocity, int64_t count, float lr,
    float alpha, float epsilon, float momentum)
{
    NC_GRID_STRIDE(i, count)
    {
        float s = square[i];
        float vel = velocity ? velocity[i] : 0.0f;
        w[i] = kernels::rmsPropStep(w[i], g[i], s, vel, lr, alpha, epsilon, momentum);
        square[i] = s;
        if (velocity)
            velocity[i] = vel;
    }
}

} // namespace

namespace launch {

void addRegularization(const float* w, float* g, int64_t count, float l1, float l2, cudaStream_t stream)
{
    if (count <= 0)
        return;
    regularizationKernel<<<blocksFor(count), kThreads, 0, stream>>>(w, g, count, l1, l2);
    NC_CUDA_CHECK_LAUNCH(regularizationKernel);
}
void sgdUpdate(float* w, const float* g, float* velocity, int64_t count, float lr, float momentum, bool nesterov,
    bool firstStep, cudaStream_t stream)
{
    if (count <= 0)
        return;
    if (momentum != 0.0f && !velocity)
        throw BackendError("sgdUpdate: momentum " + std::to_string(momentum) + " needs a velocity buffer");
    sgdKernel<<<blocksFor(count), kThreads, 0, stream>>>(w, g, velocity, count, lr, momentum, nesterov, firstStep);
    NC_CUDA_CHECK_LAUNCH(sgdKernel);
}
void adamUpdate(float* w, const float* g, float* m, float* v, int64_t count, float beta1, float beta2, float epsilon,
    float stepSize, float bc2Sqrt, float decayFactor, cudaStream_t stream)
{
    if (count <= 0)
        return;
    adamKernel<<<blocksFor(count), kThreads, 0, stream>>>(
        w, g, m, v, count, beta1, beta2, epsilon, stepSize, bc2Sqrt, decayFactor);
    NC_CUDA_CHECK_LAUNCH(adamKernel);
}
void rmsPropUpdate(float* w, const float* g, float* square, float* velocity, int64_t count, float lr, float alpha,
    float epsilon, float momentum, cudaStream_t stream)
{
    if (count <= 0)
        return;
    if (momentum > 0.0f && !velocity)
        throw BackendError("rmsPropUpdate: momentum " + std::to_string(momentum) + " needs a velocity buffer");
    rmsPropKernel<<<blocksFor(count), kThreads, 0, stream>>>(
        w, g, square, velocity, count, lr, alpha, epsilon, momentum);
    NC_CUDA_CHECK_LAUNCH(rmsPropKernel);
}

} // namespace launch
} // namespace netcanvas::cuda
