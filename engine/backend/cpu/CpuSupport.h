#pragma once
// Small helpers shared by the CPU backend's files (not part of the Backend interface).
#include <cstdint>
#include <vector>

namespace netcanvas::cpu {

// Sum of n floats in 8 interleaved partial sums (vectorizable without -ffast-math, and
// without one long dependency chain), added up in a fixed order.
inline float rowSum(const float* r, int64_t n)
{
    float acc[8] = {};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; ++j)
            acc[j] += r[i + j];
    for (; i < n; ++i)
        acc[0] += r[i];
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

// dst[i] = part(0)[i] + part(1)[i] + … + part(chunks − 1)[i], added in chunk order: the
// per-thread partial sums of a gradient, reduced to the same value for a given thread count.
template <class Part> void sumChunks(float* dst, int64_t n, int64_t chunks, const Part& part)
{
    const float* first = part(int64_t(0));
    for (int64_t i = 0; i < n; ++i)
        dst[i] = first[i];
    for (int64_t c = 1; c < chunks; ++c) {
        const float* p = part(c);
        for (int64_t i = 0; i < n; ++i)
            dst[i] += p[i];
    }
}

// At least n floats in v (grows only) and its data.
inline float* ensure(std::vector<float>& v, int64_t n)
{
    if (static_cast<int64_t>(v.size()) < n)
        v.resize(static_cast<size_t>(n));
    return v.data();
}

} // namespace netcanvas::cpu

namespace netcanvas::cpu {

// The CPU losses over an N×K output (rows × cols) and host int32 labels in [0, cols): each
// returns the mean loss (accumulated in double, rows in order: the same value for any
// thread count) and overwrites grad (already divided by the batch). Shared by CpuBackend and
// the host functions of train/Loss.h.
float softmaxCrossEntropy(const float* logits, const int32_t* labels, float* grad, int64_t rows, int64_t cols);
float crossEntropyOnProbabilities(const float* probs, const int32_t* labels, float* grad, int64_t rows, int64_t cols);
float meanSquaredError(const float* out, const int32_t* labels, float* grad, int64_t rows, int64_t cols);

} // namespace netcanvas::cpu
