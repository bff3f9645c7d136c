#pragma once
// Optimizers: SGD (momentum, Nesterov), Adam, AdamW, RMSprop, plus L1/L2 regularization and
// (decoupled, for AdamW) weight decay. State is kept per parameter, keyed by its address.
// L1/L2/weight decay apply only to parameters with `regularize` set (weights, not biases).
// Everything runs on the optimizer's backend (the network's): parameters, grads and the
// state tensors (allocated on its device on a parameter's first step, zeroed with
// Backend::fill) are that device's memory; the updates are Backend::addRegularization /
// sgdUpdate / adamUpdate / rmsPropUpdate and the penalty Backend::sumAbs / sumSquares.
#include "engine/train/Network.h"

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace netcanvas {

struct OptimizerConfig {
    std::string kind = "sgd"; // "sgd" | "adam" | "adamw" | "rmsprop"
    double learningRate = 0.01;
    double momentum = 0.9; // sgd; rmsprop momentum
    bool nesterov = false; // sgd
    double weightDecay = 0.0; // sgd/adam/rmsprop: added to the gradient (coupled); adamw: decoupled
    double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8; // adam, adamw; epsilon also rmsprop
    double rmsAlpha = 0.99; // rmsprop smoothing
    double l1 = 0.0; // L1 penalty coefficient: loss += l1 · Σ|w|
    double l2 = 0.0; // L2 penalty coefficient: loss += l2/2 · Σw²
};

class Optimizer {
public:
    virtual ~Optimizer() = default;
    // Creates the optimizer for parameters on `backend` (which must outlive it); throws
    // FormatError for an unknown kind.
    static std::unique_ptr<Optimizer> create(const OptimizerConfig& config, Backend& backend);
    // Updates every parameter from its grad with learning rate lr (the schedule's value).
    virtual void step(const std::vector<NamedParameter>& params, double lr) = 0;
    // The regularization term to add to the reported loss (L1 and L2 penalties).
    double penalty(const std::vector<NamedParameter>& params) const;
    const OptimizerConfig& config() const { return m_config; }

    // A parameter's state, for saving and restoring a run (TrainState.h): its moment tensors
    // on the backend's device (null where the optimizer keeps none — SGD without momentum
    // keeps nothing) and its step count. With `create`, absent state is allocated (zeroed)
    // so that a restore can fill it; without, a parameter never stepped gives an empty view.
    struct SlotView {
        Tensor* first = nullptr;
        Tensor* second = nullptr;
        int64_t* steps = nullptr;
    };
    virtual SlotView stateOf(const Parameter& p, bool create)
    {
        (void)p;
        (void)create;
        return {};
    }

protected:
    Optimizer(OptimizerConfig c, Backend& backend)
        : m_config(std::move(c))
        , m_backend(backend)
    {
    }
    // grad += l1·sign(w) + l2·w (+ coupled weight decay) for regularized parameters.
    void addRegularizationGradients(const NamedParameter& p, double coupledDecay) const;
    OptimizerConfig m_config;
    Backend& m_backend;
};

} // namespace netcanvas
