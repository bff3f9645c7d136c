#include "engine/layers/ReLU.h"

#include "engine/layers/Elementwise.h"

namespace netcanvas {

void registerReLU(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "ReLU";
    info.category = "Activation";
    info.doc = "Rectified linear unit max(0, x): passes positives, zeroes negatives; the usual default";
    info.create = [](const std::string& name, const LayerParams& p) {
        return std::make_unique<ActivationLayer>("ReLU", name, p, ActivationKind::Relu, 0.0f, 1);
    };
    registry.add(std::move(info));
}

} // namespace netcanvas
