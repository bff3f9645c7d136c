#include "engine/layers/MaxPool2D.h"

namespace netcanvas {

void registerMaxPool2D(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "MaxPool2D";
    info.category = "Pooling";
    info.doc = "Keeps the largest value of each window: shrinks feature maps and tolerates small shifts";
    info.params = Pool2DBase::poolParams();
    info.create
        = [](const std::string& name, const LayerParams& p) { return std::make_unique<MaxPool2DLayer>(name, p); };
    registry.add(std::move(info));
}

} // namespace netcanvas
