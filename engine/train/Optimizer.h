#pragma once
// Optimizers: SGD (momentum, Nesterov), Adam, AdamW, RMSprop, plus L1/L2 regularization and
// (decoupled, for AdamW) weight decay. State is kept per parameter, keyed by its address.
// L1/L2/weight decay apply only to parameters with `regularize` set (weights, not biases).
#include "engine/train/Network.h"

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace netcanvas {

struct OptimizerConfig {
    std::string kind = "sgd"; // "sgd" | "adam" | "adamw" | "rmsprop"
    double learningRate = 0.01;
    double momentum = 0.9;    // sgd; rmsprop momentum
    bool nesterov = false;    // sgd
    double weightDecay = 0.0; // sgd/adam/rmsprop: added to the gradient (coupled); adamw: decoupled
    double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8; // adam, adamw; epsilon also rmsprop
    double rmsAlpha = 0.99;   // rmsprop smoothing
    double l1 = 0.0;          // L1 penalty coefficient: loss += l1 · Σ|w|
    double l2 = 0.0;          // L2 penalty coefficient: loss += l2/2 · Σw²
};

class Optimizer {
public:
    virtual ~Optimizer() = default;
    // Creates the optimizer; throws FormatError for an unknown kind.
    static std::unique_ptr<Optimizer> create(const OptimizerConfig& config);
    // Updates every parameter from its grad with learning rate lr (the schedule's value).
    virtual void step(const std::vector<NamedParameter>& params, double lr) = 0;
    // The regularization term to add to the reported loss (L1 and L2 penalties).
    double penalty(const std::vector<NamedParameter>& params) const;
    const OptimizerConfig& config() const { return m_config; }

protected:
    explicit Optimizer(OptimizerConfig c) : m_config(std::move(c)) {}
    // grad += l1·sign(w) + l2·w (+ coupled weight decay) for regularized parameters.
    void addRegularizationGradients(const NamedParameter& p, double coupledDecay) const;
    OptimizerConfig m_config;
};

} // namespace netcanvas
