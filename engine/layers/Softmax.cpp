#include "engine/layers/Softmax.h"

namespace netcanvas {

Shape SoftmaxLayer::outputShape(const std::vector<Shape>& inputs) const
{
    requireInputCount(inputs, 1);
    if (inputs[0].rank() == 0 || inputs[0].numel() <= 0)
        fail(inputs, "needs at least one value per sample");
    return inputs[0];
}

int64_t SoftmaxLayer::flops(const std::vector<Shape>& inputs) const
{
    return 4 * inputs.at(0).numel();
}

void SoftmaxLayer::ensureIdentity(Backend& backend, int64_t k)
{
    if (m_identityBackend == &backend && m_identity.size() == k * k)
        return;
    Tensor host(Shape { k, k });
    for (int64_t i = 0; i < k; ++i)
        host[i * k + i] = 1.0f;
    m_identity = Tensor(host.shape(), backend.allocator());
    backend.upload(m_identity.data(), host.data(), host.size());
    m_a = Tensor(backend.allocator());
    m_b = Tensor(backend.allocator());
    m_c = Tensor(backend.allocator());
    m_identityBackend = &backend;
}

void SoftmaxLayer::toRows(Backend& backend, const float* src, float* dst, int64_t n, int64_t k, int64_t inner)
{
    // dst_s [inner × k] = src_sᵀ · I
    for (int64_t s = 0; s < n; ++s)
        backend.gemm(true, false, inner, k, k, 1.0f, src + s * k * inner, inner, m_identity.data(), k, 0.0f,
            dst + s * k * inner, k);
}

void SoftmaxLayer::fromRows(Backend& backend, const float* src, float* dst, int64_t n, int64_t k, int64_t inner)
{
    // dst_s [k × inner] = I · src_sᵀ
    for (int64_t s = 0; s < n; ++s)
        backend.gemm(false, true, k, inner, k, 1.0f, m_identity.data(), k, src + s * k * inner, k, 0.0f,
            dst + s * k * inner, inner);
}

void SoftmaxLayer::forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out)
{
    const Tensor& x = *in[0];
    const int64_t n = x.shape()[0];
    const int64_t k = x.shape()[1];
    const int64_t inner = x.sampleSize() / k;
    Backend& backend = ctx.backend;
    if (inner == 1) {
        backend.softmaxForward(x.data(), out.data(), n, k);
        return;
    }
    ensureIdentity(backend, k);
    m_a.resize(x.shape());
    m_b.resize(x.shape());
    toRows(backend, x.data(), m_a.data(), n, k, inner);
    backend.softmaxForward(m_a.data(), m_b.data(), n * inner, k);
    fromRows(backend, m_b.data(), out.data(), n, k, inner);
}

void SoftmaxLayer::backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out,
    const Tensor& gradOut, const std::vector<Tensor*>& gradIn)
{
    if (gradIn.empty() || !gradIn[0])
        return;
    const Tensor& x = *in[0];
    const int64_t n = x.shape()[0];
    const int64_t k = x.shape()[1];
    const int64_t inner = x.sampleSize() / k;
    Backend& backend = ctx.backend;
    if (inner == 1) {
        backend.softmaxBackward(out.data(), gradOut.data(), gradIn[0]->data(), n, k);
        return;
    }
    ensureIdentity(backend, k);
    m_a.resize(x.shape());
    m_b.resize(x.shape());
    m_c.resize(x.shape());
    toRows(backend, out.data(), m_a.data(), n, k, inner);
    toRows(backend, gradOut.data(), m_b.data(), n, k, inner);
    backend.softmaxBackward(m_a.data(), m_b.data(), m_c.data(), n * inner, k);
    fromRows(backend, m_c.data(), gradIn[0]->data(), n, k, inner);
}

void registerSoftmax(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "Softmax";
    info.category = "Activation";
    info.doc = "Turns scores into probabilities that sum to 1 (over classes, or over channels at each pixel)";
    info.create = [](const std::string& name, const LayerParams& p) { return std::make_unique<SoftmaxLayer>(name, p); };
    registry.add(std::move(info));
}

} // namespace netcanvas
