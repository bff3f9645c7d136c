#pragma once
// LSTM: Long short-term memory (PyTorch's nn.LSTM) — input, forget, cell and output gates (i, f, g, o); c_t = f ⊙
// c_{t-1} + i ⊙ g, h_t = o ⊙ tanh(c_t). T×F → T×(D·units) with return_sequences, else D·units (D = 2 when
// bidirectional). Shapes, parameter layout and backpropagation through time: RecurrentLayer (Recurrent.h).
#include "engine/layers/Recurrent.h"

namespace netcanvas {

class LSTMLayer final : public RecurrentLayer {
public:
    LSTMLayer(std::string name, LayerParams params)
        : RecurrentLayer("LSTM", std::move(name), std::move(params), Cell::Lstm)
    {
    }
};

void registerLSTM(LayerRegistry& registry);

} // namespace netcanvas
