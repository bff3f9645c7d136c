#include "engine/layers/Softmax.h"

#include <algorithm>
#include <cmath>

namespace netcanvas {

Shape SoftmaxLayer::outputShape(const std::vector<Shape>& inputs) const
{
    requireInputCount(inputs, 1);
    if (inputs[0].rank() == 0 || inputs[0].numel() <= 0)
        fail(inputs, "needs at least one value per sample");
    return inputs[0];
}

int64_t SoftmaxLayer::flops(const std::vector<Shape>& inputs) const
{
    return 4 * inputs.at(0).numel();
}

void SoftmaxLayer::forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out)
{
    const Tensor& x = *in[0];
    const int64_t n = x.shape()[0];
    const int64_t k = x.shape()[1];
    const int64_t inner = x.sampleSize() / k;
    const float* src = x.data();
    float* dst = out.data();
    // One "row" = (sample, inner position): k values at stride `inner`.
    auto run = [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
            const int64_t base = (r / inner) * k * inner + (r % inner);
            const float* a = src + base;
            float* y = dst + base;
            float m = a[0];
            for (int64_t j = 1; j < k; ++j)
                m = std::max(m, a[j * inner]);
            float sum = 0.0f;
            for (int64_t j = 0; j < k; ++j) {
                const float e = std::exp(a[j * inner] - m);
                y[j * inner] = e;
                sum += e;
            }
            const float inv = 1.0f / sum;
            for (int64_t j = 0; j < k; ++j)
                y[j * inner] *= inv;
        }
    };
    parallelRange(ctx.backend, n * inner, std::max<int64_t>(1, 16384 / k), run);
}

void SoftmaxLayer::backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out,
    const Tensor& gradOut, const std::vector<Tensor*>& gradIn)
{
    if (gradIn.empty() || !gradIn[0])
        return;
    const Tensor& x = *in[0];
    const int64_t n = x.shape()[0];
    const int64_t k = x.shape()[1];
    const int64_t inner = x.sampleSize() / k;
    const float* y = out.data();
    const float* dy = gradOut.data();
    float* dx = gradIn[0]->data();
    // dx_j = y_j · (dy_j − Σ_i dy_i·y_i)
    auto run = [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
            const int64_t base = (r / inner) * k * inner + (r % inner);
            float dot = 0.0f;
            for (int64_t j = 0; j < k; ++j)
                dot += dy[base + j * inner] * y[base + j * inner];
            for (int64_t j = 0; j < k; ++j)
                dx[base + j * inner] = y[base + j * inner] * (dy[base + j * inner] - dot);
        }
    };
    parallelRange(ctx.backend, n * inner, std::max<int64_t>(1, 16384 / k), run);
}

void registerSoftmax(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "Softmax";
    info.category = "Activation";
    info.doc = "Turns scores into probabilities that sum to 1 (over classes, or over channels at each pixel)";
    info.create = [](const std::string& name, const LayerParams& p) { return std::make_unique<SoftmaxLayer>(name, p); };
    registry.add(std::move(info));
}

} // namespace netcanvas
