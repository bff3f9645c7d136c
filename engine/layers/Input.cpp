#include "engine/layers/Input.h"

#include <algorithm>

namespace netcanvas {

InputLayer::InputLayer(std::string name, LayerParams params)
    : BuiltinLayer("Input", std::move(name), std::move(params))
{
    m_shape = Shape { m_params.getInt("channels"), m_params.getInt("height"), m_params.getInt("width") };
}

Shape InputLayer::outputShape(const std::vector<Shape>& inputs) const
{
    if (!inputs.empty())
        fail(inputs, "an Input node takes no inputs");
    return m_shape;
}

void InputLayer::forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out)
{
    if (in.empty() || !in[0])
        return;
    ctx.backend.copy(out.data(), in[0]->data(), std::min(in[0]->size(), out.size()));
}

void InputLayer::backward(const RunContext& ctx, const std::vector<const Tensor*>&, const Tensor&,
    const Tensor& gradOut, const std::vector<Tensor*>& gradIn)
{
    if (!gradIn.empty() && gradIn[0])
        ctx.backend.copy(gradIn[0]->data(), gradOut.data(), std::min(gradOut.size(), gradIn[0]->size()));
}

void registerInput(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "Input";
    info.category = "Input";
    info.doc = "The images (or vectors) fed to the network: channels × height × width per sample";
    info.minInputs = 0;
    info.maxInputs = 0;
    info.params = { intParam("channels", 1, 1, 4096, "Channels per sample: 1 for grayscale, 3 for RGB"),
        intParam("height", 28, 1, 65536, "Height of each sample in pixels (1 for plain feature vectors)"),
        intParam("width", 28, 1, 65536, "Width of each sample in pixels (the feature count for vectors)") };
    info.create = [](const std::string& name, const LayerParams& p) { return std::make_unique<InputLayer>(name, p); };
    registry.add(std::move(info));
}

} // namespace netcanvas
