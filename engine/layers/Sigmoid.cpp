#include "engine/layers/Sigmoid.h"

#include "engine/layers/Elementwise.h"

namespace netcanvas {

void registerSigmoid(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "Sigmoid";
    info.category = "Activation";
    info.doc = "Logistic function 1/(1+e^−x): squashes values into (0, 1), like a probability";
    info.create = [](const std::string& name, const LayerParams& p) {
        return std::make_unique<ActivationLayer>("Sigmoid", name, p, ActivationKind::Sigmoid, 0.0f, 4);
    };
    registry.add(std::move(info));
}

} // namespace netcanvas
