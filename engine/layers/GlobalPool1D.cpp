#include "engine/layers/GlobalPool1D.h"

namespace netcanvas {

SequenceDims GlobalPool1DLayer::dims(const std::vector<Shape>& inputs) const
{
    requireInputCount(inputs, 1);
    SequenceDims d;
    if (!sequenceDims(inputs[0], d))
        fail(inputs, type() + " needs a sequence of steps×features (T×F)");
    return d;
}

Shape GlobalPool1DLayer::outputShape(const std::vector<Shape>& inputs) const
{
    return Shape { dims(inputs).features };
}

int64_t GlobalPool1DLayer::flops(const std::vector<Shape>& inputs) const
{
    const SequenceDims d = dims(inputs);
    return d.steps * d.features;
}

void GlobalPool1DLayer::build(const std::vector<Shape>& inputs, Rng&)
{
    m_dims = dims(inputs);
    m_prim.reset();
}

PoolPrimitive& GlobalPool1DLayer::primitive(Backend& backend)
{
    return ensurePrimitive(m_prim, m_primBackend, backend, [this](Backend& b) {
        PoolDesc desc;
        desc.kind = m_kind;
        WindowDesc& w = desc.window;
        w.channels = 1;
        w.height = w.kernelH = w.strideH = m_dims.steps;
        w.width = m_dims.features;
        w.kernelW = w.strideW = 1;
        w.outH = 1;
        w.outW = m_dims.features;
        return b.createPool(desc);
    });
}

void GlobalPool1DLayer::forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out)
{
    primitive(ctx.backend).forward(in[0]->shape()[0], in[0]->data(), out.data(), ctx.training);
}

void GlobalPool1DLayer::backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out,
    const Tensor& gradOut, const std::vector<Tensor*>& gradIn)
{
    if (gradIn.empty() || !gradIn[0])
        return;
    primitive(ctx.backend).backward(in[0]->shape()[0], in[0]->data(), out.data(), gradOut.data(), gradIn[0]->data());
}

void registerGlobalPool1D(LayerRegistry& registry)
{
    const struct {
        const char* type;
        PoolKind kind;
        const char* doc;
    } kinds[] = {
        { "GlobalAvgPool1D", PoolKind::Average,
            "Averages each feature over all steps: steps×features becomes features" },
        { "GlobalMaxPool1D", PoolKind::Max,
            "Keeps each feature's largest value over all steps: steps×features becomes features" },
    };
    for (const auto& k : kinds) {
        LayerInfo info;
        info.type = k.type;
        info.category = "Sequence";
        info.doc = k.doc;
        const std::string type = k.type;
        const PoolKind kind = k.kind;
        info.create = [type, kind](const std::string& name, const LayerParams& p) {
            return std::make_unique<GlobalPool1DLayer>(type, name, p, kind);
        };
        registry.add(std::move(info));
    }
}

} // namespace netcanvas
