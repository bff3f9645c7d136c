#include "engine/layers/Tanh.h"

#include "engine/layers/Elementwise.h"

namespace netcanvas {

void registerTanh(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "Tanh";
    info.category = "Activation";
    info.doc = "Hyperbolic tangent: squashes values into (−1, 1), centred on 0";
    info.create = [](const std::string& name, const LayerParams& p) {
        return std::make_unique<ActivationLayer>("Tanh", name, p, ActivationKind::Tanh, 0.0f, 4);
    };
    registry.add(std::move(info));
}

} // namespace netcanvas
