#include "engine/train/Optimizer.h"

#include "engine/core/Error.h"

#include <Eigen/Core>
#include <cmath>
#include <unordered_map>

// The update equations follow PyTorch's torch.optim (SGD, Adam, AdamW, RMSprop with
// centered=False, dampening=0, amsgrad=False, maximize=False) term by term, in float32.
// State is allocated on a parameter's first step and reused afterwards: a step allocates
// nothing once every parameter has been seen.

namespace netcanvas {

namespace {

// Tensor storage comes from Eigen::aligned_allocator: aligned for Eigen's packets (AlignedMax).
using ArrayMap = Eigen::Map<Eigen::ArrayXf, Eigen::AlignedMax>;

ArrayMap arrayOf(Tensor& t) { return ArrayMap(t.data(), t.size()); }

// Parameters that take part in a step: trainable, with a gradient of their own size.
bool updatable(const NamedParameter& p)
{
    return p.param && p.param->trainable && !p.param->grad.empty() && p.param->grad.size() == p.param->value.size();
}

struct Slot {
    Tensor a, b;       // first / second moment, or momentum buffer / square average
    int64_t steps = 0; // per-parameter step count (PyTorch keeps one per parameter)
};

class StatefulOptimizer : public Optimizer {
public:
    explicit StatefulOptimizer(OptimizerConfig c) : Optimizer(std::move(c)) {}

protected:
    // The state of this parameter; allocates its tensors (zero-filled) on first use only.
    Slot& slot(const Parameter& p, bool needA, bool needB)
    {
        Slot& s = m_state[&p];
        if (needA && s.a.size() != p.value.size())
            s.a = Tensor(p.value.shape());
        if (needB && s.b.size() != p.value.size())
            s.b = Tensor(p.value.shape());
        return s;
    }
    std::unordered_map<const Parameter*, Slot> m_state;
};

class Sgd final : public StatefulOptimizer {
public:
    explicit Sgd(OptimizerConfig c) : StatefulOptimizer(std::move(c)) {}
    void step(const std::vector<NamedParameter>& params, double lr) override
    {
        const float mu = static_cast<float>(m_config.momentum);
        const float flr = static_cast<float>(lr);
        for (const auto& np : params) {
            if (!updatable(np))
                continue;
            addRegularizationGradients(np, m_config.weightDecay);
            Parameter& p = *np.param;
            ArrayMap w = arrayOf(p.value), g = arrayOf(p.grad);
            if (mu == 0.0f) {
                w -= flr * g;
                continue;
            }
            Slot& s = slot(p, true, false);
            ArrayMap buf = arrayOf(s.a);
            if (s.steps == 0)
                buf = g; // torch: buf = clone(grad) on the first step
            else
                buf = mu * buf + g;
            ++s.steps;
            if (m_config.nesterov)
                w -= flr * (g + mu * buf);
            else
                w -= flr * buf;
        }
    }
};

class Adam final : public StatefulOptimizer {
public:
    Adam(OptimizerConfig c, bool decoupled) : StatefulOptimizer(std::move(c)), m_decoupled(decoupled) {}
    void step(const std::vector<NamedParameter>& params, double lr) override
    {
        const double b1 = m_config.beta1, b2 = m_config.beta2;
        const float fb1 = static_cast<float>(b1), fb2 = static_cast<float>(b2);
        const float eps = static_cast<float>(m_config.epsilon);
        for (const auto& np : params) {
            if (!updatable(np))
                continue;
            Parameter& p = *np.param;
            if (m_decoupled) {
                addRegularizationGradients(np, 0.0);
                if (m_config.weightDecay != 0.0 && p.regularize)
                    arrayOf(p.value) *= static_cast<float>(1.0 - lr * m_config.weightDecay);
            } else {
                addRegularizationGradients(np, m_config.weightDecay);
            }
            Slot& s = slot(p, true, true);
            ++s.steps;
            ArrayMap w = arrayOf(p.value), g = arrayOf(p.grad), m = arrayOf(s.a), v = arrayOf(s.b);
            m = fb1 * m + (1.0f - fb1) * g;
            v = fb2 * v + (1.0f - fb2) * g * g;
            const double bc1 = 1.0 - std::pow(b1, static_cast<double>(s.steps));
            const double bc2 = 1.0 - std::pow(b2, static_cast<double>(s.steps));
            const float stepSize = static_cast<float>(lr / bc1);
            const float bc2Sqrt = static_cast<float>(std::sqrt(bc2));
            w -= stepSize * m / (v.sqrt() / bc2Sqrt + eps);
        }
    }

private:
    bool m_decoupled;
};

class RmsProp final : public StatefulOptimizer {
public:
    explicit RmsProp(OptimizerConfig c) : StatefulOptimizer(std::move(c)) {}
    void step(const std::vector<NamedParameter>& params, double lr) override
    {
        const float alpha = static_cast<float>(m_config.rmsAlpha);
        const float eps = static_cast<float>(m_config.epsilon);
        const float mu = static_cast<float>(m_config.momentum);
        const float flr = static_cast<float>(lr);
        for (const auto& np : params) {
            if (!updatable(np))
                continue;
            addRegularizationGradients(np, m_config.weightDecay);
            Parameter& p = *np.param;
            Slot& s = slot(p, true, mu > 0.0f);
            ++s.steps;
            ArrayMap w = arrayOf(p.value), g = arrayOf(p.grad), sq = arrayOf(s.a);
            sq = alpha * sq + (1.0f - alpha) * g * g;
            if (mu > 0.0f) {
                ArrayMap buf = arrayOf(s.b);
                buf = mu * buf + g / (sq.sqrt() + eps);
                w -= flr * buf;
            } else {
                w -= flr * g / (sq.sqrt() + eps);
            }
        }
    }
};

} // namespace

std::unique_ptr<Optimizer> Optimizer::create(const OptimizerConfig& config)
{
    if (config.kind == "sgd")
        return std::make_unique<Sgd>(config);
    if (config.kind == "adam")
        return std::make_unique<Adam>(config, false);
    if (config.kind == "adamw")
        return std::make_unique<Adam>(config, true);
    if (config.kind == "rmsprop")
        return std::make_unique<RmsProp>(config);
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
        const Eigen::Map<const Eigen::ArrayXf, Eigen::AlignedMax> w(v.data(), v.size());
        abs += static_cast<double>(w.abs().sum());
        sq += static_cast<double>(w.square().sum());
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
    ArrayMap w = arrayOf(p.param->value), g = arrayOf(p.param->grad);
    if (decay != 0.0f)
        g += decay * w;
    if (l1 != 0.0f)
        g += l1 * w.sign();
}

} // namespace netcanvas
