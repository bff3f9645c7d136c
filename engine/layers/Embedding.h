#pragma once
// Embedding: token ids → learned vectors. Input: T ids per sample, stored as floats (a shape
// T, or any shape whose sizes before the last are 1, e.g. an Input of 1×1×T); output T×dim,
// a sequence for the recurrent and 1-D layers. Ids are rounded to the nearest whole number;
// one outside [0, vocab) is a DataError naming the node, the sample, the step and the id.
// Parameter "weight" [vocab, dim] (nn.Embedding's), initialized N(0, 1) like PyTorch. Ids get
// no gradient (their input gradient is zero).
#include "engine/layers/LayerSupport.h"

namespace netcanvas {

class EmbeddingLayer final : public BuiltinLayer {
public:
    EmbeddingLayer(std::string name, LayerParams params);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    int64_t paramCount(const std::vector<Shape>& inputs) const override;
    int64_t flops(const std::vector<Shape>& inputs) const override;
    void build(const std::vector<Shape>& inputs, Rng& rng) override;
    void forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out) override;
    void backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out, const Tensor& gradOut,
        const std::vector<Tensor*>& gradIn) override;

private:
    int64_t steps(const std::vector<Shape>& inputs) const; // ShapeError unless a list of ids
    int64_t m_vocab = 0, m_dim = 0;
};

void registerEmbedding(LayerRegistry& registry);

} // namespace netcanvas
