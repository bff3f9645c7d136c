#pragma once
// LossScaler: dynamic loss scaling for training with FP16 math (docs/gpu.md, "FP16 mixed
// precision").
//
// What it represents: the factor S by which the Trainer multiplies dL/d(output) before the
// backward pass, so that gradients too small for FP16 (normal down to 2^-14, subnormal down to
// 2^-24) keep their value through the FP16 products of the GEMMs and convolutions. Before the
// optimizer sees them the gradients are multiplied by 1/S — exactly, S being a power of two —
// so L1/L2 terms and weight decay apply to the true gradients.
//
// Rules — after each backward pass the Trainer calls update() with whether every scaled
// gradient is finite:
//  - finite: the step is taken (Verdict::Step); after `growthInterval` finite steps in a row S
//    doubles, up to `maxScale`;
//  - not finite: the scaled gradients overflowed — that is not a divergence: the step is skipped
//    (Verdict::Skip, the weights do not change) and S halves, down to `minScale`;
//  - not finite while S is already `minScale`, or `maxConsecutiveSkips` steps in a row skipped:
//    Verdict::Stop — the gradients themselves are non-finite; stopReason() says which.
// A NaN/Inf loss is not the scaler's business: the Trainer stops on it before the backward pass.
//
// Requires: power-of-two scales with minScale <= initialScale <= maxScale (at most 2^127) and
// positive counts; the constructor throws FormatError naming the option otherwise.
#include <cstdint>
#include <string>

namespace netcanvas {

// TrainConfig::lossScaling. Auto: on when the backend runs FP16 math
// (Backend::mathPrecision() == Precision::Fp16), off otherwise.
enum class LossScaling { Auto, On, Off };

// "auto" | "on" | "off"
const char* lossScalingName(LossScaling mode);
// The inverse; anything else throws FormatError naming `what` and the value.
LossScaling parseLossScaling(const std::string& text, const std::string& what = "loss scaling");

struct LossScalerOptions {
    float initialScale = 65536.0f; // 2^16
    float minScale = 1.0f;
    float maxScale = 16777216.0f; // 2^24
    int growthInterval = 2000; // finite steps in a row before S doubles
    int maxConsecutiveSkips = 50; // skipped steps in a row before the run stops
};

class LossScaler {
public:
    enum class Verdict { Step, Skip, Stop };

    explicit LossScaler(const LossScalerOptions& options = {});

    // S for the next step.
    float scale() const { return m_scale; }
    // Records the outcome of the step that ran with scale() and adjusts S for the next one.
    Verdict update(bool gradientsFinite);

    int64_t skippedSteps() const { return m_skipped; } // since construction
    int consecutiveSkips() const { return m_consecutiveSkips; }
    int goodStepsInARow() const { return m_goodSteps; } // since the last skip or growth
    // After Verdict::Stop: why, in one clause ("the gradients are non-finite even with the loss
    // scale backed off to 1"); empty otherwise.
    const std::string& stopReason() const { return m_stopReason; }
    const LossScalerOptions& options() const { return m_options; }
    // A resumed run continues with the scale and the count of good steps it had.
    void restore(float scale, int goodStepsInARow)
    {
        m_scale = scale;
        m_goodSteps = goodStepsInARow;
        m_consecutiveSkips = 0;
    }

private:
    LossScalerOptions m_options;
    float m_scale;
    int m_goodSteps = 0;
    int m_consecutiveSkips = 0;
    int64_t m_skipped = 0;
    std::string m_stopReason;
};

// "65536 (2^16)": a scale for messages.
std::string formatLossScale(float scale);

} // namespace netcanvas
