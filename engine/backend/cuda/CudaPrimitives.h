#pragma once
// The stateful primitives of the CUDA backend (Backend.h): convolution, pooling, batch norm.
// Each owns its cuDNN descriptors; large temporaries (padded copies, workspaces) are the
// backend's shared scratch, which is safe because every operation runs in order on one stream.
#include "engine/backend/cuda/CudaBackend.h"
#include "engine/backend/cuda/CudnnDescriptors.h"
#include "engine/backend/cuda/PaddingPlan.h"

#include <map>

namespace netcanvas::cuda {

// Owns one cuDNN descriptor (created in the constructor, destroyed in the destructor).
template <typename T, cudnnStatus_t (*Create)(T*), cudnnStatus_t (*Destroy)(T)> class CudnnDescriptor {
public:
    CudnnDescriptor() { NC_CUDNN_CHECK(Create(&m_desc)); }
    ~CudnnDescriptor() { Destroy(m_desc); }
    CudnnDescriptor(const CudnnDescriptor&) = delete;
    CudnnDescriptor& operator=(const CudnnDescriptor&) = delete;
    operator T() const { return m_desc; }

private:
    T m_desc = nullptr;
};
using TensorDesc = CudnnDescriptor<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor>;
using FilterDesc = CudnnDescriptor<cudnnFilterDescriptor_t, cudnnCreateFilterDescriptor, cudnnDestroyFilterDescriptor>;
using ConvolutionDesc = CudnnDescriptor<cudnnConvolutionDescriptor_t, cudnnCreateConvolutionDescriptor,
    cudnnDestroyConvolutionDescriptor>;
using PoolingDesc
    = CudnnDescriptor<cudnnPoolingDescriptor_t, cudnnCreatePoolingDescriptor, cudnnDestroyPoolingDescriptor>;

// Convolution: cudnnConvolutionForward / BackwardData / BackwardFilter, algorithms from cuDNN's
// heuristics (cudnnGetConvolution*Algorithm_v7) chosen once per batch size and cached with their
// workspace sizes; the bias through the plugin's bias kernels.
class CudaConv final : public ConvPrimitive {
public:
    CudaConv(CudaBackend& backend, const ConvDesc& desc);
    void forward(int64_t n, const float* x, const float* w, const float* b, float* y, bool training) override;
    void backward(int64_t n, const float* x, const float* w, const float* dy, float* dx, float* dw, float* db) override;

    struct Algorithms {
        cudnnConvolutionFwdAlgo_t forward {};
        cudnnConvolutionBwdDataAlgo_t backwardData {};
        cudnnConvolutionBwdFilterAlgo_t backwardFilter {};
        cudnnMathType_t forwardMath {}, backwardDataMath {}, backwardFilterMath {};
        size_t forwardBytes = 0, backwardDataBytes = 0, backwardFilterBytes = 0;
    };

private:
    const Algorithms& prepare(int64_t n); // descriptors for batch n, its algorithms
    const float* padInput(int64_t n, const float* x);

    CudaBackend& m_backend;
    ConvDesc m_desc;
    PaddingPlan m_plan;
    TensorDesc m_x, m_y;
    FilterDesc m_w;
    ConvolutionDesc m_conv;
    int64_t m_preparedN = -1;
    std::map<int64_t, Algorithms> m_algorithms; // per batch size
};

// Pooling: cudnnPoolingForward / Backward (max: CUDNN_POOLING_MAX_DETERMINISTIC; average:
// COUNT_EXCLUDE_PADDING). Asymmetric padding: max pools a −∞-padded copy; average pools a
// zero-padded copy and rescales each output by kh·kw / (cells inside the input).
class CudaPool final : public PoolPrimitive {
public:
    CudaPool(CudaBackend& backend, const PoolDesc& desc);
    void forward(int64_t n, const float* x, float* y, bool training) override;
    void backward(int64_t n, const float* x, const float* y, const float* dy, float* dx) override;

private:
    void prepare(int64_t n);
    PoolGeometry geometry() const;

    CudaBackend& m_backend;
    PoolDesc m_desc;
    PaddingPlan m_plan;
    TensorDesc m_x, m_y;
    PoolingDesc m_pool;
    int64_t m_preparedN = -1;
};

// Batch norm: cudnnBatchNormalizationForwardTraining / ForwardInference / Backward, spatial
// mode over N×C×(H·W), per-activation mode for N×C; saved mean and inverse std for backward.
class CudaBatchNorm final : public BatchNormPrimitive {
public:
    CudaBatchNorm(CudaBackend& backend, const BatchNormDesc& desc);
    void forward(int64_t n, const float* x, float* y, const float* gamma, const float* beta, float* runningMean,
        float* runningVar, bool training) override;
    void backward(int64_t n, const float* x, const float* dy, const float* gamma, float* dx, float* dgamma,
        float* dbeta) override;

private:
    void prepare(int64_t n);

    CudaBackend& m_backend;
    BatchNormDesc m_desc;
    cudnnBatchNormMode_t m_mode;
    TensorDesc m_x, m_param;
    int64_t m_preparedN = -1;
    DeviceBuffer m_saveMean, m_saveInvStd;
    bool m_haveSaved = false;
};

} // namespace netcanvas::cuda
