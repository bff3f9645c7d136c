#include "engine/layers/ELU.h"

#include "engine/layers/Elementwise.h"

namespace netcanvas {

void registerELU(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "ELU";
    info.category = "Activation";
    info.doc = "Exponential linear unit: x for positives, a smooth curve down to −alpha for negatives";
    info.params = { floatParam("alpha", 1.0, 0.0, 100.0, "Value approached for very negative inputs (−alpha)") };
    info.create = [](const std::string& name, const LayerParams& p) {
        return std::make_unique<ActivationLayer>(
            "ELU", name, p, ActivationKind::Elu, static_cast<float>(p.getFloat("alpha")), 2);
    };
    registry.add(std::move(info));
}

} // namespace netcanvas
