#pragma once
// TimeDistributedDense: the same Dense layer applied to every step of a T×F sequence →
// T×units (Keras's TimeDistributed(Dense); nn.Linear on a batch_first sequence). Parameters
// "weight" [units, F] and "bias" [units], as Dense. One GEMM over all steps of the batch.
#include "engine/layers/LayerSupport.h"
#include "engine/layers/SequenceSupport.h"

namespace netcanvas {

class TimeDistributedDenseLayer final : public BuiltinLayer {
public:
    TimeDistributedDenseLayer(std::string name, LayerParams params);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    int64_t paramCount(const std::vector<Shape>& inputs) const override;
    int64_t flops(const std::vector<Shape>& inputs) const override;
    void build(const std::vector<Shape>& inputs, Rng& rng) override;
    void forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out) override;
    void backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out, const Tensor& gradOut,
        const std::vector<Tensor*>& gradIn) override;

private:
    SequenceDims dims(const std::vector<Shape>& inputs) const;
    int64_t m_units = 0;
    bool m_bias = true;
    SequenceDims m_dims;
};

void registerTimeDistributedDense(LayerRegistry& registry);

} // namespace netcanvas
