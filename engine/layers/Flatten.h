#pragma once
// Flatten: any per-sample shape → {numel}. Values are copied unchanged (row-major order).
#include "engine/layers/LayerSupport.h"

namespace netcanvas {

class FlattenLayer final : public ReshapingLayer {
public:
    FlattenLayer(std::string name, LayerParams params)
        : ReshapingLayer("Flatten", std::move(name), std::move(params))
    {
    }
    Shape outputShape(const std::vector<Shape>& inputs) const override;
};

void registerFlatten(LayerRegistry& registry);

} // namespace netcanvas
