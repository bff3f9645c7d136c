#include "engine/train/LossScaler.h"

#include "engine/core/Error.h"

#include <cmath>
#include <cstdio>

namespace netcanvas {

namespace {

bool powerOfTwo(float v)
{
    if (!(v > 0.0f) || !std::isfinite(v))
        return false;
    int exponent = 0;
    return std::frexp(v, &exponent) == 0.5f;
}

void checkScale(const char* name, float v)
{
    if (!powerOfTwo(v))
        throw FormatError(std::string("loss scaler: ") + name + " must be a power of two (1, 2, 4, ... 2^127), not "
            + std::to_string(v));
}

} // namespace

const char* lossScalingName(LossScaling mode)
{
    switch (mode) {
    case LossScaling::On:
        return "on";
    case LossScaling::Off:
        return "off";
    case LossScaling::Auto:
        break;
    }
    return "auto";
}

LossScaling parseLossScaling(const std::string& text, const std::string& what)
{
    for (LossScaling m : { LossScaling::Auto, LossScaling::On, LossScaling::Off })
        if (text == lossScalingName(m))
            return m;
    throw FormatError(what + " '" + text + "': expected auto, on or off");
}

std::string formatLossScale(float scale)
{
    int exponent = 0;
    const float mantissa = std::frexp(scale, &exponent);
    char text[64];
    if (mantissa == 0.5f)
        std::snprintf(text, sizeof text, "%.9g (2^%d)", static_cast<double>(scale), exponent - 1);
    else
        std::snprintf(text, sizeof text, "%.9g", static_cast<double>(scale));
    return text;
}

LossScaler::LossScaler(const LossScalerOptions& options)
    : m_options(options)
    , m_scale(options.initialScale)
{
    checkScale("initialScale", options.initialScale);
    checkScale("minScale", options.minScale);
    checkScale("maxScale", options.maxScale);
    if (options.minScale > options.initialScale || options.initialScale > options.maxScale)
        throw FormatError("loss scaler: expected minScale <= initialScale <= maxScale, not "
            + formatLossScale(options.minScale) + ", " + formatLossScale(options.initialScale) + ", "
            + formatLossScale(options.maxScale));
    if (options.growthInterval < 1)
        throw FormatError(
            "loss scaler: growthInterval must be at least 1, not " + std::to_string(options.growthInterval));
    if (options.maxConsecutiveSkips < 1)
        throw FormatError(
            "loss scaler: maxConsecutiveSkips must be at least 1, not " + std::to_string(options.maxConsecutiveSkips));
}

LossScaler::Verdict LossScaler::update(bool gradientsFinite)
{
    if (gradientsFinite) {
        m_consecutiveSkips = 0;
        m_stopReason.clear();
        if (++m_goodSteps >= m_options.growthInterval) {
            m_goodSteps = 0;
            if (m_scale < m_options.maxScale)
                m_scale *= 2.0f; // both powers of two: never past maxScale
        }
        return Verdict::Step;
    }
    ++m_skipped;
    ++m_consecutiveSkips;
    m_goodSteps = 0;
    if (m_scale <= m_options.minScale) {
        m_stopReason = "the gradients are non-finite even with the loss scale backed off to "
            + formatLossScale(m_options.minScale);
        return Verdict::Stop;
    }
    m_scale *= 0.5f;
    if (m_consecutiveSkips >= m_options.maxConsecutiveSkips) {
        m_stopReason = std::to_string(m_consecutiveSkips) + " steps in a row had non-finite gradients (loss scale now "
            + formatLossScale(m_scale) + ")";
        return Verdict::Stop;
    }
    return Verdict::Skip;
}

} // namespace netcanvas
