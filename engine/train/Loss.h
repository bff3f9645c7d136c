#pragma once
// Losses over a batch. Each returns the mean loss and writes dL/d(output) (already divided
// by the batch size) into `grad`, resized to output's shape.
//
// Two forms: the host functions below (host tensors and labels: tests, tools; they run the
// CPU backend's loss code), and computeLoss(Backend&, ...) on tensors of a backend's device
// with labels uploaded into a DeviceLabels buffer — what the Trainer runs.
#include "engine/backend/Backend.h"
#include "engine/core/Tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace netcanvas {

// MeanAbsoluteError and Huber take real-valued targets only; MeanSquaredError takes either a
// one-hot of class labels or real-valued targets.
enum class LossKind { CrossEntropy, MeanSquaredError, MeanAbsoluteError, Huber };
// "cross_entropy" | "mse" | "mae" | "huber"; throws FormatError
LossKind lossKindFromString(const std::string& s);
bool isRegressionLoss(LossKind kind); // mse, mae, huber
std::string toString(LossKind k);

// Softmax cross-entropy on logits (N×K), fused and numerically stable (log-sum-exp).
// Labels must be in [0, K). `probabilities` (optional) receives the softmax.
float softmaxCrossEntropy(
    const Tensor& logits, const std::vector<int32_t>& labels, Tensor& grad, Tensor* probabilities = nullptr);
// Cross-entropy on probabilities (N×K, rows summing to 1) — for a model that ends in a
// Softmax layer: the gradient w.r.t. the probabilities is -1/(N·p_y) at the label, which the
// Softmax layer's backward turns into the fused (p - onehot)/N. p_y is clamped at 1e-30.
float crossEntropyOnProbabilities(const Tensor& probabilities, const std::vector<int32_t>& labels, Tensor& grad);
// Mean squared error between output (N×K) and the one-hot encoding of labels, averaged over N·K.
float meanSquaredError(const Tensor& output, const std::vector<int32_t>& labels, Tensor& grad);
// Mean squared error against an explicit target of the same shape.
float meanSquaredError(const Tensor& output, const Tensor& target, Tensor& grad);

// Regression losses against real-valued targets of the same number of values, averaged over
// every value (PyTorch's reduction='mean'): MSE (o−t)², MAE |o−t| (gradient 0 at 0), Huber
// with `delta` (PyTorch's HuberLoss: ½d² inside |d| ≤ delta, delta·(|d| − ½delta) outside).
// Writes dL/d(output) into grad; cross_entropy throws DataError.
float regressionLoss(
    LossKind kind, const float* out, const float* target, float* grad, int64_t count, float delta = 1.0f);
float regressionLoss(LossKind kind, const Tensor& output, const Tensor& target, Tensor& grad, float delta = 1.0f);
// The same for an output and grad on a backend's device and targets on the host: the outputs
// are downloaded into hostOutput, the gradient computed on the host and uploaded (a batch of
// targets is small; a device kernel can replace this later). hostOutput receives the outputs.
float computeRegressionLoss(Backend& backend, LossKind kind, const Tensor& output, const Tensor& hostTarget,
    Tensor& grad, std::vector<float>& hostOutput, std::vector<float>& hostGrad);

// outputIsProbabilities: the model ends in Softmax, so cross-entropy takes probabilities.
float computeLoss(LossKind kind, const Tensor& output, const std::vector<int32_t>& labels, Tensor& grad,
    bool outputIsProbabilities = false);

// A batch's labels as int32 in memory of a backend's device: one buffer, allocated on first
// use and grown only when a batch is larger. Not copyable.
class DeviceLabels {
public:
    explicit DeviceLabels(Backend& backend)
        : m_backend(backend)
    {
    }
    ~DeviceLabels();
    DeviceLabels(const DeviceLabels&) = delete;
    DeviceLabels& operator=(const DeviceLabels&) = delete;
    // Uploads the labels (checked by the caller to lie in [0, K)); returns the device pointer,
    // valid until the next upload.
    const int32_t* upload(const std::vector<int32_t>& labels);

private:
    Backend& m_backend;
    int32_t* m_data = nullptr;
    size_t m_capacity = 0; // labels
};

// The loss of a batch on `backend`: output (N×K) and grad on its device (grad resized to
// output's shape, keeping its allocator), labels from DeviceLabels::upload. Returns the mean
// loss (the only value that crosses to the host).
float computeLoss(Backend& backend, LossKind kind, const Tensor& output, const int32_t* labels, Tensor& grad,
    bool outputIsProbabilities = false);

} // namespace netcanvas
