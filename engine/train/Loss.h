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

enum class LossKind { CrossEntropy, MeanSquaredError };
LossKind lossKindFromString(const std::string& s); // "cross_entropy" | "mse"; throws FormatError
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
