#pragma once
// TrainingSummary: how a training run ended, as a value (it crosses threads in a queued
// signal). Filled from the engine's TrainResult plus the test-split evaluation.
#include "engine/train/Metrics.h"

#include <QMetaType>
#include <QString>

#include <cstdint>
#include <limits>

namespace netcanvas::widgets {

struct TrainingSummary {
    int epochsCompleted = 0;
    bool stopped = false; // the user pressed Stop
    bool earlyStopped = false; // patience ran out
    bool diverged = false; // NaN/Inf: `message` names the first non-finite layer
    QString message; // the Trainer's reason when not a normal finish
    double seconds = 0.0;
    double samplesPerSecond = 0.0;
    int bestEpoch = -1;
    double bestValidationLoss = std::numeric_limits<double>::quiet_NaN();
    int64_t skippedSteps = 0; // loss scaling (FP16 math): updates skipped because the gradients overflowed
    // Test split (NaN / 0 samples when there is none or the run diverged).
    double testLoss = std::numeric_limits<double>::quiet_NaN();
    double testAccuracy = std::numeric_limits<double>::quiet_NaN();
    int64_t testSamples = 0;
    ConfusionMatrix testConfusion;
};

} // namespace netcanvas::widgets

Q_DECLARE_METATYPE(netcanvas::widgets::TrainingSummary)
