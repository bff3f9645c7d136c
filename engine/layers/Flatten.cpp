#include "engine/layers/Flatten.h"

namespace netcanvas {

Shape FlattenLayer::outputShape(const std::vector<Shape>& inputs) const
{
    requireInputCount(inputs, 1);
    if (inputs[0].rank() == 0 || inputs[0].numel() <= 0)
        fail(inputs, "nothing to flatten");
    return Shape { inputs[0].numel() };
}

void registerFlatten(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "Flatten";
    info.category = "Core";
    info.doc = "Unrolls each sample (e.g. channels × height × width) into one long vector, for Dense layers";
    info.create = [](const std::string& name, const LayerParams& p) { return std::make_unique<FlattenLayer>(name, p); };
    registry.add(std::move(info));
}

} // namespace netcanvas
