#pragma once
// Layer: one node's computation. A layer kind is described once, in its own file pair under
// engine/layers/, and registered in the LayerRegistry (see LayerRegistry.h).
//
// Life cycle: created by its factory from resolved parameters → outputShape() (pure, cheap:
// what the canvas calls on every edit) → build() allocates and initializes parameters for
// the input shapes → forward()/backward() on batches.
//
// Conventions
// - Shapes given to outputShape/build/paramCount/flops are PER SAMPLE (CHW or F).
//   Tensors given to forward/backward carry the batch N as dimension 0.
// - forward(): `out` has already been resized by the caller to N × outputShape(inputs).
// - backward(): given dL/dout, OVERWRITES gradIn[i] (already sized like in[i]; nullptr
//   means that input needs no gradient) and OVERWRITES the grad of every trainable
//   parameter. It may use state cached by the preceding forward(training=true) call.
// - Memory: tensors given to forward/backward, and parameter values/grads once a Network
//   owns the layer, live on the device of ctx.backend (Tensor::data() is a device pointer on
//   a device backend). forward/backward therefore only pass data() pointers to backend
//   operations and primitives — no loops over tensor memory — so one layer runs on every
//   backend. build() creates and initializes parameters on the host (initializers use the
//   host Rng); the Network moves them to its device afterwards.
// - A layer runs on one backend at a time; primitives are created on its first forward.
// - Errors: throw ShapeError/FormatError whose message starts with the node name.
#include "engine/backend/Backend.h"
#include "engine/core/Error.h"
#include "engine/core/Rng.h"
#include "engine/core/Tensor.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace netcanvas {

// A learnable (or running-statistics) tensor owned by a layer.
struct Parameter {
    std::string name; // "weight", "bias", "gamma", "beta", "running_mean", "running_var"
    Tensor value;
    Tensor grad; // same shape as value when trainable, empty otherwise
    bool trainable = true; // false for running statistics (saved, not optimized)
    bool regularize = true; // L1/L2/weight decay apply (weights yes; biases and norms no)
};

// Everything a layer may need while computing, besides its inputs.
struct RunContext {
    Backend& backend;
    bool training = false; // dropout active, batch norm uses batch statistics
    Rng* rng = nullptr; // for dropout masks; non-null when training
};

// Parameter values of one node, already validated and completed with defaults by the
// registry (LayerRegistry::resolveParams). Getters throw FormatError on a wrong type.
class LayerParams {
public:
    LayerParams() = default;
    explicit LayerParams(nlohmann::json values)
        : m_values(std::move(values))
    {
    }
    int64_t getInt(const std::string& key) const;
    double getFloat(const std::string& key) const;
    bool getBool(const std::string& key) const;
    std::string getString(const std::string& key) const;
    bool has(const std::string& key) const { return m_values.contains(key); }
    const nlohmann::json& json() const { return m_values; }

private:
    nlohmann::json m_values = nlohmann::json::object();
};

class Layer {
public:
    Layer(std::string name, LayerParams params)
        : m_name(std::move(name))
        , m_params(std::move(params))
    {
    }
    virtual ~Layer() = default;
    Layer(const Layer&) = delete;
    Layer& operator=(const Layer&) = delete;

    const std::string& name() const { return m_name; }
    const LayerParams& params() const { return m_params; }

    // Output shape for these per-sample input shapes. Pure. Throws ShapeError naming this
    // node and the shapes when they do not fit.
    virtual Shape outputShape(const std::vector<Shape>& inputs) const = 0;
    // Number of parameters (trainable + running statistics) for these input shapes.
    virtual int64_t paramCount(const std::vector<Shape>& inputs) const
    {
        (void)inputs;
        return 0;
    }
    // Forward floating-point operations per sample (a multiply-add counts 2).
    virtual int64_t flops(const std::vector<Shape>& inputs) const
    {
        (void)inputs;
        return 0;
    }

    // Allocates parameters for these input shapes and initializes them from rng.
    virtual void build(const std::vector<Shape>& inputs, Rng& rng)
    {
        (void)inputs;
        (void)rng;
    }

    virtual void forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out) = 0;
    virtual void backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out,
        const Tensor& gradOut, const std::vector<Tensor*>& gradIn)
        = 0;

    std::vector<Parameter>& parameters() { return m_parameters; }
    const std::vector<Parameter>& parameters() const { return m_parameters; }
    Parameter* parameter(const std::string& name);

protected:
    // Adds a parameter of this shape (grad allocated when trainable) and returns it.
    Parameter& addParameter(const std::string& name, const Shape& shape, bool trainable = true, bool regularize = true);

    std::string m_name;
    LayerParams m_params;
    std::vector<Parameter> m_parameters;
};

} // namespace netcanvas
