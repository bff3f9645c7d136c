#include "engine/layers/GRU.h"

namespace netcanvas {

void registerGRU(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "GRU";
    info.category = "Sequence";
    info.doc = "Recurrent layer with reset and update gates: lighter than an LSTM, often as good";
    info.params = RecurrentLayer::recurrentParams();
    info.create = [](const std::string& name, const LayerParams& p) { return std::make_unique<GRULayer>(name, p); };
    registry.add(std::move(info));
}

} // namespace netcanvas
