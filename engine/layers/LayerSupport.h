#pragma once
// Shared building blocks of the built-in layer kinds (not a layer kind itself):
// - BuiltinLayer: a Layer that knows its type name, so error messages read
//   "conv1 (Conv2D): kernel 5 does not fit input 1×3×3 with padding valid".
// - ParamSpec builders, so each kind's schema is a short list.
// - ensurePrimitive(): a layer's backend primitive, created on first use on a backend.
// - Window2D: output size and padding of a sliding window (convolution, pooling).
#include "engine/layers/LayerRegistry.h"

#include <memory>
#include <string>
#include <vector>

namespace netcanvas {

class BuiltinLayer : public Layer {
public:
    BuiltinLayer(std::string type, std::string name, LayerParams params)
        : Layer(std::move(name), std::move(params))
        , m_type(std::move(type))
    {
    }
    const std::string& type() const { return m_type; }

protected:
    // "conv1 (Conv2D): "
    std::string prefix() const { return m_name + " (" + m_type + "): "; }
    // ShapeError "conv1 (Conv2D): input 1×3×3: <reason>" (inputs listed, comma separated).
    [[noreturn]] void fail(const std::vector<Shape>& inputs, const std::string& reason) const;
    // ShapeError "conv1 (Conv2D): <message>" (the message names the shapes itself).
    [[noreturn]] void fail(const std::string& message) const;
    // Throws unless exactly `count` input shapes are given.
    void requireInputCount(const std::vector<Shape>& inputs, size_t count) const;

private:
    std::string m_type;
};

// "1×28×28" or "3×8×8, 5×8×8".
std::string shapesToString(const std::vector<Shape>& shapes);

// A kind that gives each sample another shape and keeps its values in row-major order
// (Flatten, Reshape): forward and backward are copies; it declares only outputShape().
class ReshapingLayer : public BuiltinLayer {
public:
    using BuiltinLayer::BuiltinLayer;
    void forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out) override;
    void backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out, const Tensor& gradOut,
        const std::vector<Tensor*>& gradIn) override;
};

ParamSpec intParam(std::string name, int64_t def, int64_t min, int64_t max, std::string doc);
ParamSpec floatParam(std::string name, double def, double min, double max, std::string doc);
ParamSpec boolParam(std::string name, bool def, std::string doc);
ParamSpec choiceParam(std::string name, std::string def, std::vector<std::string> choices, std::string doc);
ParamSpec stringParam(std::string name, std::string def, std::string doc);

// A layer's primitive (convolution, pooling, batch norm, dropout) for `backend`: created by
// make(backend) on first use, and again when the layer runs on another backend (a primitive
// belongs to the backend that created it). `owner` remembers which backend that was.
template <class P, class Make>
P& ensurePrimitive(std::unique_ptr<P>& primitive, Backend*& owner, Backend& backend, const Make& make)
{
    if (!primitive || owner != &backend) {
        primitive.reset();
        primitive = make(backend);
        owner = &backend;
    }
    return *primitive;
}

// Geometry of a square window sliding over an H×W plane.
// padding: "valid" (no padding), "same" (out = ceil(in/stride); total padding
// max((out-1)·stride + k − in, 0), top/left get total/2, bottom/right the rest),
// "explicit" (`pad` cells on every side).
struct Window2D {
    int64_t kernel = 1, stride = 1;
    int64_t padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;
    int64_t inH = 0, inW = 0, outH = 0, outW = 0;
};

// The backend's description of this window over `channels` planes.
WindowDesc toWindowDesc(const Window2D& w, int64_t channels);

// Computes the window geometry; returns an empty string on success or the reason it does
// not fit (e.g. "kernel 5 does not fit input 1×3×3 with padding valid") otherwise.
std::string computeWindow2D(int64_t inH, int64_t inW, int64_t kernel, int64_t stride, const std::string& padding,
    int64_t pad, const std::string& shapeText, Window2D& out);

} // namespace netcanvas
