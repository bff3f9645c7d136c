#include "engine/layers/LSTM.h"

namespace netcanvas {

void registerLSTM(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "LSTM";
    info.category = "Sequence";
    info.doc
        = "Recurrent layer with gates and a cell state that can carry information (and gradients) across many steps";
    info.params = RecurrentLayer::recurrentParams();
    info.create = [](const std::string& name, const LayerParams& p) { return std::make_unique<LSTMLayer>(name, p); };
    registry.add(std::move(info));
}

} // namespace netcanvas
