#include "engine/backend/cuda/CudaPrimitives.h"

#include <cmath>

namespace netcanvas::cuda {

CudaPool::CudaPool(CudaBackend& backend, const PoolDesc& desc)
    : m_backend(backend)
    , m_desc(desc)
    , m_plan(checkedPlan(desc.window, backend.prefix() + "pooling: "))
{
    describePooling(desc, m_plan, m_pool);
}

void CudaPool::prepare(int64_t n)
{
    if (m_preparedN == n)
        return;
    describePoolingBatch(m_desc, m_plan, n, m_x, m_y, m_pool, m_backend.prefix() + "pooling: ");
    m_preparedN = n;
}

PoolGeometry CudaPool::geometry() const
{
    const WindowDesc& w = m_desc.window;
    return { w.height, w.width, w.kernelH, w.kernelW, w.strideH, w.strideW, w.padTop, w.padLeft, w.outH, w.outW };
}

void CudaPool::forward(int64_t n, const float* x, float* y, bool)
{
    if (n <= 0)
        return;
    m_backend.bind();
    prepare(n);
    const WindowDesc& w = m_desc.window;
    const float one = 1.0f, zero = 0.0f;
    if (!m_plan.explicitPad) {
        NC_CUDNN_CHECK(cudnnPoolingForward(m_backend.cudnn(), m_pool, &one, m_x, x, &zero, m_y, y));
        return;
    }
    const int64_t planes = n * w.channels;
    auto* padded = static_cast<float*>(
        m_backend.scratch(0, static_cast<size_t>(planes * m_plan.paddedH * m_plan.paddedW) * sizeof(float)));
    const bool max = m_desc.kind == PoolKind::Max;
    launch::padPlanes(x, padded, planes, w.height, w.width, w.padTop, w.padLeft, w.padBottom, w.padRight,
        max ? -INFINITY : 0.0f, m_backend.stream());
    NC_CUDNN_CHECK(cudnnPoolingForward(m_backend.cudnn(), m_pool, &one, m_x, padded, &zero, m_y, y));
    if (!max)
        launch::excludePaddingScale(y, y, planes, geometry(), m_backend.stream());
}

void CudaPool::backward(int64_t n, const float* x, const float* y, const float* dy, float* dx)
{
    if (n <= 0)
        return;
    m_backend.bind();
    prepare(n);
    const WindowDesc& w = m_desc.window;
    const float one = 1.0f, zero = 0.0f;
    if (!m_plan.explicitPad) {
        NC_CUDNN_CHECK(cudnnPoolingBackward(m_backend.cudnn(), m_pool, &one, m_y, y, m_y, dy, m_x, x, &zero, m_x, dx));
        return;
    }
    const int64_t planes = n * w.channels;
    const size_t paddedBytes = static_cast<size_t>(planes * m_plan.paddedH * m_plan.paddedW) * sizeof(float);
    const size_t outBytes = static_cast<size_t>(planes * w.outH * w.outW) * sizeof(float);
    auto* paddedX = static_cast<float*>(m_backend.scratch(0, paddedBytes));
    auto* paddedDx = static_cast<float*>(m_backend.scratch(1, paddedBytes));
    const bool max = m_desc.kind == PoolKind::Max;
    launch::padPlanes(x, paddedX, planes, w.height, w.width, w.padTop, w.padLeft, w.padBottom, w.padRight,
        max ? -INFINITY : 0.0f, m_backend.stream());
    if (max) {
        // y is what cuDNN computed from the −∞-padded x: the maxima it routes dy to.
        NC_CUDNN_CHECK(
            cudnnPoolingBackward(m_backend.cudnn(), m_pool, &one, m_y, y, m_y, dy, m_x, paddedX, &zero, m_x, paddedDx));
    } else {
        // d(out)/d(raw) = kh·kw / valid: scale dy the same way the forward scaled y; cuDNN's own
        // output (before scaling) is recomputed for its y argument.
        auto* scaledDy = static_cast<float*>(m_backend.scratch(2, outBytes));
        auto* rawY = static_cast<float*>(m_backend.scratch(3, outBytes));
        launch::excludePaddingScale(dy, scaledDy, planes, geometry(), m_backend.stream());
        NC_CUDNN_CHECK(cudnnPoolingForward(m_backend.cudnn(), m_pool, &one, m_x, paddedX, &zero, m_y, rawY));
        NC_CUDNN_CHECK(cudnnPoolingBackward(
            m_backend.cudnn(), m_pool, &one, m_y, rawY, m_y, scaledDy, m_x, paddedX, &zero, m_x, paddedDx));
    }
    launch::cropPlanes(
        paddedDx, dx, planes, w.height, w.width, w.padTop, w.padLeft, w.padBottom, w.padRight, m_backend.stream());
}

} // namespace netcanvas::cuda
