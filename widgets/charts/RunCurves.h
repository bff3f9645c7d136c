#pragma once
// RunCurves: the full (undecimated) chart data of one run, derived incrementally from its
// RunRecord events. x is the epoch, fractional for batches (epoch + (batch+1)/batches).
// Accuracy values are percentages; for a regression run (real-valued targets) the "accuracy"
// curves hold the training and validation RMSE in the data's units instead.
#include <QPointF>
#include <QString>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace netcanvas {
struct RunRecord;
}

namespace netcanvas::widgets {

struct RunCurves {
    std::vector<QPointF> rawLoss; // every batch
    std::vector<QPointF> smoothLoss; // debiased exponential moving average of rawLoss
    std::vector<QPointF> learningRate; // every batch
    std::vector<QPointF> validationLoss; // per epoch (finite values only)
    std::vector<QPointF> trainAccuracy; // per epoch
    std::vector<QPointF> validationAccuracy; // per epoch
    double maxLoss = 0.0; // over smoothLoss and validationLoss
    double minAccuracy = 100.0;
    bool regression = false; // the accuracy curves are RMSE
    double maxRmse = 0.0;
    double maxLearningRate = 0.0;
    double maxX = 0.0;
    // Live changes: x where the change took effect (before batch b of epoch e: e + b/batches)
    // and its label ("lr 0.01 → 0.001").
    struct Marker {
        double x = 0.0;
        QString label;
    };
    std::vector<Marker> markers;

    // Appends what `run` has beyond what was consumed. Returns whether anything changed.
    bool update(const RunRecord& run);

private:
    std::size_t m_batchesSeen = 0, m_epochsSeen = 0, m_changesSeen = 0;
    int64_t m_batchesPerEpoch = 0;
    double m_ema = 0.0, m_emaWeight = 0.0;
};

} // namespace netcanvas::widgets
