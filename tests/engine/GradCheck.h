#pragma once
// GradCheck: a reusable finite-difference gradient check for any Layer (header-only, used by
// tests/engine/test_layers.cpp; other tests may include it).
//
// What it checks: for the scalar L = Σ out·R (R a fixed random tensor, L accumulated in
// double), the gradients from Layer::backward (called with gradOut = R) against central
// differences (L(v+ε) − L(v−ε)) / 2ε for every element of every input and of every
// trainable parameter (or a deterministic sample of at most maxElements per tensor).
//
// Requires: `layer` already built for the per-sample shapes of `inputs`; `inputs` batched
// (N × per-sample shape). Before every forward the Rng handed to the layer is reseeded to
// options.seed, so stochastic layers (Dropout) draw the same mask each time.
// Inputs must keep away from kinks by more than ε (ReLU at 0, ties in MaxPool).
//
// Ensures: the report's `ok` is true when every element satisfies
//   |analytic − numeric| <= atol + rtol·max(|analytic|, |numeric|);
// otherwise `message` names the worst element ("input 0 [17]" or "param weight [3]") with
// both values. Inputs and parameters are restored exactly after each perturbation.
#include "engine/backend/Backend.h"
#include "engine/core/Rng.h"
#include "engine/core/Tensor.h"
#include "engine/layers/Layer.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace netcanvas::gradcheck {

struct Options {
    double eps = 1e-2; // perturbation step (absolute)
    double rtol = 1e-2; // relative tolerance
    double atol = 2e-3; // absolute tolerance
    bool training = true;
    uint64_t seed = 1234; // reseeds the layer's Rng before every forward
    int64_t maxElements = 600; // per tensor; larger tensors are checked at a strided sample
};

struct Report {
    bool ok = true;
    std::string message; // the worst element, or a summary when ok
    double worst = 0.0; // max of |a − n| / (atol + rtol·max(|a|, |n|)); <= 1 passes
    int64_t checked = 0; // number of elements compared
};

namespace detail {

inline std::vector<Shape> perSampleShapes(const std::vector<Tensor>& inputs)
{
    std::vector<Shape> out;
    for (const auto& t : inputs)
        out.push_back(t.shape().perSample());
    return out;
}

} // namespace detail

inline Report checkLayer(Layer& layer, std::vector<Tensor>& inputs, Backend& backend, const Options& opt = {})
{
    Report report;
    const int64_t n = inputs.at(0).shape()[0];
    const Shape outShape = layer.outputShape(detail::perSampleShapes(inputs)).batched(n);
    Tensor out(outShape);
    Tensor r(outShape);
    Rng rRng(opt.seed ^ 0x9e3779b97f4a7c15ULL);
    for (int64_t i = 0; i < r.size(); ++i)
        r[i] = rRng.uniform(-1.0f, 1.0f);

    Rng rng(opt.seed);
    std::vector<const Tensor*> in;
    for (const auto& t : inputs)
        in.push_back(&t);
    auto loss = [&]() {
        rng.reseed(opt.seed);
        RunContext ctx { backend, opt.training, &rng };
        out.resize(outShape);
        layer.forward(ctx, in, out);
        double l = 0.0;
        for (int64_t i = 0; i < out.size(); ++i)
            l += static_cast<double>(out[i]) * static_cast<double>(r[i]);
        return l;
    };

    // Analytic gradients.
    loss();
    std::vector<Tensor> gradIn(inputs.size());
    std::vector<Tensor*> gradPtrs;
    for (size_t i = 0; i < inputs.size(); ++i) {
        gradIn[i] = Tensor(inputs[i].shape(), 12345.0f); // poison: backward must overwrite
        gradPtrs.push_back(&gradIn[i]);
    }
    std::vector<Tensor> paramGrads;
    for (auto& p : layer.parameters())
        if (p.trainable)
            p.grad.fill(12345.0f);
    {
        rng.reseed(opt.seed);
        RunContext ctx { backend, opt.training, &rng };
        layer.backward(ctx, in, out, r, gradPtrs);
    }
    for (auto& p : layer.parameters())
        if (p.trainable) {
            Tensor g;
            g.copyFrom(p.grad);
            paramGrads.push_back(std::move(g));
        }

    std::string worstWhere;
    double worstA = 0.0, worstN = 0.0;
    auto compare = [&](Tensor& values, const Tensor& analytic, const std::string& what) {
        const int64_t size = values.size();
        const int64_t step = std::max<int64_t>(1, (size + opt.maxElements - 1) / std::max<int64_t>(1, opt.maxElements));
        for (int64_t i = 0; i < size; i += step) {
            const float v = values[i];
            const float plus = static_cast<float>(v + opt.eps);
            const float minus = static_cast<float>(v - opt.eps);
            values[i] = plus;
            const double lp = loss();
            values[i] = minus;
            const double lm = loss();
            values[i] = v;
            const double numeric = (lp - lm) / (static_cast<double>(plus) - static_cast<double>(minus));
            const double a = analytic[i];
            const double err = std::abs(a - numeric) / (opt.atol + opt.rtol * std::max(std::abs(a), std::abs(numeric)));
            ++report.checked;
            if (std::isnan(err) || err > report.worst || worstWhere.empty()) {
                report.worst = std::isnan(err) ? HUGE_VAL : err;
                worstWhere = what + " [" + std::to_string(i) + "]";
                worstA = a;
                worstN = numeric;
            }
        }
    };
    for (size_t i = 0; i < inputs.size(); ++i)
        compare(inputs[i], gradIn[i], "input " + std::to_string(i));
    size_t k = 0;
    for (auto& p : layer.parameters())
        if (p.trainable)
            compare(p.value, paramGrads[k++], "param " + p.name);

    std::ostringstream msg;
    msg << "worst " << worstWhere << ": analytic " << worstA << ", numeric " << worstN << " (error ratio "
        << report.worst << ", " << report.checked << " elements checked)";
    report.ok = report.worst <= 1.0;
    report.message = msg.str();
    return report;
}

} // namespace netcanvas::gradcheck
