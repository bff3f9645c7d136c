#include "engine/layers/AvgPool2D.h"

namespace netcanvas {

void registerAvgPool2D(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "AvgPool2D";
    info.category = "Pooling";
    info.doc = "Averages each window: shrinks feature maps smoothly (padding cells are not counted)";
    info.params = Pool2DBase::poolParams();
    info.create
        = [](const std::string& name, const LayerParams& p) { return std::make_unique<AvgPool2DLayer>(name, p); };
    registry.add(std::move(info));
}

} // namespace netcanvas
