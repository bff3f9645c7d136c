// The CPU batch-normalization primitive (moved from the BatchNorm layer). Per channel:
// vectorized float sums per row, accumulated over rows in double; two passes (mean, then
// squared deviations) for accuracy. Work is split over channels.
// Besides the interface's contract, backward after an INFERENCE forward is supported (the
// gradient of the affine map with the running statistics): inspection (saliency, Grad-CAM)
// back-propagates through a network run in inference mode.
#include "engine/backend/cpu/CpuBackend.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <vector>

namespace netcanvas {

namespace {

using Row = Eigen::Map<Eigen::ArrayXf>;
using ConstRow = Eigen::Map<const Eigen::ArrayXf>;

class CpuBatchNorm final : public BatchNormPrimitive {
public:
    CpuBatchNorm(CpuBackend& backend, const BatchNormDesc& desc)
        : m_backend(backend)
        , m_desc(desc)
        , m_mean(static_cast<size_t>(desc.channels))
        , m_invStd(static_cast<size_t>(desc.channels))
    {
    }
    void forward(int64_t n, const float* x, float* y, const float* gamma, const float* beta, float* runningMean,
        float* runningVar, bool training) override;
    void backward(int64_t n, const float* x, const float* dy, const float* gamma, float* dx, float* dgamma,
        float* dbeta) override;

private:
    CpuBackend& m_backend;
    BatchNormDesc m_desc;
    bool m_batchStats = false; // the last forward used batch statistics
    std::vector<float> m_mean; // [C] statistics used by the last forward
    std::vector<float> m_invStd; // [C]
};

void CpuBatchNorm::forward(int64_t n, const float* src, float* dst, const float* gamma, const float* beta,
    float* runMean, float* runVar, bool training)
{
    const int64_t c = m_desc.channels, inner = m_desc.spatial;
    const int64_t count = n * inner;
    const double momentum = m_desc.momentum, epsilon = m_desc.epsilon;
    m_batchStats = training;
    float* mean = m_mean.data();
    float* invStd = m_invStd.data();
    auto run = [&](int64_t c0, int64_t c1) {
        for (int64_t ch = c0; ch < c1; ++ch) {
            if (training) {
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
                invStd[ch] = static_cast<float>(1.0 / std::sqrt(var + epsilon));
                const double unbiased = count > 1 ? sq / static_cast<double>(count - 1) : var;
                runMean[ch] = static_cast<float>((1.0 - momentum) * runMean[ch] + momentum * mu);
                runVar[ch] = static_cast<float>((1.0 - momentum) * runVar[ch] + momentum * unbiased);
            } else {
                mean[ch] = runMean[ch];
                invStd[ch] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(runVar[ch]) + epsilon));
            }
            const float scale = gamma[ch] * invStd[ch];
            const float shift = beta[ch] - mean[ch] * scale;
            for (int64_t s = 0; s < n; ++s)
                Row(dst + (s * c + ch) * inner, inner) = ConstRow(src + (s * c + ch) * inner, inner) * scale + shift;
        }
    };
    m_backend.parallelRange(c, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, count)), run);
}

void CpuBatchNorm::backward(
    int64_t n, const float* src, const float* dy, const float* gamma, float* dx, float* dGamma, float* dBeta)
{
    const int64_t c = m_desc.channels, inner = m_desc.spatial;
    const int64_t count = n * inner;
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
            //    = scale·(dy − meanDy) − (scale·is·meanDyXhat)·(x − mu)
            const float meanDy = static_cast<float>(sumDy / static_cast<double>(count));
            const float meanDyXhat = static_cast<float>(sumDyXhat / static_cast<double>(count));
            const float k = scale * is * meanDyXhat;
            for (int64_t s = 0; s < n; ++s) {
                const ConstRow p(src + (s * c + ch) * inner, inner);
                const ConstRow g(dy + (s * c + ch) * inner, inner);
                Row(dx + (s * c + ch) * inner, inner) = scale * (g - meanDy) - k * (p - mu);
            }
        }
    };
    m_backend.parallelRange(c, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, count)), run);
}

} // namespace

std::unique_ptr<BatchNormPrimitive> CpuBackend::createBatchNorm(const BatchNormDesc& desc)
{
    return std::make_unique<CpuBatchNorm>(*this, desc);
}

} // namespace netcanvas
