#include "engine/train/Loss.h"

#include "engine/backend/cpu/CpuSupport.h"
#include "engine/core/Error.h"

#include <algorithm>
#include <cmath>

// The host functions run the CPU backend's loss code (backend/cpu/CpuLoss.cpp) on host
// tensors: serially over rows, so the reported loss is bit-identical for any thread count.

namespace netcanvas {

LossKind lossKindFromString(const std::string& s)
{
    if (s == "cross_entropy")
        return LossKind::CrossEntropy;
    if (s == "mse")
        return LossKind::MeanSquaredError;
    if (s == "mae")
        return LossKind::MeanAbsoluteError;
    if (s == "huber")
        return LossKind::Huber;
    throw FormatError("unknown loss '" + s + "' (known: cross_entropy, mse, mae, huber)");
}

std::string toString(LossKind k)
{
    switch (k) {
    case LossKind::CrossEntropy:
        return "cross_entropy";
    case LossKind::MeanSquaredError:
        return "mse";
    case LossKind::MeanAbsoluteError:
        return "mae";
    case LossKind::Huber:
        return "huber";
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
        throw ShapeError(std::string(what) + ": " + std::to_string(labels.size()) + " labels for a batch of "
            + std::to_string(n) + " rows");
    for (int64_t r = 0; r < n; ++r) {
        const int32_t y = labels[static_cast<size_t>(r)];
        if (y < 0 || y >= k)
            throw DataError(std::string(what) + ": label " + std::to_string(y) + " at batch row " + std::to_string(r)
                + " is out of range [0, " + std::to_string(k) + ") for a model with " + std::to_string(k) + " outputs");
    }
}

} // namespace

float softmaxCrossEntropy(const Tensor& logits, const std::vector<int32_t>& labels, Tensor& grad, Tensor* probabilities)
{
    int64_t n = 0, k = 0;
    checkLabels("cross-entropy", logits, labels, n, k);
    grad.resize(logits.shape());
    const float loss = cpu::softmaxCrossEntropy(logits.data(), labels.data(), grad.data(), n, k);
    if (probabilities) {
        // The softmax itself (stable: the row's maximum subtracted).
        probabilities->resize(logits.shape());
        for (int64_t r = 0; r < n; ++r) {
            const float* x = logits.data() + r * k;
            float* p = probabilities->data() + r * k;
            float m = x[0];
            for (int64_t j = 1; j < k; ++j)
                m = std::max(m, x[j]);
            float sum = 0.0f;
            for (int64_t j = 0; j < k; ++j) {
                p[j] = std::exp(x[j] - m);
                sum += p[j];
            }
            for (int64_t j = 0; j < k; ++j)
                p[j] /= sum;
        }
    }
    return loss;
}

float meanSquaredError(const Tensor& output, const std::vector<int32_t>& labels, Tensor& grad)
{
    int64_t n = 0, k = 0;
    checkLabels("mean squared error", output, labels, n, k);
    grad.resize(output.shape());
    return cpu::meanSquaredError(output.data(), labels.data(), grad.data(), n, k);
}

float meanSquaredError(const Tensor& output, const Tensor& target, Tensor& grad)
{
    if (output.shape() != target.shape())
        throw ShapeError("mean squared error: output " + output.shape().toString() + " and target "
            + target.shape().toString() + " differ");
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
    return cpu::crossEntropyOnProbabilities(probabilities.data(), labels.data(), grad.data(), n, k);
}

float computeLoss(
    LossKind kind, const Tensor& output, const std::vector<int32_t>& labels, Tensor& grad, bool outputIsProbabilities)
{
    switch (kind) {
    case LossKind::CrossEntropy:
        return outputIsProbabilities ? crossEntropyOnProbabilities(output, labels, grad)
                                     : softmaxCrossEntropy(output, labels, grad);
    case LossKind::MeanSquaredError:
        return meanSquaredError(output, labels, grad);
    case LossKind::MeanAbsoluteError:
    case LossKind::Huber:
        break;
    }
    throw DataError("the " + toString(kind) + " loss needs real-valued targets, not class labels");
}

bool isRegressionLoss(LossKind kind)
{
    return kind == LossKind::MeanSquaredError || kind == LossKind::MeanAbsoluteError || kind == LossKind::Huber;
}

float regressionLoss(LossKind kind, const float* out, const float* target, float* grad, int64_t count, float delta)
{
    if (count <= 0)
        throw ShapeError("regression loss: no values");
    const double inv = 1.0 / static_cast<double>(count);
    double total = 0.0;
    for (int64_t i = 0; i < count; ++i) {
        const double d = static_cast<double>(out[i]) - static_cast<double>(target[i]);
        double g = 0.0;
        switch (kind) {
        case LossKind::MeanSquaredError:
            total += d * d;
            g = 2.0 * d;
            break;
        case LossKind::MeanAbsoluteError:
            total += std::abs(d);
            g = d > 0.0 ? 1.0 : (d < 0.0 ? -1.0 : 0.0); // PyTorch's subgradient: 0 at 0
            break;
        case LossKind::Huber:
            if (std::abs(d) <= delta) {
                total += 0.5 * d * d;
                g = d;
            } else {
                total += delta * (std::abs(d) - 0.5 * delta);
                g = d > 0.0 ? delta : -delta;
            }
            break;
        case LossKind::CrossEntropy:
            throw DataError("the cross_entropy loss needs class labels: a regression task takes mse, mae or huber");
        }
        grad[i] = static_cast<float>(g * inv);
    }
    return static_cast<float>(total * inv);
}

float regressionLoss(LossKind kind, const Tensor& output, const Tensor& target, Tensor& grad, float delta)
{
    if (output.size() != target.size())
        throw ShapeError(toString(kind) + " loss: output " + output.shape().toString() + " and target "
            + target.shape().toString() + " differ in size");
    if (output.empty())
        throw ShapeError(toString(kind) + " loss: empty output " + output.shape().toString());
    grad.resize(output.shape());
    return regressionLoss(kind, output.data(), target.data(), grad.data(), output.size(), delta);
}

float computeRegressionLoss(Backend& backend, LossKind kind, const Tensor& output, const Tensor& hostTarget,
    Tensor& grad, std::vector<float>& hostOutput, std::vector<float>& hostGrad)
{
    if (output.size() != hostTarget.size())
        throw ShapeError(toString(kind) + " loss: the model gives " + output.shape().toString()
            + " values, the targets are " + hostTarget.shape().toString());
    grad.resize(output.shape());
    const int64_t count = output.size();
    hostOutput.resize(static_cast<size_t>(count));
    hostGrad.resize(static_cast<size_t>(count));
    // The outputs come to the host (a batch of targets is small), the gradient goes back up.
    backend.download(hostOutput.data(), output.data(), count);
    const float loss = regressionLoss(kind, hostOutput.data(), hostTarget.data(), hostGrad.data(), count);
    backend.upload(grad.data(), hostGrad.data(), count);
    return loss;
}

DeviceLabels::~DeviceLabels()
{
    if (m_data)
        m_backend.allocator().deallocate(m_data);
}

const int32_t* DeviceLabels::upload(const std::vector<int32_t>& labels)
{
    if (labels.size() > m_capacity) {
        if (m_data)
            m_backend.allocator().deallocate(m_data);
        m_data = nullptr;
        m_capacity = 0;
        m_data = static_cast<int32_t*>(m_backend.allocator().allocate(sizeof(int32_t) * labels.size()));
        m_capacity = labels.size();
    }
    if (!labels.empty())
        m_backend.uploadBytes(m_data, labels.data(), static_cast<int64_t>(sizeof(int32_t) * labels.size()));
    return m_data;
}

float computeLoss(Backend& backend, LossKind kind, const Tensor& output, const int32_t* labels, Tensor& grad,
    bool outputIsProbabilities)
{
    if (output.shape().rank() < 1 || output.empty())
        throw ShapeError("loss: empty output " + output.shape().toString());
    const int64_t n = output.shape()[0], k = output.sampleSize();
    grad.resize(output.shape());
    switch (kind) {
    case LossKind::CrossEntropy:
        return outputIsProbabilities ? backend.crossEntropyOnProbabilities(output.data(), labels, grad.data(), n, k)
                                     : backend.softmaxCrossEntropy(output.data(), labels, grad.data(), n, k);
    case LossKind::MeanSquaredError:
        return backend.meanSquaredError(output.data(), labels, grad.data(), n, k);
    case LossKind::MeanAbsoluteError:
    case LossKind::Huber:
        break;
    }
    throw DataError("the " + toString(kind) + " loss needs real-valued targets, not class labels");
}

} // namespace netcanvas
