#include "engine/train/Loss.h"

#include "engine/core/Error.h"

#include <algorithm>
#include <cmath>

// The losses run serially over rows: they cost O(N·K), a vanishing fraction of the
// forward/backward pass that produced the logits, and a fixed summation order keeps the
// reported loss bit-identical for any thread count.

namespace netcanvas {

LossKind lossKindFromString(const std::string& s)
{
    if (s == "cross_entropy")
        return LossKind::CrossEntropy;
    if (s == "mse")
        return LossKind::MeanSquaredError;
    throw FormatError("unknown loss '" + s + "' (known: cross_entropy, mse)");
}

std::string toString(LossKind k)
{
    switch (k) {
    case LossKind::CrossEntropy: return "cross_entropy";
    case LossKind::MeanSquaredError: return "mse";
    }
    return "?";
}

namespace {

// Rows and columns of an N×K (or N×anything) output, with the labels checked against them.
void checkLabels(const char* what, const Tensor& output, const std::vector<int32_t>& labels, int64_t& n, int64_t& k)
{
    if (output.shape().rank() < 1 || output.empty())
        throw ShapeError(std::string(what) + ": empty output " + output.shape().toString());
    n = output.shape()[0];
    k = output.sampleSize();
    if (static_cast<int64_t>(labels.size()) != n)
        throw ShapeError(std::string(what) + ": " + std::to_string(labels.size()) + " labels for a batch of " +
                         std::to_string(n) + " rows");
    for (int64_t r = 0; r < n; ++r) {
        const int32_t y = labels[static_cast<size_t>(r)];
        if (y < 0 || y >= k)
            throw DataError(std::string(what) + ": label " + std::to_string(y) + " at batch row " + std::to_string(r) +
                            " is out of range [0, " + std::to_string(k) + ") for a model with " + std::to_string(k) +
                            " outputs");
    }
}

} // namespace

float softmaxCrossEntropy(const Tensor& logits, const std::vector<int32_t>& labels, Tensor& grad, Tensor* probabilities)
{
    int64_t n = 0, k = 0;
    checkLabels("cross-entropy", logits, labels, n, k);
    grad.resize(logits.shape());
    if (probabilities)
        probabilities->resize(logits.shape());
    const float invN = 1.0f / static_cast<float>(n);
    double total = 0.0;
    for (int64_t r = 0; r < n; ++r) {
        const float* x = logits.data() + r * k;
        float* g = grad.data() + r * k;
        float m = x[0];
        for (int64_t j = 1; j < k; ++j)
            m = std::max(m, x[j]);
        // exp(x - m) into grad, then normalize: softmax without overflow for any finite logits.
        float sum = 0.0f;
        for (int64_t j = 0; j < k; ++j) {
            const float e = std::exp(x[j] - m);
            g[j] = e;
            sum += e;
        }
        const float logSum = std::log(sum);
        const int32_t y = labels[static_cast<size_t>(r)];
        // loss = logsumexp(x) - x_y = log(sum) - (x_y - m)
        total += static_cast<double>(logSum) - static_cast<double>(x[y] - m);
        const float inv = 1.0f / sum;
        float* p = probabilities ? probabilities->data() + r * k : nullptr;
        for (int64_t j = 0; j < k; ++j) {
            const float s = g[j] * inv;
            if (p)
                p[j] = s;
            g[j] = s * invN;
        }
        g[y] -= invN;
    }
    return static_cast<float>(total / static_cast<double>(n));
}

float meanSquaredError(const Tensor& output, const std::vector<int32_t>& labels, Tensor& grad)
{
    int64_t n = 0, k = 0;
    checkLabels("mean squared error", output, labels, n, k);
    grad.resize(output.shape());
    const double count = static_cast<double>(n) * static_cast<double>(k);
    const float scale = static_cast<float>(2.0 / count);
    double total = 0.0;
    for (int64_t r = 0; r < n; ++r) {
        const float* o = output.data() + r * k;
        float* g = grad.data() + r * k;
        const int32_t y = labels[static_cast<size_t>(r)];
        for (int64_t j = 0; j < k; ++j) {
            const float d = o[j] - (j == y ? 1.0f : 0.0f);
            total += static_cast<double>(d) * d;
            g[j] = scale * d;
        }
    }
    return static_cast<float>(total / count);
}

float meanSquaredError(const Tensor& output, const Tensor& target, Tensor& grad)
{
    if (output.shape() != target.shape())
        throw ShapeError("mean squared error: output " + output.shape().toString() + " and target " +
                         target.shape().toString() + " differ");
    if (output.empty())
        throw ShapeError("mean squared error: empty output " + output.shape().toString());
    grad.resize(output.shape());
    const int64_t count = output.size();
    const float scale = static_cast<float>(2.0 / static_cast<double>(count));
    const float* o = output.data();
    const float* t = target.data();
    float* g = grad.data();
    double total = 0.0;
    for (int64_t i = 0; i < count; ++i) {
        const float d = o[i] - t[i];
        total += static_cast<double>(d) * d;
        g[i] = scale * d;
    }
    return static_cast<float>(total / static_cast<double>(count));
}

float crossEntropyOnProbabilities(const Tensor& probabilities, const std::vector<int32_t>& labels, Tensor& grad)
{
    int64_t n = 0, k = 0;
    checkLabels("cross-entropy", probabilities, labels, n, k);
    grad.resize(probabilities.shape());
    grad.zero();
    double sum = 0.0;
    for (int64_t r = 0; r < n; ++r) {
        const int32_t y = labels[static_cast<size_t>(r)];
        const float p = std::max(probabilities[r * k + y], 1e-30f);
        sum -= std::log(static_cast<double>(p));
        grad[r * k + y] = -1.0f / (static_cast<float>(n) * p);
    }
    return n > 0 ? static_cast<float>(sum / static_cast<double>(n)) : 0.0f;
}

float computeLoss(LossKind kind, const Tensor& output, const std::vector<int32_t>& labels, Tensor& grad,
                  bool outputIsProbabilities)
{
    switch (kind) {
    case LossKind::CrossEntropy:
        return outputIsProbabilities ? crossEntropyOnProbabilities(output, labels, grad)
                                     : softmaxCrossEntropy(output, labels, grad);
    case LossKind::MeanSquaredError: return meanSquaredError(output, labels, grad);
    }
    throw FormatError("unknown loss kind");
}

} // namespace netcanvas
