#include "engine/layers/Concat.h"

namespace netcanvas {

Shape ConcatLayer::outputShape(const std::vector<Shape>& inputs) const
{
    if (inputs.size() < 2)
        fail("takes at least 2 inputs, got " + std::to_string(inputs.size())
            + (inputs.empty() ? "" : " (" + shapesToString(inputs) + ")"));
    const Shape& first = inputs[0];
    if (first.rank() == 0)
        fail(inputs, "inputs need at least one dimension");
    Shape out = first;
    for (size_t k = 1; k < inputs.size(); ++k) {
        const Shape& s = inputs[k];
        bool same = s.rank() == first.rank();
        for (int d = 1; same && d < s.rank(); ++d)
            same = s[d] == first[d];
        if (!same)
            fail(inputs, "all dimensions but the first (channels) must match");
        out[0] += s[0];
    }
    return out;
}

void ConcatLayer::forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out)
{
    // Input k fills columns [offset, offset + its sample size) of the N × outSample matrix.
    const int64_t n = out.shape()[0];
    const int64_t outSample = out.sampleSize();
    int64_t offset = 0;
    for (const Tensor* t : in) {
        const int64_t size = t->sampleSize();
        ctx.backend.copy2D(out.data() + offset, outSample, t->data(), size, n, size);
        offset += size;
    }
}

void ConcatLayer::backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor&,
    const Tensor& gradOut, const std::vector<Tensor*>& gradIn)
{
    const int64_t n = gradOut.shape()[0];
    const int64_t outSample = gradOut.sampleSize();
    int64_t offset = 0;
    for (size_t k = 0; k < in.size(); ++k) {
        const int64_t size = in[k]->sampleSize();
        if (gradIn[k])
            ctx.backend.copy2D(gradIn[k]->data(), size, gradOut.data() + offset, outSample, n, size);
        offset += size;
    }
}

void registerConcat(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "Concat";
    info.category = "Merge";
    info.doc = "Stacks its inputs along the channels (or features); the other dimensions must match";
    info.minInputs = 2;
    info.maxInputs = -1;
    info.create = [](const std::string& name, const LayerParams& p) { return std::make_unique<ConcatLayer>(name, p); };
    registry.add(std::move(info));
}

} // namespace netcanvas
