#pragma once
// What the sequence layer kinds share (not a layer kind itself): the sequence convention.
//
// A sequence sample is a T×F tensor — T time steps of F features, time first (Keras's layout
// and PyTorch's batch_first) — so Embedding, the recurrent layers, Conv1D, the 1-D pools and
// TimeDistributedDense chain without transposes. A 1×T×F sample (an Input node with one
// channel: height = steps, width = features) is read as T×F.
#include "engine/core/Shape.h"

#include <cstdint>
#include <string>

namespace netcanvas {

struct SequenceDims {
    int64_t steps = 0, features = 0;
};

// The T×F reading of a per-sample shape; false when it is not a sequence (rank 2, or rank 3
// with a leading 1, every size positive).
bool sequenceDims(const Shape& shape, SequenceDims& out);

// A window sliding along time (Conv1D, MaxPool1D). padding: "valid" (none) or "same"
// (out = ceil(steps/stride); total padding max((out−1)·stride + kernel − steps, 0), the
// front gets total/2 and the back the rest — PyTorch's padding='same' for stride 1, Keras's).
struct Window1D {
    int64_t kernel = 1, stride = 1, padFront = 0, padBack = 0, inSteps = 0, outSteps = 0;
};
// Empty on success, else the reason it does not fit ("kernel 5 does not fit 3 steps with padding valid").
std::string computeWindow1D(int64_t steps, int64_t kernel, int64_t stride, const std::string& padding, Window1D& out);

} // namespace netcanvas
