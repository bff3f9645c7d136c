#include "engine/layers/Embedding.h"

#include <sstream>

namespace netcanvas {

EmbeddingLayer::EmbeddingLayer(std::string name, LayerParams params)
    : BuiltinLayer("Embedding", std::move(name), std::move(params))
{
    m_vocab = m_params.getInt("vocab");
    m_dim = m_params.getInt("dim");
}

int64_t EmbeddingLayer::steps(const std::vector<Shape>& inputs) const
{
    requireInputCount(inputs, 1);
    const Shape& s = inputs[0];
    for (int i = 0; i + 1 < s.rank(); ++i)
        if (s[i] != 1)
            fail(inputs, "Embedding needs a list of token ids (T, or 1×…×T)");
    if (s.rank() == 0 || s[s.rank() - 1] < 1)
        fail(inputs, "Embedding needs a list of token ids (T, or 1×…×T)");
    return s[s.rank() - 1];
}

Shape EmbeddingLayer::outputShape(const std::vector<Shape>& inputs) const
{
    return Shape { steps(inputs), m_dim };
}

int64_t EmbeddingLayer::paramCount(const std::vector<Shape>& inputs) const
{
    steps(inputs);
    return m_vocab * m_dim;
}

int64_t EmbeddingLayer::flops(const std::vector<Shape>& inputs) const
{
    return steps(inputs) * m_dim; // copies
}

void EmbeddingLayer::build(const std::vector<Shape>& inputs, Rng& rng)
{
    steps(inputs);
    Parameter& w = addParameter("weight", Shape { m_vocab, m_dim });
    for (int64_t i = 0; i < w.value.size(); ++i)
        w.value[i] = rng.normal();
}

void EmbeddingLayer::forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out)
{
    const Tensor& ids = *in[0];
    const int64_t count = ids.size();
    const int64_t bad
        = ctx.backend.embeddingForward(ids.data(), m_parameters[0].value.data(), out.data(), count, m_vocab, m_dim);
    if (bad < 0)
        return;
    float id = 0.0f;
    ctx.backend.download(&id, ids.data() + bad, 1);
    const int64_t perSample = ids.sampleSize();
    std::ostringstream msg;
    msg << prefix() << "token id " << id << " (sample " << bad / perSample << ", step " << bad % perSample
        << ") is outside the vocabulary 0.." << m_vocab - 1 << " (input " << ids.shape().perSample().toString()
        << "); raise vocab or map unknown tokens to an id below it";
    throw DataError(msg.str());
}

void EmbeddingLayer::backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor&,
    const Tensor& gradOut, const std::vector<Tensor*>& gradIn)
{
    const Tensor& ids = *in[0];
    Parameter& w = m_parameters[0];
    ctx.backend.embeddingBackward(ids.data(), gradOut.data(), w.grad.data(), ids.size(), m_vocab, m_dim);
    if (!gradIn.empty() && gradIn[0])
        ctx.backend.fill(gradIn[0]->data(), gradIn[0]->size(), 0.0f);
}

void registerEmbedding(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "Embedding";
    info.category = "Sequence";
    info.doc = "Turns token ids (0 … vocab−1) into learned vectors: T ids become a T×dim sequence";
    info.params = { intParam("vocab", 1000, 1, 1 << 24, "Number of distinct tokens; ids run from 0 to vocab − 1"),
        intParam("dim", 32, 1, 65536, "Length of each token's vector") };
    info.create
        = [](const std::string& name, const LayerParams& p) { return std::make_unique<EmbeddingLayer>(name, p); };
    registry.add(std::move(info));
}

} // namespace netcanvas
