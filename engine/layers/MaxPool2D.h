#pragma once
// MaxPool2D: the maximum of each pool×pool window, per channel. Padding cells never win.
// Forward remembers the argmax of every output; backward routes the gradient there.
#include "engine/layers/Pool2D.h"

#include <cstdint>
#include <vector>

namespace netcanvas {

class MaxPool2DLayer final : public Pool2DBase {
public:
    MaxPool2DLayer(std::string name, LayerParams params)
        : Pool2DBase("MaxPool2D", std::move(name), std::move(params))
    {
    }
    void forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out) override;
    void backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out, const Tensor& gradOut,
        const std::vector<Tensor*>& gradIn) override;

private:
    std::vector<int32_t> m_argmax; // per output: index into its input plane (h·W + w)
};

void registerMaxPool2D(LayerRegistry& registry);

} // namespace netcanvas
