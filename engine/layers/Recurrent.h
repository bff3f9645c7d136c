#pragma once
// RecurrentLayer: what SimpleRNN, LSTM and GRU share (not a layer kind itself) — the
// parameters units / return_sequences / bidirectional, shape inference, PyTorch's parameter
// layout and initialization, and backpropagation through time.
//
// Input T×F (SequenceSupport.h), output T×(D·H) with return_sequences, else D·H: the final
// state of each direction (PyTorch's h_n; for the backward direction the state after reading
// step 0), D = 2 when bidirectional (forward then backward, concatenated as PyTorch does).
// The initial state is zero.
//
// Parameters, per direction (suffix "_reverse" for the backward one), exactly nn.RNN /
// nn.LSTM / nn.GRU's (docs/model-format.md): weight_ih [G·H × F], weight_hh [G·H × H],
// bias_ih [G·H], bias_hh [G·H], with G gates in PyTorch's order — SimpleRNN 1 (tanh),
// LSTM 4 (i, f, g, o), GRU 3 (r, z, n; n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))).
// Initialized U(±1/√H) like PyTorch.
//
// Computation (per direction, time-major buffers in processing order): the input projection
// of every step and gate is one GEMM hoisted out of the time loop; each step adds one GEMM of
// the previous state and one cell operation (Backend::lstmCellForward / gruCellForward, or
// tanh). Backward walks the steps in reverse with one GEMM per step for dL/dh_prev; the weight
// and input gradients are again one GEMM each over all steps.
#include "engine/layers/LayerSupport.h"

#include <string>
#include <vector>

namespace netcanvas {

// One sample's pass through one direction of a recurrent layer, time in input order: what
// inspection shows (engine/inspect).
struct RecurrentTrace {
    int64_t steps = 0, units = 0;
    std::vector<float> hidden; // steps × units: h_t
    std::vector<std::string> gateNames; // LSTM: i, f, g, o, c (the cell state); GRU: r, z, n; SimpleRNN: none
    std::vector<std::vector<float>> gates; // per name, steps × units (activations)
    std::vector<float> gradNorm; // per step: ‖dL/dh_t‖ (empty before a backward)
};

class RecurrentLayer : public BuiltinLayer {
public:
    enum class Cell { Simple, Lstm, Gru };
    RecurrentLayer(std::string type, std::string name, LayerParams params, Cell cell);

    Shape outputShape(const std::vector<Shape>& inputs) const override;
    int64_t paramCount(const std::vector<Shape>& inputs) const override;
    int64_t flops(const std::vector<Shape>& inputs) const override;
    void build(const std::vector<Shape>& inputs, Rng& rng) override;
    void forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out) override;
    void backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out, const Tensor& gradOut,
        const std::vector<Tensor*>& gradIn) override;

    Cell cell() const { return m_cell; }
    int directions() const { return m_bidirectional ? 2 : 1; }
    int64_t units() const { return m_units; }
    // Requires: a forward on `backend` (and a backward for gradNorm); sample < that batch.
    RecurrentTrace trace(Backend& backend, int direction, int64_t sample) const;

    // Schema entries units, return_sequences, bidirectional.
    static std::vector<ParamSpec> recurrentParams();

private:
    struct Direction {
        Tensor xs, gates, gh, hs, cs; // forward: inputs, gate activations, GRU hidden part, states
        Tensor dhs, dgates, dgh, dc, dxs; // backward
    };
    int64_t gateCount() const { return m_cell == Cell::Lstm ? 4 : m_cell == Cell::Gru ? 3 : 1; }
    void readDims(const std::vector<Shape>& inputs, int64_t& steps, int64_t& features) const; // ShapeError unless T×F
    void ensureScratch(Backend& backend);
    void forwardDirection(Backend& b, int d, const float* x, float* out);
    void backwardDirection(Backend& b, int d, const float* dOut, float* dx);

    Cell m_cell;
    int64_t m_units = 1;
    bool m_returnSequences = false, m_bidirectional = false;
    int64_t m_steps = 0, m_features = 0, m_batch = 0;
    Direction m_dir[2];
    Tensor m_dxReverse;
    Backend* m_scratchBackend = nullptr;
    bool m_haveBackward = false;
};

} // namespace netcanvas
