#include "engine/backend/cuda/CudaPrimitives.h"

namespace netcanvas::cuda {

// Spatial mode normalizes each channel over N·H·W (after a convolution); per-activation mode
// each of the C features over N (after a Dense layer: N×C, spatial = 1). With spatial = 1 the two
// compute the same statistics; per-activation is cuDNN's mode for that case.
CudaBatchNorm::CudaBatchNorm(CudaBackend& backend, const BatchNormDesc& desc)
    : m_backend(backend)
    , m_desc(desc)
    , m_mode(batchNormMode(desc))
    , m_saveMean(backend.allocator())
    , m_saveInvStd(backend.allocator())
{
    if (!(desc.epsilon >= CUDNN_BN_MIN_EPSILON))
        throw BackendError(backend.prefix() + "batch norm: epsilon " + std::to_string(desc.epsilon)
            + " is below cuDNN's minimum " + std::to_string(CUDNN_BN_MIN_EPSILON));
}

void CudaBatchNorm::prepare(int64_t n)
{
    if (m_preparedN == n)
        return;
    describeBatchNormBatch(m_desc, n, m_x, m_param);
    m_preparedN = n;
}

void CudaBatchNorm::forward(int64_t n, const float* x, float* y, const float* gamma, const float* beta,
    float* runningMean, float* runningVar, bool training)
{
    if (n <= 0)
        return;
    m_backend.bind();
    prepare(n);
    const float one = 1.0f, zero = 0.0f;
    if (!training) {
        NC_CUDNN_CHECK(cudnnBatchNormalizationForwardInference(m_backend.cudnn(), m_mode, &one, &zero, m_x, x, m_x, y,
            m_param, gamma, beta, runningMean, runningVar, m_desc.epsilon));
        return;
    }
    const size_t bytes = static_cast<size_t>(m_desc.channels) * sizeof(float);
    // cuDNN: running = running·(1 − factor) + batch·factor, the variance term unbiased (the
    // Backend.h convention, PyTorch's momentum): factor = momentum.
    NC_CUDNN_CHECK(cudnnBatchNormalizationForwardTraining(m_backend.cudnn(), m_mode, &one, &zero, m_x, x, m_x, y,
        m_param, gamma, beta, m_desc.momentum, runningMean, runningVar, m_desc.epsilon, m_saveMean.ensure(bytes),
        m_saveInvStd.ensure(bytes)));
    m_haveSaved = true;
}

void CudaBatchNorm::backward(
    int64_t n, const float* x, const float* dy, const float* gamma, float* dx, float* dgamma, float* dbeta)
{
    if (n <= 0)
        return;
    if (!m_haveSaved)
        throw BackendError(m_backend.prefix() + "batch norm backward without a training forward");
    m_backend.bind();
    prepare(n);
    // cuDNN always writes dx: a scratch buffer when the caller wants none.
    float* target = dx ? dx
                       : static_cast<float*>(m_backend.scratch(
                           3, static_cast<size_t>(n * m_desc.channels * m_desc.spatial) * sizeof(float)));
    const float one = 1.0f, zero = 0.0f;
    const size_t bytes = static_cast<size_t>(m_desc.channels) * sizeof(float);
    NC_CUDNN_CHECK(cudnnBatchNormalizationBackward(m_backend.cudnn(), m_mode, &one, &zero, &one, &zero, m_x, x, m_x, dy,
        m_x, target, m_param, gamma, dgamma, dbeta, m_desc.epsilon, m_saveMean.ensure(bytes),
        m_saveInvStd.ensure(bytes)));
}

} // namespace netcanvas::cuda
