#include "engine/layers/Recurrent.h"

#include "engine/layers/SequenceSupport.h"

#include <cmath>

namespace netcanvas {

namespace {

const char* const kParamNames[4] = { "weight_ih", "weight_hh", "bias_ih", "bias_hh" };

std::string paramName(int k, int direction)
{
    return std::string(kParamNames[k]) + (direction == 1 ? "_reverse" : "");
}

} // namespace

RecurrentLayer::RecurrentLayer(std::string type, std::string name, LayerParams params, Cell cell)
    : BuiltinLayer(std::move(type), std::move(name), std::move(params))
    , m_cell(cell)
{
    m_units = m_params.getInt("units");
    m_returnSequences = m_params.getBool("return_sequences");
    m_bidirectional = m_params.getBool("bidirectional");
}

void RecurrentLayer::readDims(const std::vector<Shape>& inputs, int64_t& steps, int64_t& features) const
{
    requireInputCount(inputs, 1);
    SequenceDims d;
    if (!sequenceDims(inputs[0], d))
        fail(inputs, type() + " needs a sequence of steps×features (T×F); use Reshape or an Embedding before it");
    steps = d.steps;
    features = d.features;
}

Shape RecurrentLayer::outputShape(const std::vector<Shape>& inputs) const
{
    int64_t steps = 0, features = 0;
    readDims(inputs, steps, features);
    const int64_t width = directions() * m_units;
    return m_returnSequences ? Shape { steps, width } : Shape { width };
}

int64_t RecurrentLayer::paramCount(const std::vector<Shape>& inputs) const
{
    int64_t steps = 0, features = 0;
    readDims(inputs, steps, features);
    const int64_t g = gateCount() * m_units;
    return directions() * (g * features + g * m_units + 2 * g);
}

int64_t RecurrentLayer::flops(const std::vector<Shape>& inputs) const
{
    int64_t steps = 0, features = 0;
    readDims(inputs, steps, features);
    const int64_t g = gateCount() * m_units;
    const int64_t cellFlops = m_cell == Cell::Lstm ? 30 : m_cell == Cell::Gru ? 30 : 6;
    return directions() * steps * (2 * g * features + 2 * g * m_units + 2 * g + cellFlops * m_units);
}

void RecurrentLayer::build(const std::vector<Shape>& inputs, Rng& rng)
{
    readDims(inputs, m_steps, m_features);
    const int64_t g = gateCount() * m_units;
    const float k = 1.0f / std::sqrt(static_cast<float>(m_units));
    m_parameters.clear();
    for (int d = 0; d < directions(); ++d) {
        const Shape shapes[4] = { Shape { g, m_features }, Shape { g, m_units }, Shape { g }, Shape { g } };
        for (int p = 0; p < 4; ++p) {
            Parameter& param = addParameter(paramName(p, d), shapes[p], true, p < 2);
            for (int64_t i = 0; i < param.value.size(); ++i)
                param.value[i] = rng.uniform(-k, k);
        }
    }
    m_scratchBackend = nullptr;
    m_haveBackward = false;
}

void RecurrentLayer::ensureScratch(Backend& backend)
{
    if (m_scratchBackend == &backend)
        return;
    for (Direction& d : m_dir)
        for (Tensor* t : { &d.xs, &d.gates, &d.gh, &d.hs, &d.cs, &d.dhs, &d.dgates, &d.dgh, &d.dc, &d.dxs })
            *t = Tensor(backend.allocator());
    m_dxReverse = Tensor(backend.allocator());
    m_scratchBackend = &backend;
}

void RecurrentLayer::forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out)
{
    const Tensor& x = *in[0];
    ensureScratch(ctx.backend);
    m_batch = x.shape()[0];
    m_haveBackward = false;
    for (int d = 0; d < directions(); ++d)
        forwardDirection(ctx.backend, d, x.data(), out.data());
}

