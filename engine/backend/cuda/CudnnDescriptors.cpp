#include "engine/backend/cuda/CudnnDescriptors.h"

#include "engine/backend/cuda/CudaCheck.h"

#include <limits>

namespace netcanvas::cuda {

int cudnnDim(int64_t v, const char* what)
{
    if (v < 0 || v > std::numeric_limits<int>::max())
        throw BackendError(std::string(what) + ": " + std::to_string(v) + " does not fit a cuDNN dimension (int)");
    return static_cast<int>(v);
}

void setNchw(cudnnTensorDescriptor_t desc, int64_t n, int64_t c, int64_t h, int64_t w)
{
    NC_CUDNN_CHECK(cudnnSetTensor4dDescriptor(desc, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, cudnnDim(n, "batch"),
        cudnnDim(c, "channels"), cudnnDim(h, "height"), cudnnDim(w, "width")));
}

PaddingPlan checkedPlan(const WindowDesc& w, const std::string& who)
{
    const PaddingPlan plan = planPadding(
        w.height, w.width, w.kernelH, w.kernelW, w.strideH, w.strideW, w.padTop, w.padLeft, w.padBottom, w.padRight);
    const std::string mismatch = planMismatch(plan, w.outH, w.outW);
    if (!mismatch.empty())
        throw BackendError(who + mismatch);
    return plan;
}

namespace {

void checkOutput(int oh, int ow, const WindowDesc& w, const std::string& who)
{
    if (oh != w.outH || ow != w.outW)
        throw BackendError(who + "cuDNN computes a " + std::to_string(oh) + "×" + std::to_string(ow)
            + " output, the layer expects " + std::to_string(w.outH) + "×" + std::to_string(w.outW));
}

} // namespace

void describeConvolution(
    const ConvDesc& desc, const PaddingPlan& plan, cudnnFilterDescriptor_t filter, cudnnConvolutionDescriptor_t conv)
{
    const WindowDesc& w = desc.window;
    NC_CUDNN_CHECK(cudnnSetFilter4dDescriptor(filter, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW,
        cudnnDim(desc.filters, "filters"), cudnnDim(w.channels, "channels"), cudnnDim(w.kernelH, "kernel height"),
        cudnnDim(w.kernelW, "kernel width")));
    NC_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv, cudnnDim(plan.cudnnPadH, "padding"),
        cudnnDim(plan.cudnnPadW, "padding"), cudnnDim(w.strideH, "stride"), cudnnDim(w.strideW, "stride"), 1, 1,
        CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
}

void describeConvolutionBatch(const ConvDesc& desc, const PaddingPlan& plan, int64_t n, cudnnTensorDescriptor_t x,
    cudnnTensorDescriptor_t y, cudnnFilterDescriptor_t filter, cudnnConvolutionDescriptor_t conv,
    const std::string& who)
{
    const WindowDesc& w = desc.window;
    setNchw(x, n, w.channels, plan.paddedH, plan.paddedW);
    setNchw(y, n, desc.filters, w.outH, w.outW);
    int on = 0, oc = 0, oh = 0, ow = 0;
    NC_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(conv, x, filter, &on, &oc, &oh, &ow));
    checkOutput(oh, ow, w, who);
}

cudnnPoolingMode_t poolingMode(const PoolDesc& desc, const PaddingPlan& plan)
{
    if (desc.kind == PoolKind::Max)
        return CUDNN_POOLING_MAX_DETERMINISTIC;
    return plan.explicitPad ? CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
}

void describePooling(const PoolDesc& desc, const PaddingPlan& plan, cudnnPoolingDescriptor_t pool)
{
    const WindowDesc& w = desc.window;
    NC_CUDNN_CHECK(cudnnSetPooling2dDescriptor(pool, poolingMode(desc, plan), CUDNN_PROPAGATE_NAN,
        cudnnDim(w.kernelH, "pool height"), cudnnDim(w.kernelW, "pool width"), cudnnDim(plan.cudnnPadH, "padding"),
        cudnnDim(plan.cudnnPadW, "padding"), cudnnDim(w.strideH, "stride"), cudnnDim(w.strideW, "stride")));
}

void describePoolingBatch(const PoolDesc& desc, const PaddingPlan& plan, int64_t n, cudnnTensorDescriptor_t x,
    cudnnTensorDescriptor_t y, cudnnPoolingDescriptor_t pool, const std::string& who)
{
    const WindowDesc& w = desc.window;
    setNchw(x, n, w.channels, plan.paddedH, plan.paddedW);
    setNchw(y, n, w.channels, w.outH, w.outW);
    int on = 0, oc = 0, oh = 0, ow = 0;
    NC_CUDNN_CHECK(cudnnGetPooling2dForwardOutputDim(pool, x, &on, &oc, &oh, &ow));
    checkOutput(oh, ow, w, who);
}

cudnnBatchNormMode_t batchNormMode(const BatchNormDesc& desc)
{
    return desc.spatial > 1 ? CUDNN_BATCHNORM_SPATIAL : CUDNN_BATCHNORM_PER_ACTIVATION;
}

void describeBatchNormBatch(
    const BatchNormDesc& desc, int64_t n, cudnnTensorDescriptor_t x, cudnnTensorDescriptor_t param)
{
    // N × C × spatial × 1: cuDNN's H·W is the layer's spatial size, whatever its shape.
    setNchw(x, n, desc.channels, desc.spatial, 1);
    NC_CUDNN_CHECK(cudnnDeriveBNTensorDescriptor(param, x, batchNormMode(desc)));
}

} // namespace netcanvas::cuda
