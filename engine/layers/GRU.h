#pragma once
// GRU: Gated recurrent unit (PyTorch's nn.GRU) — reset and update gates (r, z) and the candidate n = tanh(W_in x + b_in
// + r ⊙ (W_hn h + b_hn)); h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}. T×F → T×(D·units) with return_sequences, else D·units (D = 2
// when bidirectional). Shapes, parameter layout and backpropagation through time: RecurrentLayer (Recurrent.h).
#include "engine/layers/Recurrent.h"

namespace netcanvas {

class GRULayer final : public RecurrentLayer {
public:
    GRULayer(std::string name, LayerParams params)
        : RecurrentLayer("GRU", std::move(name), std::move(params), Cell::Gru)
    {
    }
};

void registerGRU(LayerRegistry& registry);

} // namespace netcanvas
