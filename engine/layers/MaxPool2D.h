#pragma once
// MaxPool2D: the maximum of each pool×pool window, per channel. Padding cells never win;
// ties go to the first maximum in row-major order, which also receives the gradient.
#include "engine/layers/Pool2D.h"

namespace netcanvas {

class MaxPool2DLayer final : public Pool2DBase {
public:
    MaxPool2DLayer(std::string name, LayerParams params)
        : Pool2DBase("MaxPool2D", std::move(name), std::move(params), PoolKind::Max)
    {
    }
};

void registerMaxPool2D(LayerRegistry& registry);

} // namespace netcanvas
