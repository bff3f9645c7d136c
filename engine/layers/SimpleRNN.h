#pragma once
// SimpleRNN: a plain recurrent layer (PyTorch's nn.RNN with tanh):
// h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh).
// T×F → T×(D·units) with return_sequences, else D·units (D = 2 when bidirectional). Shapes,
// parameter layout and backpropagation through time: RecurrentLayer (Recurrent.h).
#include "engine/layers/Recurrent.h"

namespace netcanvas {

class SimpleRNNLayer final : public RecurrentLayer {
public:
    SimpleRNNLayer(std::string name, LayerParams params)
        : RecurrentLayer("SimpleRNN", std::move(name), std::move(params), Cell::Simple)
    {
    }
};

void registerSimpleRNN(LayerRegistry& registry);

} // namespace netcanvas
