#pragma once
// The plugin's own kernels: only what cuDNN and cuBLAS do not provide. One .cu file per op
// family; each kernel's per-element arithmetic is a function of kernels/ElementMath.h, the same
// the CPU backend runs (so the CPU tests check it). Every launcher enqueues on `stream`, checks
// the launch and returns without waiting. Element counts are int64_t; kernels index in int64_t.
#include "engine/backend/cuda/PaddingPlan.h"
#include "engine/backend/kernels/ActivationTable.h"

#include <cuda_runtime_api.h>

#include <cstdint>

namespace netcanvas::cuda::launch {

// ---- elementwise.cu ----------------------------------------------------------------------
void fill(float* x, int64_t count, float value, cudaStream_t stream);
void add(const float* a, const float* b, float* y, int64_t count, cudaStream_t stream);
void axpy(float alpha, const float* x, float* y, int64_t count, cudaStream_t stream);
void scale(float alpha, float* x, int64_t count, cudaStream_t stream);
// An activation cuDNN does not have (its table row's cuDNN mode is None): the row's math struct.
void activationForward(ActivationKind kind, float alpha, const float* x, float* y, int64_t count, cudaStream_t stream);
void activationBackward(ActivationKind kind, float alpha, const float* x, const float* y, const float* dy, float* dx,
    int64_t count, cudaStream_t stream);

// ---- bias.cu -----------------------------------------------------------------------------
// y[i, c, s] += bias[c]
void addBias(float* y, const float* bias, int64_t n, int64_t channels, int64_t spatial, cudaStream_t stream);
// db[c] = Σ_{i,s} dy[i, c, s] (one block per channel, fixed order: deterministic)
void biasGradient(const float* dy, float* db, int64_t n, int64_t channels, int64_t spatial, cudaStream_t stream);

// ---- losses.cu ---------------------------------------------------------------------------
// Per-row loss into rowLoss[rows] (double) and the gradient into grad; a label outside
// [0, cols) sets *badRow to the smallest such row (initialize it to UINT64_MAX).
void softmaxCrossEntropy(const float* logits, const int32_t* labels, float* grad, double* rowLoss, int64_t rows,
    int64_t cols, unsigned long long* badRow, cudaStream_t stream);
void crossEntropyOnProbabilities(const float* probs, const int32_t* labels, float* grad, double* rowLoss, int64_t rows,
    int64_t cols, unsigned long long* badRow, cudaStream_t stream);
void meanSquaredError(const float* out, const int32_t* labels, float* grad, double* rowLoss, int64_t rows, int64_t cols,
    unsigned long long* badRow, cudaStream_t stream);
// *correct += rows whose first maximum is the label (initialize *correct to 0).
void countCorrect(const float* out, const int32_t* labels, int64_t rows, int64_t cols, unsigned long long* correct,
    cudaStream_t stream);
enum class SumKind { Plain, Abs, Square };
// *result = Σ f(x[i]) in double, in a fixed order (deterministic): partials holds
// reducePartialsCount() doubles of scratch.
constexpr int reducePartialsCount()
{
    return 1024;
}
void sumFloat(SumKind kind, const float* x, int64_t count, double* partials, double* result, cudaStream_t stream);
void sumDouble(const double* x, int64_t count, double* partials, double* result, cudaStream_t stream);
// *firstIndex = min index of a NaN/Inf element (initialize it to UINT64_MAX).
void firstNonFinite(const float* x, int64_t count, unsigned long long* firstIndex, cudaStream_t stream);

// ---- optimizers.cu -----------------------------------------------------------------------
void addRegularization(const float* w, float* g, int64_t count, float l1, float l2, cudaStream_t stream);
void sgdUpdate(float* w, const float* g, float* velocity, int64_t count, float lr, float momentum, bool nesterov,
    bool firstStep, cudaStream_t stream);
void adamUpdate(float* w, const float* g, float* m, float* v, int64_t count, float beta1, float beta2, float epsilon,
    float stepSize, float bc2Sqrt, float decayFactor, cudaStream_t stream);
void rmsPropUpdate(float* w, const float* g, float* square, float* velocity, int64_t count, float lr, float alpha,
    float epsilon, float momentum, cudaStream_t stream);

// ---- dropout.cu --------------------------------------------------------------------------
// y[i] = x[i] · dropoutMask(seed, i, rate): the forward, and with dy/dx the backward.
void dropoutApply(const float* x, float* y, int64_t count, float rate, uint64_t seed, cudaStream_t stream);

// ---- padding.cu --------------------------------------------------------------------------
// planes × H × W → planes × (top+H+bottom) × (left+W+right), border = value.
void padPlanes(const float* src, float* dst, int64_t planes, int64_t height, int64_t width, int64_t top, int64_t left,
    int64_t bottom, int64_t right, float value, cudaStream_t stream);
// The inverse: the H × W interior of each padded plane into dst.
void cropPlanes(const float* padded, float* dst, int64_t planes, int64_t height, int64_t width, int64_t top,
    int64_t left, int64_t bottom, int64_t right, cudaStream_t stream);
// out[p, oh, ow] = in[p, oh, ow] · excludePaddingFactor(g, oh, ow) (PaddingPlan.h).
void excludePaddingScale(const float* in, float* out, int64_t planes, const PoolGeometry& g, cudaStream_t stream);

} // namespace netcanvas::cuda::launch
