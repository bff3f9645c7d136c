#pragma once
// cuDNN descriptor setup for the primitives, apart from any handle or device: cuDNN's
// descriptor functions run without a GPU, so tests/engine/test_cudnn_descriptors checks these
// with the real library on a machine without one (output sizes, padding plans, batch-norm modes).
// Errors throw BackendError starting with `who` ("cuda:0: convolution: ...").
#include "engine/backend/Backend.h"
#include "engine/backend/cuda/PaddingPlan.h"

#include <cudnn.h>

#include <string>

namespace netcanvas::cuda {

// int for cuDNN, or BackendError naming the value.
int cudnnDim(int64_t v, const char* what);
void setNchw(cudnnTensorDescriptor_t desc, int64_t n, int64_t c, int64_t h, int64_t w);

// The plan for a window, or BackendError when cuDNN's output size would differ from the layer's.
PaddingPlan checkedPlan(const WindowDesc& w, const std::string& who);

// Filter [F, C, kh, kw] and the convolution (cuDNN's symmetric padding from the plan, stride,
// cross-correlation, float): once per primitive.
void describeConvolution(
    const ConvDesc& desc, const PaddingPlan& plan, cudnnFilterDescriptor_t filter, cudnnConvolutionDescriptor_t conv);
// x [n, C, paddedH, paddedW] and y [n, F, outH, outW] for batch n; checks cuDNN's output size.
void describeConvolutionBatch(const ConvDesc& desc, const PaddingPlan& plan, int64_t n, cudnnTensorDescriptor_t x,
    cudnnTensorDescriptor_t y, cudnnFilterDescriptor_t filter, cudnnConvolutionDescriptor_t conv,
    const std::string& who);

// Max: CUDNN_POOLING_MAX_DETERMINISTIC; average: COUNT_EXCLUDE_PADDING with cuDNN's own
// padding, COUNT_INCLUDE_PADDING over an explicitly padded copy (no cuDNN padding: the
// exclusion is excludePaddingFactor's). NaNs propagate.
cudnnPoolingMode_t poolingMode(const PoolDesc& desc, const PaddingPlan& plan);
void describePooling(const PoolDesc& desc, const PaddingPlan& plan, cudnnPoolingDescriptor_t pool);
void describePoolingBatch(const PoolDesc& desc, const PaddingPlan& plan, int64_t n, cudnnTensorDescriptor_t x,
    cudnnTensorDescriptor_t y, cudnnPoolingDescriptor_t pool, const std::string& who);

// Spatial mode for spatial > 1, per-activation for N×C; x is [n, C, spatial, 1] and param the
// derived 1×C×1×1 descriptor of gamma, beta and the statistics.
cudnnBatchNormMode_t batchNormMode(const BatchNormDesc& desc);
void describeBatchNormBatch(
    const BatchNormDesc& desc, int64_t n, cudnnTensorDescriptor_t x, cudnnTensorDescriptor_t param);

} // namespace netcanvas::cuda
