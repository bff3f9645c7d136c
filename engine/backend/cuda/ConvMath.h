#pragma once
// The cuDNN math type of a convolution for each Precision, as pure logic that a host test
// checks against the real cuDNN header (tests/engine/test_cudnn_descriptors).
//
// cuDNN's cudnnMathType_t, per its documentation:
//   CUDNN_DEFAULT_MATH     tensor cores are not used for float32 data before Ampere; from
//                          compute capability 8.0 on TF32 tensor cores are allowed.
//   CUDNN_TENSOR_OP_MATH   tensor cores allowed, without down-converting the data to use them.
//   CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION  tensor cores allowed, and float32 data may be
//                          converted to FP16 internally to use them (results back in float32).
//   CUDNN_FMA_MATH         only kernels that use FMA instructions (no tensor cores).
// The descriptor carries the math type; the _v7 heuristics rank the algorithms it allows and
// report each with the math type it runs in.
#include "engine/backend/Precision.h"

#include <cudnn.h>

namespace netcanvas::cuda {

// The math type the descriptor holds while cuDNN's heuristics rank the algorithms.
// tensorCores: compute capability >= 8.0 (where CUDNN_DEFAULT_MATH would allow TF32).
inline cudnnMathType_t heuristicsMath(Precision p, bool tensorCores)
{
    switch (p) {
    case Precision::Fp16:
        return CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
    case Precision::Tf32:
        return CUDNN_DEFAULT_MATH;
    case Precision::Fp32:
        break;
    }
    return tensorCores ? CUDNN_FMA_MATH : CUDNN_DEFAULT_MATH;
}

// Whether an algorithm reported with math type `reported` may run in mode p:
//   Fp32  never a down-conversion; with tensorCores nothing tensor-op-only (it runs in FMA math);
//   Tf32  anything but a down-conversion to FP16;
//   Fp16  anything (FP16 tensor cores, TF32 or plain float32).
inline bool mathUsable(cudnnMathType_t reported, Precision p, bool tensorCores)
{
    if (p == Precision::Fp16)
        return true;
    if (reported == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION)
        return false;
    if (p == Precision::Fp32 && tensorCores)
        return reported != CUDNN_TENSOR_OP_MATH; // tensor-op-only kernels cannot run in FMA math
    return true;
}

// The math type a usable algorithm runs with: CUDNN_FMA_MATH for Fp32 where the default would
// allow TF32 (compute capability >= 8.0); otherwise the one the heuristics reported.
inline cudnnMathType_t mathFor(cudnnMathType_t reported, Precision p, bool tensorCores)
{
    return (p == Precision::Fp32 && tensorCores) ? CUDNN_FMA_MATH : reported;
}

} // namespace netcanvas::cuda