void RecurrentLayer::forwardDirection(Backend& b, int d, const float* x, float* out)
{
    Direction& dir = m_dir[d];
    const int64_t N = m_batch, T = m_steps, F = m_features, H = m_units, G = gateCount() * H;
    const int64_t NF = N * F, NH = N * H, OH = directions() * H;
    const float* wih = m_parameters[size_t(4 * d)].value.data();
    const float* whh = m_parameters[size_t(4 * d + 1)].value.data();
    const float* bih = m_parameters[size_t(4 * d + 2)].value.data();
    const float* bhh = m_parameters[size_t(4 * d + 3)].value.data();
    auto timeOf = [&](int64_t s) { return d == 1 ? T - 1 - s : s; };

    // Steps in processing order, time-major: xs[s] = x[:, t(s), :].
    dir.xs.resize(Shape { T * NF });
    for (int64_t s = 0; s < T; ++s)
        b.copy2D(dir.xs.data() + s * NF, F, x + timeOf(s) * F, T * F, N, F);
    // The input projection of every step and gate: one GEMM.
    dir.gates.resize(Shape { T * N * G });
    b.gemm(false, true, T * N, G, F, 1.0f, dir.xs.data(), F, wih, F, 0.0f, dir.gates.data(), G);
    b.addBias(dir.gates.data(), bih, T * N, G, 1);
    if (m_cell != Cell::Gru)
        b.addBias(dir.gates.data(), bhh, T * N, G, 1);
    dir.hs.resize(Shape { (T + 1) * NH }); // hs[0] = h_{-1} = 0
    b.fill(dir.hs.data(), NH, 0.0f);
    if (m_cell == Cell::Lstm) {
        dir.cs.resize(Shape { (T + 1) * NH });
        b.fill(dir.cs.data(), NH, 0.0f);
    }
    if (m_cell == Cell::Gru)
        dir.gh.resize(Shape { T * N * G });

    for (int64_t s = 0; s < T; ++s) {
        float* g = dir.gates.data() + s * N * G;
        const float* hPrev = dir.hs.data() + s * NH;
        float* h = dir.hs.data() + (s + 1) * NH;
        switch (m_cell) {
        case Cell::Simple:
            if (s > 0)
                b.gemm(false, true, N, G, H, 1.0f, hPrev, H, whh, H, 1.0f, g, G);
            b.activationForward(ActivationKind::Tanh, 0.0f, g, h, NH);
            break;
        case Cell::Lstm:
            if (s > 0)
                b.gemm(false, true, N, G, H, 1.0f, hPrev, H, whh, H, 1.0f, g, G);
            b.lstmCellForward(g, dir.cs.data() + s * NH, dir.cs.data() + (s + 1) * NH, h, N, H);
            break;
        case Cell::Gru: {
            float* q = dir.gh.data() + s * N * G;
            if (s > 0)
                b.gemm(false, true, N, G, H, 1.0f, hPrev, H, whh, H, 0.0f, q, G);
            else
                b.fill(q, N * G, 0.0f);
            b.addBias(q, bhh, N, G, 1);
            b.gruCellForward(g, q, hPrev, h, N, H);
            break;
        }
        }
    }

    if (m_returnSequences) {
        for (int64_t s = 0; s < T; ++s)
            b.copy2D(out + timeOf(s) * OH + d * H, T * OH, dir.hs.data() + (s + 1) * NH, H, N, H);
    } else {
        b.copy2D(out + d * H, OH, dir.hs.data() + T * NH, H, N, H);
    }
}

void RecurrentLayer::backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor&,
    const Tensor& gradOut, const std::vector<Tensor*>& gradIn)
{
    ensureScratch(ctx.backend);
    m_batch = in[0]->shape()[0];
    Tensor* dx = gradIn.empty() ? nullptr : gradIn[0];
    for (int d = 0; d < directions(); ++d) {
        float* target = nullptr;
        if (dx) {
            if (d == 0) {
                target = dx->data();
            } else {
                m_dxReverse.resize(dx->shape());
                target = m_dxReverse.data();
            }
        }
        backwardDirection(ctx.backend, d, gradOut.data(), target);
        if (dx && d == 1)
            ctx.backend.add(dx->data(), m_dxReverse.data(), dx->data(), dx->size());
    }
    m_haveBackward = true;
}

