// CPU losses, metrics and reductions. They run serially over rows: they cost O(N·K), a
// vanishing fraction of the forward/backward pass that produced the output, and a fixed
// summation order keeps the reported loss bit-identical for any thread count.
#include "engine/backend/cpu/CpuBackend.h"
#include "engine/backend/cpu/CpuSupport.h"

#include "engine/backend/kernels/ElementMath.h"

#include <algorithm>
#include <cmath>

namespace netcanvas {

namespace cpu {

float softmaxCrossEntropy(const float* logits, const int32_t* labels, float* grad, int64_t rows, int64_t cols)
{
    const float invRows = 1.0f / static_cast<float>(rows);
    double total = 0.0;
    for (int64_t r = 0; r < rows; ++r) {
        const float* x = logits + r * cols;
        float* g = grad + r * cols;
        float m = x[0];
        for (int64_t j = 1; j < cols; ++j)
            m = std::max(m, x[j]);
        float sum = 0.0f;
        for (int64_t j = 0; j < cols; ++j)
            sum += std::exp(x[j] - m);
        const float logSum = std::log(sum);
        const int32_t y = labels[r];
        // loss = logsumexp(x) − x_y = log(sum) − (x_y − m)
        total += static_cast<double>(logSum) - static_cast<double>(x[y] - m);
        for (int64_t j = 0; j < cols; ++j)
            g[j] = kernels::softmaxCrossEntropyGrad(x[j], m, logSum, j == y, invRows);
    }
    return rows > 0 ? static_cast<float>(total / static_cast<double>(rows)) : 0.0f;
}

float crossEntropyOnProbabilities(const float* probs, const int32_t* labels, float* grad, int64_t rows, int64_t cols)
{
    std::fill(grad, grad + rows * cols, 0.0f);
    double sum = 0.0;
    for (int64_t r = 0; r < rows; ++r) {
        const int32_t y = labels[r];
        const float p = kernels::clampedProbability(probs[r * cols + y]);
        sum -= std::log(static_cast<double>(p));
        grad[r * cols + y] = -1.0f / (static_cast<float>(rows) * p);
    }
    return rows > 0 ? static_cast<float>(sum / static_cast<double>(rows)) : 0.0f;
}

float meanSquaredError(const float* out, const int32_t* labels, float* grad, int64_t rows, int64_t cols)
{
    const double count = static_cast<double>(rows) * static_cast<double>(cols);
    const float invCount = static_cast<float>(1.0 / count);
    double total = 0.0;
    for (int64_t r = 0; r < rows; ++r) {
        const float* o = out + r * cols;
        float* g = grad + r * cols;
        const int32_t y = labels[r];
        for (int64_t j = 0; j < cols; ++j) {
            total += static_cast<double>(kernels::mseTerm(o[j], j == y));
            g[j] = kernels::mseGrad(o[j], j == y, invCount);
        }
    }
    return count > 0 ? static_cast<float>(total / count) : 0.0f;
}

} // namespace cpu

float CpuBackend::softmaxCrossEntropy(
    const float* logits, const int32_t* labels, float* grad, int64_t rows, int64_t cols)
{
    return cpu::softmaxCrossEntropy(logits, labels, grad, rows, cols);
}

float CpuBackend::crossEntropyOnProbabilities(
    const float* probs, const int32_t* labels, float* grad, int64_t rows, int64_t cols)
{
    return cpu::crossEntropyOnProbabilities(probs, labels, grad, rows, cols);
}

float CpuBackend::meanSquaredError(const float* out, const int32_t* labels, float* grad, int64_t rows, int64_t cols)
{
    return cpu::meanSquaredError(out, labels, grad, rows, cols);
}

int64_t CpuBackend::countCorrect(const float* out, const int32_t* labels, int64_t rows, int64_t cols)
{
    int64_t correct = 0;
    for (int64_t r = 0; r < rows; ++r) {
        const float* p = out + r * cols;
        int64_t best = 0;
        for (int64_t j = 1; j < cols; ++j)
            if (p[j] > p[best] || (std::isnan(p[best]) && !std::isnan(p[j]))) // a NaN never wins
                best = j;
        correct += best == labels[r] ? 1 : 0;
    }
    return correct;
}

namespace {
// Σ f(x) in double: blocks of float partial sums (vectorized), added up in double.
template <class F> double blockSum(const float* x, int64_t count, F f)
{
    constexpr int64_t kBlock = 1024;
    double total = 0.0;
    for (int64_t b = 0; b < count; b += kBlock) {
        const int64_t e = std::min(count, b + kBlock);
        float acc[8] = {};
        int64_t i = b;
        for (; i + 8 <= e; i += 8)
            for (int j = 0; j < 8; ++j)
                acc[j] += f(x[i + j]);
        for (; i < e; ++i)
            acc[0] += f(x[i]);
        total += static_cast<double>(((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])));
    }
    return total;
}
} // namespace

double CpuBackend::sumAbs(const float* x, int64_t count)
{
    return blockSum(x, count, [](float v) { return std::fabs(v); });
}

double CpuBackend::sumSquares(const float* x, int64_t count)
{
    return blockSum(x, count, [](float v) { return v * v; });
}

int64_t CpuBackend::firstNonFinite(const float* x, int64_t count)
{
    for (int64_t i = 0; i < count; ++i)
        if (!std::isfinite(x[i]))
            return i;
    return -1;
}

} // namespace netcanvas
