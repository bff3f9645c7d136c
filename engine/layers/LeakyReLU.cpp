#include "engine/layers/LeakyReLU.h"

#include "engine/layers/Elementwise.h"

namespace netcanvas {

void registerLeakyReLU(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "LeakyReLU";
    info.category = "Activation";
    info.doc = "Like ReLU but lets a small slope alpha·x through for negatives, so units never die";
    info.params = { floatParam("alpha", 0.01, 0.0, 1.0, "Slope for negative inputs") };
    info.create = [](const std::string& name, const LayerParams& p) {
        return std::make_unique<ActivationLayer>(
            "LeakyReLU", name, p, ActivationKind::LeakyRelu, static_cast<float>(p.getFloat("alpha")), 1);
    };
    registry.add(std::move(info));
}

} // namespace netcanvas
