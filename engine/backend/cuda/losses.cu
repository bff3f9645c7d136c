// Losses, metrics and reductions. Row kernels use one warp per row (the class count is small,
// often 10): the row max and Σ exp reduce across the warp's lanes. Per-row losses go to a double
// buffer that sumDouble reduces in a fixed order, so a loss is the same on every run.
#include "engine/backend/cuda/CudaCheck.h"
#include "engine/backend/cuda/Kernels.h"
#include "engine/backend/cuda/LaunchConfig.cuh"
#include "engine/backend/kernels/ElementMath.h"

#include <algorithm>
#include <cfloat>

namespace netcanvas::cuda {
namespace {

constexpr int kWarp = 32;
constexpr int kRowsPerBlock = kThreads / kWarp;

__device__ float warpMax(float v)
{
    for (int offset = kWarp / 2; offset > 0; offset /= 2)
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
    return v;
}
__device__ float warpSum(float v)
{
    for (int offset = kWarp / 2; offset > 0; offset /= 2)
        v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

// Returns the row's label, or −1 (and records the row) when it is out of range.
__device__ int32_t checkedLabel(const int32_t* labels, int64_t row, int64_t cols, unsigned long long* badRow)
{
    const int32_t y = labels[row];
    if (y < 0 || y >= cols) {
        if ((threadIdx.x % kWarp) == 0)
            atomicMin(badRow, static_cast<unsigned long long>(row));
        return -1;
    }
    return y;
}

// The CPU's softmaxCrossEntropy: m = max, sum = Σ exp(x − m), loss = log(sum) − (x_y − m),
// grad = softmaxCrossEntropyGrad (ElementMath.h).
__global__ void softmaxCrossEntropyKernel(const float* logits, const int32_t* labels, float* grad, double* rowLoss,
    int64_t rows, int64_t cols, float invRows, unsigned long long* badRow)
{
    const int64_t row = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / kWarp;
    const int lane = threadIdx.x % kWarp;
    if (row >= rows)
        return;
    const float* x = logits + row * cols;
    float* g = grad + row * cols;
    const int32_t y = checkedLabel(labels, row, cols, badRow);
    float m = -FLT_MAX;
    for (int64_t j = lane; j < cols; j += kWarp)
        m = fmaxf(m, x[j]);
    m = warpMax(m);
    float sum = 0.0f;
    for (int64_t j = lane; j < cols; j += kWarp)
        sum += expf(x[j] - m);
    sum = warpSum(sum);
    const float logSum = logf(sum);
    for (int64_t j = lane; j < cols; j += kWarp)
        g[j] = kernels::softmaxCrossEntropyGrad(x[j], m, logSum, j == y, invRows);
    if (lane == 0)
        rowLoss[row] = y < 0 ? 0.0 : static_cast<double>(logSum) - static_cast<double>(x[y] - m);
}

__global__ void crossEntropyOnProbabilitiesKernel(const float* probs, const int32_t* labels, float* grad,
    double* rowLoss, int64_t rows, int64_t cols, float rowsF, unsigned long long* badRow)
{
    const int64_t row = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / kWarp;
    const int lane = threadIdx.x % kWarp;
    if (row >= rows)
        return;
    const int32_t y = checkedLabel(labels, row, cols, badRow);
    float* g = grad + row * cols;
    const float p = y < 0 ? 1.0f : kernels::clampedProbability(probs[row * cols + y]);
    for (int64_t j = lane; j < cols; j += kWarp)
        g[j] = j == y ? -1.0f / (rowsF * p) : 0.0f;
    if (lane == 0)
        rowLoss[row] = -log(static_cast<double>(p));
}

__global__ void meanSquaredErrorKernel(const float* out, const int32_t* labels, float* grad, double* rowLoss,
    int64_t rows, int64_t cols, float invCount, unsigned long long* badRow)
{
    const int64_t row = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / kWarp;
    const int lane = threadIdx.x % kWarp;
    if (row >= rows)
        return;
    const int32_t y = checkedLabel(labels, row, cols, badRow);
    const float* o = out + row * cols;
    float* g = grad + row * cols;
    double sum = 0.0;
    for (int64_t j = lane; j < cols; j += kWarp) {
        sum += static_cast<double>(kernels::mseTerm(o[j], j == y));
        g[j] = kernels::mseGrad(o[j], j == y, invCount);
    }
    for (int offset = kWarp / 2; offset > 0; offset /= 2)
        sum += __shfl_xor_sync(0xffffffffu, sum, offset);
    if (lane == 0)
        rowLoss[row] = sum;
}

// First maximum of the row (lowest column among equal values), like the CPU's countCorrect.
__global__ void countCorrectKernel(
    const float* out, const int32_t* labels, int64_t rows, int64_t cols, unsigned long long* correct)
{
    const int64_t row = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / kWarp;
    const int lane = threadIdx.x % kWarp;
    if (row >= rows)
        return;
    const float* o = out + row * cols;
    float best = -FLT_MAX;
    int64_t bestIndex = cols; // none yet
    for (int64_t j = lane; j < cols; j += kWarp)
        if (bestIndex == cols || o[j] > best) {
            best = o[j];
            bestIndex = j;
        }
    for (int offset = kWarp / 2; offset > 0; offset /= 2) {
        const float otherBest = __shfl_xor_sync(0xffffffffu, best, offset);
        const int64_t otherIndex = __shfl_xor_sync(0xffffffffu, bestIndex, offset);
        if (otherIndex != cols
            && (bestIndex == cols || otherBest > best || (otherBest == best && otherIndex < bestIndex))) {
            best = otherBest;
            bestIndex = otherIndex;
        }
    }
    if (lane == 0 && bestIndex == labels[row])
        atomicAdd(correct, 1ull);
}

using launch::SumKind;

template <typename T> __device__ double term(T v, SumKind kind)
{
    const double d = static_cast<double>(v);
    return kind == SumKind::Abs ? fabs(d) : (kind == SumKind::Square ? d * d : d);
}

// Stage 1: block b sums a fixed strided subset into partials[b]; stage 2 (one block) sums the
// partials. Both trees have a fixed shape: deterministic.
template <typename T> __global__ void sumStageKernel(const T* x, int64_t count, SumKind kind, double* out)
{
    __shared__ double partial[kThreads];
    double sum = 0.0;
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
         i += static_cast<int64_t>(blockDim.x) * gridDim.x)
        sum += term(x[i], kind);
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (int stride = kThreads / 2; stride > 0; stride /= 2) {
        if (static_cast<int>(threadIdx.x) < stride)
            partial[threadIdx.x] += partial[threadIdx.x + stride];
        __syncthreads();
    }
    if (threadIdx.x == 0)
        out[blockIdx.x] = partial[0];
}

__global__ void firstNonFiniteKernel(const float* x, int64_t count, unsigned long long* firstIndex)
{
    NC_GRID_STRIDE(i, count)
    if (!isfinite(x[i]))
        atomicMin(firstIndex, static_cast<unsigned long long>(i));
}

unsigned int rowBlocks(int64_t rows)
{
    const int64_t blocks = (rows + kRowsPerBlock - 1) / kRowsPerBlock;
    if (blocks > 0x7fffffff)
        throw BackendError("loss: " + std::to_string(rows) + " rows is more than a grid holds");
    return static_cast<unsigned int>(blocks);
}

template <typename T>
void sumTwoStage(const T* x, int64_t count, SumKind kind, double* partials, double* result, cudaStream_t stream)
{
    if (count <= 0) {
        NC_CUDA_CHECK(cudaMemsetAsync(result, 0, sizeof(double), stream));
        return;
    }
    const unsigned int blocks = std::min<unsigned int>(blocksFor(count), launch::reducePartialsCount());
    sumStageKernel<T><<<blocks, kThreads, 0, stream>>>(x, count, kind, partials);
    NC_CUDA_CHECK_LAUNCH(sumStageKernel);
    sumStageKernel<double><<<1, kThreads, 0, stream>>>(partials, blocks, SumKind::Plain, result);
    NC_CUDA_CHECK_LAUNCH(sumStageKernel);
}

} // namespace

namespace launch {

void softmaxCrossEntropy(const float* logits, const int32_t* labels, float* grad, double* rowLoss, int64_t rows,
    int64_t cols, unsigned long long* badRow, cudaStream_t stream)
{
    softmaxCrossEntropyKernel<<<rowBlocks(rows), kThreads, 0, stream>>>(
        logits, labels, grad, rowLoss, rows, cols, 1.0f / static_cast<float>(rows), badRow);
    NC_CUDA_CHECK_LAUNCH(softmaxCrossEntropyKernel);
}
void crossEntropyOnProbabilities(const float* probs, const int32_t* labels, float* grad, double* rowLoss, int64_t rows,
    int64_t cols, unsigned long long* badRow, cudaStream_t stream)
{
    crossEntropyOnProbabilitiesKernel<<<rowBlocks(rows), kThreads, 0, stream>>>(
        probs, labels, grad, rowLoss, rows, cols, static_cast<float>(rows), badRow);
    NC_CUDA_CHECK_LAUNCH(crossEntropyOnProbabilitiesKernel);
}
void meanSquaredError(const float* out, const int32_t* labels, float* grad, double* rowLoss, int64_t rows, int64_t cols,
    unsigned long long* badRow, cudaStream_t stream)
{
    const float invCount = static_cast<float>(1.0 / (static_cast<double>(rows) * static_cast<double>(cols)));
    meanSquaredErrorKernel<<<rowBlocks(rows), kThreads, 0, stream>>>(
        out, labels, grad, rowLoss, rows, cols, invCount, badRow);
    NC_CUDA_CHECK_LAUNCH(meanSquaredErrorKernel);
}
void countCorrect(const float* out, const int32_t* labels, int64_t rows, int64_t cols, unsigned long long* correct,
    cudaStream_t stream)
{
    countCorrectKernel<<<rowBlocks(rows), kThreads, 0, stream>>>(out, labels, rows, cols, correct);
    NC_CUDA_CHECK_LAUNCH(countCorrectKernel);
}
void sumFloat(SumKind kind, const float* x, int64_t count, double* partials, double* result, cudaStream_t stream)
{
    sumTwoStage(x, count, kind, partials, result, stream);
}
void sumDouble(const double* x, int64_t count, double* partials, double* result, cudaStream_t stream)
{
    sumTwoStage(x, count, SumKind::Plain, partials, result, stream);
}
void firstNonFinite(const float* x, int64_t count, unsigned long long* firstIndex, cudaStream_t stream)
{
    if (count <= 0)
        return;
    firstNonFiniteKernel<<<blocksFor(count), kThreads, 0, stream>>>(x, count, firstIndex);
    NC_CUDA_CHECK_LAUNCH(firstNonFiniteKernel);
}

} // namespace launch
} // namespace netcanvas::cuda
