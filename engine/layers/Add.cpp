#include "engine/layers/Add.h"

#include <algorithm>

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
    const std::vector<const Tensor*>* inputs = &in;
    float* dst = out.data();
    parallelRange(ctx.backend, out.size(), 32768, [inputs, dst](int64_t b, int64_t e) {
        const auto& ins = *inputs;
        const float* first = ins[0]->data();
        std::copy(first + b, first + e, dst + b);
        for (size_t k = 1; k < ins.size(); ++k) {
            const float* src = ins[k]->data();
            for (int64_t i = b; i < e; ++i)
                dst[i] += src[i];
        }
    });
}

void AddLayer::backward(const RunContext&, const std::vector<const Tensor*>&, const Tensor&, const Tensor& gradOut,
    const std::vector<Tensor*>& gradIn)
{
    for (Tensor* g : gradIn)
        if (g)
            std::copy(gradOut.data(), gradOut.data() + gradOut.size(), g->data());
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