void RecurrentLayer::backwardDirection(Backend& b, int d, const float* dOut, float* dx)
{
    Direction& dir = m_dir[d];
    const int64_t N = m_batch, T = m_steps, F = m_features, H = m_units, G = gateCount() * H;
    const int64_t NF = N * F, NH = N * H, OH = directions() * H;
    const float* wih = m_parameters[size_t(4 * d)].value.data();
    const float* whh = m_parameters[size_t(4 * d + 1)].value.data();
    float* dwih = m_parameters[size_t(4 * d)].grad.data();
    float* dwhh = m_parameters[size_t(4 * d + 1)].grad.data();
    float* dbih = m_parameters[size_t(4 * d + 2)].grad.data();
    float* dbhh = m_parameters[size_t(4 * d + 3)].grad.data();
    auto timeOf = [&](int64_t s) { return d == 1 ? T - 1 - s : s; };

    // dhs[s] = dL/dh of step s: from the output now, from step s + 1 during the loop.
    dir.dhs.resize(Shape { T * NH });
    if (m_returnSequences) {
        for (int64_t s = 0; s < T; ++s)
            b.copy2D(dir.dhs.data() + s * NH, H, dOut + timeOf(s) * OH + d * H, T * OH, N, H);
    } else {
        b.fill(dir.dhs.data(), T * NH, 0.0f);
        b.copy2D(dir.dhs.data() + (T - 1) * NH, H, dOut + d * H, OH, N, H);
    }
    dir.dgates.resize(Shape { T * N * G });
    if (m_cell == Cell::Lstm) {
        dir.dc.resize(Shape { NH });
        b.fill(dir.dc.data(), NH, 0.0f);
    }
    if (m_cell == Cell::Gru)
        dir.dgh.resize(Shape { T * N * G });

    for (int64_t s = T - 1; s >= 0; --s) {
        const float* g = dir.gates.data() + s * N * G;
        float* dg = dir.dgates.data() + s * N * G;
        const float* dh = dir.dhs.data() + s * NH;
        float* dhPrev = s > 0 ? dir.dhs.data() + (s - 1) * NH : nullptr;
        switch (m_cell) {
        case Cell::Simple:
            b.activationBackward(ActivationKind::Tanh, 0.0f, g, dir.hs.data() + (s + 1) * NH, dh, dg, NH);
            if (dhPrev)
                b.gemm(false, false, N, H, G, 1.0f, dg, G, whh, H, 1.0f, dhPrev, H);
            break;
        case Cell::Lstm:
            b.lstmCellBackward(g, dir.cs.data() + s * NH, dir.cs.data() + (s + 1) * NH, dh, dir.dc.data(), dg, N, H);
            if (dhPrev)
                b.gemm(false, false, N, H, G, 1.0f, dg, G, whh, H, 1.0f, dhPrev, H);
            break;
        case Cell::Gru: {
            float* dq = dir.dgh.data() + s * N * G;
            b.gruCellBackward(g, dir.gh.data() + s * N * G, dir.hs.data() + s * NH, dh, dg, dq, dhPrev, N, H);
            if (dhPrev)
                b.gemm(false, false, N, H, G, 1.0f, dq, G, whh, H, 1.0f, dhPrev, H);
            break;
        }
        }
    }

    // Weight and bias gradients over all steps at once (hs[s] = h_{s−1}, hs[0] = 0).
    const float* dHidden = m_cell == Cell::Gru ? dir.dgh.data() : dir.dgates.data();
    b.gemm(true, false, G, F, T * N, 1.0f, dir.dgates.data(), G, dir.xs.data(), F, 0.0f, dwih, F);
    b.gemm(true, false, G, H, T * N, 1.0f, dHidden, G, dir.hs.data(), H, 0.0f, dwhh, H);
    b.biasGradient(dir.dgates.data(), dbih, T * N, G, 1);
    b.biasGradient(dHidden, dbhh, T * N, G, 1);
    if (!dx)
        return;
    dir.dxs.resize(Shape { T * NF });
    b.gemm(false, false, T * N, F, G, 1.0f, dir.dgates.data(), G, wih, F, 0.0f, dir.dxs.data(), F);
    for (int64_t s = 0; s < T; ++s)
        b.copy2D(dx + timeOf(s) * F, T * F, dir.dxs.data() + s * NF, F, N, F);
}

