#include "engine/layers/BatchNorm.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>

namespace netcanvas {

namespace {
enum { Gamma = 0, Beta = 1, RunningMean = 2, RunningVar = 3 };
using Row = Eigen::Map<Eigen::ArrayXf>;
using ConstRow = Eigen::Map<const Eigen::ArrayXf>;
} // namespace

BatchNormLayer::BatchNormLayer(std::string name, LayerParams params)
    : BuiltinLayer("BatchNorm", std::move(name), std::move(params))
{
    m_momentum = m_params.getFloat("momentum");
    m_epsilon = m_params.getFloat("epsilon");
}

Shape BatchNormLayer::outputShape(const std::vector<Shape>& inputs) const
{
    requireInputCount(inputs, 1);
    if (inputs[0].rank() == 0 || inputs[0].numel() <= 0)
        fail(inputs, "needs features {F} or channels×height×width");
    return inputs[0];
}

int64_t BatchNormLayer::paramCount(const std::vector<Shape>& inputs) const
{
    outputShape(inputs); // validates
    return 4 * inputs[0][0];
}

int64_t BatchNormLayer::flops(const std::vector<Shape>& inputs) const
{
    return 2 * inputs.at(0).numel();
}

void BatchNormLayer::build(const std::vector<Shape>& inputs, Rng&)
{
    outputShape(inputs);
    m_channels = inputs[0][0];
    m_inner = inputs[0].numel() / m_channels;
    addParameter("gamma", Shape { m_channels }, true, false).value.fill(1.0f);
    addParameter("beta", Shape { m_channels }, true, false);
    addParameter("running_mean", Shape { m_channels }, false, false);
    addParameter("running_var", Shape { m_channels }, false, false).value.fill(1.0f);
    m_mean.resize(Shape { m_channels });
    m_invStd.resize(Shape { m_channels });
}

void BatchNormLayer::forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out)
{
    const Tensor& x = *in[0];
    const int64_t n = x.shape()[0];
    const int64_t c = m_channels, inner = m_inner;
    const int64_t count = n * inner;
    m_batchStats = ctx.training;
    const float* src = x.data();
    float* dst = out.data();
    const float* gamma = m_parameters[Gamma].value.data();
    const float* beta = m_parameters[Beta].value.data();
    float* runMean = m_parameters[RunningMean].value.data();
    float* runVar = m_parameters[RunningVar].value.data();
    float* mean = m_mean.data();
    float* invStd = m_invStd.data();
    const bool training = ctx.training;
    auto run = [&](int64_t c0, int64_t c1) {
        for (int64_t ch = c0; ch < c1; ++ch) {
            if (training) {
                // Vectorized float sums per row, accumulated over rows in double; two passes
                // (mean, then squared deviations) for accuracy.
                double sum = 0.0;
                for (int64_t s = 0; s < n; ++s)
                    sum += ConstRow(src + (s * c + ch) * inner, inner).sum();
                const double mu = sum / static_cast<double>(count);
                const float muF = static_cast<float>(mu);
                double sq = 0.0;
                for (int64_t s = 0; s < n; ++s)
                    sq += (ConstRow(src + (s * c + ch) * inner, inner) - muF).square().sum();
                const double var = sq / static_cast<double>(count);
                mean[ch] = static_cast<float>(mu);
                invStd[ch] = static_cast<float>(1.0 / std::sqrt(var + m_epsilon));
                const double unbiased = count > 1 ? sq / static_cast<double>(count - 1) : var;
                runMean[ch] = static_cast<float>((1.0 - m_momentum) * runMean[ch] + m_momentum * mu);
                runVar[ch] = static_cast<float>((1.0 - m_momentum) * runVar[ch] + m_momentum * unbiased);
            } else {
                mean[ch] = runMean[ch];
                invStd[ch] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(runVar[ch]) + m_epsilon));
            }
            const float scale = gamma[ch] * invStd[ch];
            const float shift = beta[ch] - mean[ch] * scale;
            for (int64_t s = 0; s < n; ++s)
                Row(dst + (s * c + ch) * inner, inner) = ConstRow(src + (s * c + ch) * inner, inner) * scale + shift;
        }
    };
    parallelRange(ctx.backend, c, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, count)), run);
}

void BatchNormLayer::backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor&,
    const Tensor& gradOut, const std::vector<Tensor*>& gradIn)
{
    const Tensor& x = *in[0];
    const int64_t n = x.shape()[0];
    const int64_t c = m_channels, inner = m_inner;
    const int64_t count = n * inner;
    const float* src = x.data();
    const float* dy = gradOut.data();
    float* dx = (gradIn.empty() || !gradIn[0]) ? nullptr : gradIn[0]->data();
    const float* gamma = m_parameters[Gamma].value.data();
    float* dGamma = m_parameters[Gamma].grad.data();
    float* dBeta = m_parameters[Beta].grad.data();
    const float* mean = m_mean.data();
    const float* invStd = m_invStd.data();
    const bool batchStats = m_batchStats;
    auto run = [&](int64_t c0, int64_t c1) {
        for (int64_t ch = c0; ch < c1; ++ch) {
            const float mu = mean[ch], is = invStd[ch];
            double sumDy = 0.0, sumDyXhat = 0.0;
            for (int64_t s = 0; s < n; ++s) {
                const ConstRow p(src + (s * c + ch) * inner, inner);
                const ConstRow g(dy + (s * c + ch) * inner, inner);
                sumDy += g.sum();
                sumDyXhat += (g * (p - mu)).sum();
            }
            sumDyXhat *= is;
            dGamma[ch] = static_cast<float>(sumDyXhat);
            dBeta[ch] = static_cast<float>(sumDy);
            if (!dx)
                continue;
            const float scale = gamma[ch] * is;
            if (!batchStats) {
                for (int64_t s = 0; s < n; ++s)
                    Row(dx + (s * c + ch) * inner, inner) = ConstRow(dy + (s * c + ch) * inner, inner) * scale;
                continue;
            }
            // dx = gamma·invStd · (dy − mean(dy) − xhat·mean(dy·xhat))
            const float meanDy = static_cast<float>(sumDy / static_cast<double>(count));
            const float meanDyXhat = static_cast<float>(sumDyXhat / static_cast<double>(count));
            // = scale·(dy − meanDy) − (scale·is·meanDyXhat)·(x − mu)
            const float k = scale * is * meanDyXhat;
            for (int64_t s = 0; s < n; ++s) {
                const ConstRow p(src + (s * c + ch) * inner, inner);
                const ConstRow g(dy + (s * c + ch) * inner, inner);
                Row(dx + (s * c + ch) * inner, inner) = scale * (g - meanDy) - k * (p - mu);
            }
        }
    };
    parallelRange(ctx.backend, c, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, count)), run);
}

void registerBatchNorm(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "BatchNorm";
    info.category = "Normalization";
    info.doc = "Normalizes each feature/channel over the batch, then rescales it: steadier, faster training";
    info.params = { floatParam("momentum", 0.1, 0.0, 1.0,
                        "Weight of the current batch in the running statistics (PyTorch convention)"),
        floatParam("epsilon", 1e-5, 1e-12, 1.0, "Small number added to the variance to avoid division by zero") };
    info.create
        = [](const std::string& name, const LayerParams& p) { return std::make_unique<BatchNormLayer>(name, p); };
    registry.add(std::move(info));
}

} // namespace netcanvas
