#pragma once
// Losses over a batch. Each returns the mean loss and writes dL/d(output) (already divided
// by the batch size) into `grad`, resized to output's shape.
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
float softmaxCrossEntropy(const Tensor& logits, const std::vector<int32_t>& labels, Tensor& grad,
                          Tensor* probabilities = nullptr);
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

} // namespace netcanvas
