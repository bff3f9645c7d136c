#include "engine/layers/LayerSupport.h"

#include <algorithm>

namespace netcanvas {

void BuiltinLayer::fail(const std::vector<Shape>& inputs, const std::string& reason) const
{
    throw ShapeError(prefix() + (inputs.size() == 1 ? "input " : "inputs ") + shapesToString(inputs) + ": " + reason);
}

void BuiltinLayer::fail(const std::string& message) const
{
    throw ShapeError(prefix() + message);
}

void BuiltinLayer::requireInputCount(const std::vector<Shape>& inputs, size_t count) const
{
    if (inputs.size() != count)
        throw ShapeError(prefix() + "takes " + std::to_string(count) + " input" + (count == 1 ? "" : "s") + ", got "
            + std::to_string(inputs.size()) + (inputs.empty() ? "" : " (" + shapesToString(inputs) + ")"));
}

std::string shapesToString(const std::vector<Shape>& shapes)
{
    std::string s;
    for (size_t i = 0; i < shapes.size(); ++i)
        s += (i ? ", " : "") + shapes[i].toString();
    return s;
}

void ReshapingLayer::forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out)
{
    ctx.backend.copy(out.data(), in[0]->data(), in[0]->size());
}

void ReshapingLayer::backward(const RunContext& ctx, const std::vector<const Tensor*>&, const Tensor&,
    const Tensor& gradOut, const std::vector<Tensor*>& gradIn)
{
    if (gradIn[0])
        ctx.backend.copy(gradIn[0]->data(), gradOut.data(), gradOut.size());
}

ParamSpec intParam(std::string name, int64_t def, int64_t min, int64_t max, std::string doc)
{
    ParamSpec p;
    p.name = std::move(name);
    p.type = ParamType::Int;
    p.defaultValue = def;
    p.min = static_cast<double>(min);
    p.max = static_cast<double>(max);
    p.doc = std::move(doc);
    return p;
}

ParamSpec floatParam(std::string name, double def, double min, double max, std::string doc)
{
    ParamSpec p;
    p.name = std::move(name);
    p.type = ParamType::Float;
    p.defaultValue = def;
    p.min = min;
    p.max = max;
    p.doc = std::move(doc);
    return p;
}

ParamSpec boolParam(std::string name, bool def, std::string doc)
{
    ParamSpec p;
    p.name = std::move(name);
    p.type = ParamType::Bool;
    p.defaultValue = def;
    p.doc = std::move(doc);
    return p;
}

ParamSpec choiceParam(std::string name, std::string def, std::vector<std::string> choices, std::string doc)
{
    ParamSpec p;
    p.name = std::move(name);
    p.type = ParamType::Choice;
    p.defaultValue = std::move(def);
    p.choices = std::move(choices);
    p.doc = std::move(doc);
    return p;
}

ParamSpec stringParam(std::string name, std::string def, std::string doc)
{
    ParamSpec p;
    p.name = std::move(name);
    p.type = ParamType::String;
    p.defaultValue = std::move(def);
    p.doc = std::move(doc);
    return p;
}

WindowDesc toWindowDesc(const Window2D& w, int64_t channels)
{
    WindowDesc d;
    d.channels = channels;
    d.height = w.inH;
    d.width = w.inW;
    d.kernelH = d.kernelW = w.kernel;
    d.strideH = d.strideW = w.stride;
    d.padTop = w.padTop;
    d.padLeft = w.padLeft;
    d.padBottom = w.padBottom;
    d.padRight = w.padRight;
    d.outH = w.outH;
    d.outW = w.outW;
    return d;
}

std::string computeWindow2D(int64_t inH, int64_t inW, int64_t kernel, int64_t stride, const std::string& padding,
    int64_t pad, const std::string& shapeText, Window2D& w)
{
    w = Window2D {};
    w.kernel = kernel;
    w.stride = stride;
    w.inH = inH;
    w.inW = inW;
    if (kernel < 1 || stride < 1)
        return "kernel and stride must be at least 1";
    if (padding == "same") {
        w.outH = (inH + stride - 1) / stride;
        w.outW = (inW + stride - 1) / stride;
        const int64_t totalH = std::max<int64_t>((w.outH - 1) * stride + kernel - inH, 0);
        const int64_t totalW = std::max<int64_t>((w.outW - 1) * stride + kernel - inW, 0);
        w.padTop = totalH / 2;
        w.padBottom = totalH - w.padTop;
        w.padLeft = totalW / 2;
        w.padRight = totalW - w.padLeft;
        return {};
    }
    const int64_t p = padding == "explicit" ? pad : 0;
    if (p < 0)
        return "padding must not be negative";
    w.padTop = w.padBottom = w.padLeft = w.padRight = p;
    if (inH + 2 * p < kernel || inW + 2 * p < kernel) {
        std::string how = padding == "explicit" ? "explicit padding " + std::to_string(p) : "padding " + padding;
        return "kernel " + std::to_string(kernel) + " does not fit input " + shapeText + " with " + how;
    }
    w.outH = (inH + 2 * p - kernel) / stride + 1;
    w.outW = (inW + 2 * p - kernel) / stride + 1;
    return {};
}

} // namespace netcanvas
