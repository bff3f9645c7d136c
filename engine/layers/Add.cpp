#include "engine/layers/Add.h"

namespace netcanvas {

Shape AddLayer::outputShape(const std::vector<Shape>& inputs) const
{
    if (inputs.size() < 2)
        fail("takes at least 2 inputs, got " + std::to_string(inputs.size())
            + (inputs.empty() ? "" : " (" + shapesToString(inputs) + ")"));
    for (const Shape& s : inputs)
        if (s != inputs[0])
            fail(inputs, "all inputs must have the same shape");
    return inputs[0];
}

int64_t AddLayer::flops(const std::vector<Shape>& inputs) const
{
    return inputs.size() < 2 ? 0 : static_cast<int64_t>(inputs.size() - 1) * inputs[0].numel();
}

void AddLayer::forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out)
{
    const int64_t count = out.size();
    ctx.backend.add(in[0]->data(), in[1]->data(), out.data(), count);
    for (size_t k = 2; k < in.size(); ++k)
        ctx.backend.add(out.data(), in[k]->data(), out.data(), count);
}

void AddLayer::backward(const RunContext& ctx, const std::vector<const Tensor*>&, const Tensor&, const Tensor& gradOut,
    const std::vector<Tensor*>& gradIn)
{
    for (Tensor* g : gradIn)
        if (g)
            ctx.backend.copy(g->data(), gradOut.data(), gradOut.size());
}

void registerAdd(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "Add";
    info.category = "Merge";
    info.doc = "Adds its inputs element by element (all the same shape): the join of a residual connection";
    info.minInputs = 2;
    info.maxInputs = -1;
    info.create = [](const std::string& name, const LayerParams& p) { return std::make_unique<AddLayer>(name, p); };
    registry.add(std::move(info));
}

} // namespace netcanvas
