#include "engine/train/Optimizer.h"

#include "engine/core/Error.h"

#include <cmath>
#include <unordered_map>
#include <utility>

// The update equations follow PyTorch's torch.optim (SGD, Adam, AdamW, RMSprop with
// centered=False, dampening=0, amsgrad=False, maximize=False) term by term, in float32: the
// per-element math is kernels/ElementMath.h, run by the backend.
// State is allocated on a parameter's first step and reused afterwards: a step allocates
// nothing once every parameter has been seen.

namespace netcanvas {

namespace {

// Parameters that take part in a step: trainable, with a gradient of their own size.
bool updatable(const NamedParameter& p)
{
    return p.param && p.param->trainable && !p.param->grad.empty() && p.param->grad.size() == p.param->value.size();
}

struct Slot {
    Tensor a, b; // first / second moment, or momentum buffer / square average
    int64_t steps = 0; // per-parameter step count (PyTorch keeps one per parameter)
};

class StatefulOptimizer : public Optimizer {
public:
    StatefulOptimizer(OptimizerConfig c, Backend& backend)
        : Optimizer(std::move(c), backend)
    {
    }

    SlotView stateOf(const Parameter& p, bool create) override
    {
        const auto [needA, needB] = slotsNeeded();
        if (!needA && !needB)
            return {};
        if (!create && m_state.find(&p) == m_state.end())
            return {};
        Slot& s = slot(p, needA, needB);
        return { needA ? &s.a : nullptr, needB ? &s.b : nullptr, &s.steps };
    }

protected:
    // Which of a parameter's two state tensors this optimizer keeps.
    virtual std::pair<bool, bool> slotsNeeded() const = 0;
    // The state of this parameter; allocates its tensors on the backend and zeroes them
    // there, on first use only.
    Slot& slot(const Parameter& p, bool needA, bool needB)
    {
        Slot& s = m_state[&p];
        auto make = [&](Tensor& t) {
            if (t.size() == p.value.size())
                return;
            t = Tensor(p.value.shape(), m_backend.allocator());
            m_backend.fill(t.data(), t.size(), 0.0f);
        };
        if (needA)
            make(s.a);
        if (needB)
            make(s.b);
        return s;
    }
    std::unordered_map<const Parameter*, Slot> m_state;
};

class Sgd final : public StatefulOptimizer {
public:
    Sgd(OptimizerConfig c, Backend& backend)
        : StatefulOptimizer(std::move(c), backend)
    {
    }
    std::pair<bool, bool> slotsNeeded() const override { return { m_config.momentum != 0.0, false }; }
    void step(const std::vector<NamedParameter>& params, double lr) override
    {
        SgdParams sp;
        sp.lr = static_cast<float>(lr);
        sp.momentum = static_cast<float>(m_config.momentum);
        sp.nesterov = m_config.nesterov;
        for (const auto& np : params) {
            if (!updatable(np))
                continue;
            addRegularizationGradients(np, m_config.weightDecay);
            Parameter& p = *np.param;
            float* velocity = nullptr;
            sp.firstStep = false;
            if (sp.momentum != 0.0f) {
                Slot& s = slot(p, true, false);
                velocity = s.a.data();
                sp.firstStep = s.steps == 0; // torch: buf = clone(grad) on the first step
                ++s.steps;
            }
            m_backend.sgdUpdate(p.value.data(), p.grad.data(), velocity, p.value.size(), sp);
        }
    }
};

class Adam final : public StatefulOptimizer {
public:
    Adam(OptimizerConfig c, Backend& backend, bool decoupled)
        : StatefulOptimizer(std::move(c), backend)
        , m_decoupled(decoupled)
    {
    }
    std::pair<bool, bool> slotsNeeded() const override { return { true, true }; }
    void step(const std::vector<NamedParameter>& params, double lr) override
    {
        AdamParams ap;
        ap.lr = static_cast<float>(lr);
        ap.beta1 = static_cast<float>(m_config.beta1);
        ap.beta2 = static_cast<float>(m_config.beta2);
        ap.epsilon = static_cast<float>(m_config.epsilon);
        for (const auto& np : params) {
            if (!updatable(np))
                continue;
            Parameter& p = *np.param;
            // AdamW: decoupled decay, only for regularized parameters; Adam: coupled (in g).
            addRegularizationGradients(np, m_decoupled ? 0.0 : m_config.weightDecay);
            ap.weightDecay = m_decoupled && p.regularize ? static_cast<float>(m_config.weightDecay) : 0.0f;
            Slot& s = slot(p, true, true);
            ap.step = ++s.steps;
            m_backend.adamUpdate(p.value.data(), p.grad.data(), s.a.data(), s.b.data(), p.value.size(), ap);
        }
    }

private:
    bool m_decoupled;
};

class RmsProp final : public StatefulOptimizer {
public:
    RmsProp(OptimizerConfig c, Backend& backend)
        : StatefulOptimizer(std::move(c), backend)
    {
    }
    std::pair<bool, bool> slotsNeeded() const override
    {
        return { true, static_cast<float>(m_config.momentum) > 0.0f };
    }
    void step(const std::vector<NamedParameter>& params, double lr) override
    {
        RmsPropParams rp;
        rp.lr = static_cast<float>(lr);
        rp.alpha = static_cast<float>(m_config.rmsAlpha);
        rp.epsilon = static_cast<float>(m_config.epsilon);
        rp.momentum = static_cast<float>(m_config.momentum);
        for (const auto& np : params) {
            if (!updatable(np))
                continue;
            addRegularizationGradients(np, m_config.weightDecay);
            Parameter& p = *np.param;
            Slot& s = slot(p, true, rp.momentum > 0.0f);
            ++s.steps;
            m_backend.rmsPropUpdate(p.value.data(), p.grad.data(), s.a.data(),
                rp.momentum > 0.0f ? s.b.data() : nullptr, p.value.size(), rp);
        }
    }
};

} // namespace

std::unique_ptr<Optimizer> Optimizer::create(const OptimizerConfig& config, Backend& backend)
{
    if (config.kind == "sgd")
        return std::make_unique<Sgd>(config, backend);
    if (config.kind == "adam")
        return std::make_unique<Adam>(config, backend, false);
    if (config.kind == "adamw")
        return std::make_unique<Adam>(config, backend, true);
    if (config.kind == "rmsprop")
        return std::make_unique<RmsProp>(config, backend);
    throw FormatError("unknown optimizer '" + config.kind + "' (known: sgd, adam, adamw, rmsprop)");
}

double Optimizer::penalty(const std::vector<NamedParameter>& params) const
{
    if (m_config.l1 == 0.0 && m_config.l2 == 0.0)
        return 0.0;
    double abs = 0.0, sq = 0.0;
    for (const auto& np : params) {
        if (!np.param || !np.param->trainable || !np.param->regularize)
            continue;
        const Tensor& v = np.param->value;
        if (m_config.l1 != 0.0)
            abs += m_backend.sumAbs(v.data(), v.size());
        if (m_config.l2 != 0.0)
            sq += m_backend.sumSquares(v.data(), v.size());
    }
    return m_config.l1 * abs + 0.5 * m_config.l2 * sq;
}

void Optimizer::addRegularizationGradients(const NamedParameter& p, double coupledDecay) const
{
    if (!p.param || !p.param->regularize || !p.param->trainable)
        return;
    const float l1 = static_cast<float>(m_config.l1);
    const float decay = static_cast<float>(m_config.l2 + coupledDecay);
    if (l1 == 0.0f && decay == 0.0f)
        return;
    m_backend.addRegularization(p.param->value.data(), p.param->grad.data(), p.param->value.size(), l1, decay);
}

} // namespace netcanvas
