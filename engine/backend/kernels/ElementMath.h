#pragma once
// Per-element math shared by every backend: the CPU backend's loops and the CUDA backend's
// kernels call these same functions (compiled as __host__ __device__ by nvcc), so the CPU
// tests check the arithmetic a GPU runs, and both draw identical dropout masks.
// Header-only, no dependencies: included from .cu files.
#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define NC_HD __host__ __device__ __forceinline__
#else
#define NC_HD inline
#endif

namespace netcanvas::kernels {

// The activations' math lives in ActivationTable.h, one struct per kind.

// ---- products (Backend::mul / mulAccumulate: the host fallback and the CPU backend) -------
NC_HD float mul(float a, float b)
{
    return a * b;
}
NC_HD float mulAccumulate(float a, float b, float y)
{
    return y + a * b;
}

// ---- dropout -----------------------------------------------------------------------------
// SplitMix64 finalizer: a counter-based generator, so element i's draw depends only on
// (seed, i) — the same on every backend, thread count and launch configuration.
NC_HD uint64_t mix64(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
// Uniform in [0, 1) with 24 random bits.
NC_HD float uniform01(uint64_t seed, uint64_t index)
{
    return static_cast<float>(mix64(seed ^ mix64(index)) >> 40) * (1.0f / 16777216.0f);
}
// The mask value of element `index`: 0 (dropped) or 1/(1 − rate) (kept, scaled).
NC_HD float dropoutMask(uint64_t seed, uint64_t index, float rate)
{
    return uniform01(seed, index) < rate ? 0.0f : 1.0f / (1.0f - rate);
}

// ---- losses (per element; the row reductions live in each backend) -------------------------
// Mean squared error against a one-hot label: element (r, c) of an N×K output.
NC_HD float mseTerm(float out, bool isLabel)
{
    const float d = out - (isLabel ? 1.0f : 0.0f);
    return d * d;
}
NC_HD float mseGrad(float out, bool isLabel, float invCount)
{
    return 2.0f * (out - (isLabel ? 1.0f : 0.0f)) * invCount;
}
// Softmax cross-entropy gradient of logit c given the row's max and log Σ exp(x − max).
NC_HD float softmaxCrossEntropyGrad(float logit, float rowMax, float logSum, bool isLabel, float invRows)
{
    return (expf(logit - rowMax - logSum) - (isLabel ? 1.0f : 0.0f)) * invRows;
}
NC_HD float clampedProbability(float p)
{
    return p > 1e-30f ? p : 1e-30f;
}

// ---- optimizers (PyTorch's torch.optim equations, float32) -------------------------------
NC_HD float regularizationGrad(float w, float g, float l1, float l2)
{
    const float sign = w > 0.0f ? 1.0f : (w < 0.0f ? -1.0f : 0.0f);
    return g + l1 * sign + l2 * w;
}
// SGD with momentum; updates velocity and returns the new weight.
NC_HD float sgdStep(float w, float g, float& velocity, float lr, float momentum, bool nesterov, bool firstStep)
{
    if (momentum == 0.0f)
        return w - lr * g;
    velocity = firstStep ? g : momentum * velocity + g;
    return nesterov ? w - lr * (g + momentum * velocity) : w - lr * velocity;
}
// Adam / AdamW. stepSize = lr / (1 − β1ᵗ), bc2Sqrt = √(1 − β2ᵗ), decayFactor = 1 − lr·wd
// (1 for Adam): computed once per tensor by the caller, in double, like PyTorch.
NC_HD float adamStep(float w, float g, float& m, float& v, float beta1, float beta2, float epsilon, float stepSize,
    float bc2Sqrt, float decayFactor)
{
    w *= decayFactor;
    m = beta1 * m + (1.0f - beta1) * g;
    v = beta2 * v + (1.0f - beta2) * g * g;
    return w - stepSize * m / (sqrtf(v) / bc2Sqrt + epsilon);
}
NC_HD float rmsPropStep(
    float w, float g, float& square, float& velocity, float lr, float alpha, float epsilon, float momentum)
{
    square = alpha * square + (1.0f - alpha) * g * g;
    const float update = g / (sqrtf(square) + epsilon);
    if (momentum > 0.0f) {
        velocity = momentum * velocity + update;
        return w - lr * velocity;
    }
    return w - lr * update;
}

} // namespace netcanvas::kernels