RecurrentTrace RecurrentLayer::trace(Backend& backend, int direction, int64_t sample) const
{
    if (direction < 0 || direction >= directions() || m_scratchBackend != &backend || sample < 0 || sample >= m_batch)
        throw Error(prefix() + "no forward pass to trace for sample " + std::to_string(sample));
    const Direction& dir = m_dir[direction];
    const int64_t N = m_batch, T = m_steps, H = m_units, G = gateCount() * H, NH = N * H;
    RecurrentTrace tr;
    tr.steps = T;
    tr.units = H;
    tr.hidden.resize(size_t(T * H));
    const std::vector<float> hs = backend.hostCopyOf(dir.hs.data(), (T + 1) * NH);
    auto timeOf = [&](int64_t s) { return direction == 1 ? T - 1 - s : s; };
    for (int64_t s = 0; s < T; ++s)
        std::copy_n(hs.data() + (s + 1) * NH + sample * H, H, tr.hidden.data() + timeOf(s) * H);
    if (m_cell != Cell::Simple) {
        const std::vector<float> gates = backend.hostCopyOf(dir.gates.data(), T * N * G);
        tr.gateNames = m_cell == Cell::Lstm ? std::vector<std::string> { "i", "f", "g", "o" }
                                            : std::vector<std::string> { "r", "z", "n" };
        for (size_t k = 0; k < tr.gateNames.size(); ++k) {
            std::vector<float> v(size_t(T * H));
            for (int64_t s = 0; s < T; ++s)
                std::copy_n(gates.data() + (s * N + sample) * G + int64_t(k) * H, H, v.data() + timeOf(s) * H);
            tr.gates.push_back(std::move(v));
        }
    }
    if (m_cell == Cell::Lstm) {
        const std::vector<float> cs = backend.hostCopyOf(dir.cs.data(), (T + 1) * NH);
        std::vector<float> v(size_t(T * H));
        for (int64_t s = 0; s < T; ++s)
            std::copy_n(cs.data() + (s + 1) * NH + sample * H, H, v.data() + timeOf(s) * H);
        tr.gateNames.push_back("c");
        tr.gates.push_back(std::move(v));
    }
    if (m_haveBackward) {
        const std::vector<float> dhs = backend.hostCopyOf(dir.dhs.data(), T * NH);
        tr.gradNorm.resize(size_t(T));
        for (int64_t s = 0; s < T; ++s) {
            double sq = 0.0;
            for (int64_t j = 0; j < H; ++j) {
                const double v = dhs[size_t(s * NH + sample * H + j)];
                sq += v * v;
            }
            tr.gradNorm[size_t(timeOf(s))] = static_cast<float>(std::sqrt(sq));
        }
    }
    return tr;
}

std::vector<ParamSpec> RecurrentLayer::recurrentParams()
{
    return { intParam("units", 32, 1, 65536, "Size H of the hidden state (units per direction)"),
        boolParam("return_sequences", false,
            "Output every step's state (steps × units, for another recurrent layer) instead of the last one"),
        boolParam("bidirectional", false,
            "Also read the sequence backwards; the two directions' outputs are concatenated (2 × units)") };
}

} // namespace netcanvas
