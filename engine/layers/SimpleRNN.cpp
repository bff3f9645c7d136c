#include "engine/layers/SimpleRNN.h"

namespace netcanvas {

void registerSimpleRNN(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "SimpleRNN";
    info.category = "Sequence";
    info.doc = "Reads a sequence step by step, keeping a hidden state: h = tanh(W·x + U·h + b)";
    info.params = RecurrentLayer::recurrentParams();
    info.create
        = [](const std::string& name, const LayerParams& p) { return std::make_unique<SimpleRNNLayer>(name, p); };
    registry.add(std::move(info));
}

} // namespace netcanvas
