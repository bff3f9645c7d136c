#include "widgets/charts/RunCurves.h"

#include "widgets/train/RunDisplay.h"

#include <algorithm>
#include <cmath>

namespace netcanvas::widgets {

bool RunCurves::update(const RunRecord& run)
{
    bool changed = false;
    for (; m_batchesSeen < run.batches.size(); ++m_batchesSeen) {
        const BatchEvent& e = run.batches[m_batchesSeen];
        m_batchesPerEpoch = e.batchesPerEpoch;
        const double perEpoch = static_cast<double>(std::max<int64_t>(e.batchesPerEpoch, 1));
        const double x = e.epoch + static_cast<double>(e.batch + 1) / perEpoch;
        // About a twentieth of an epoch of smoothing, between 5 and 100 batches.
        const double window = std::clamp(perEpoch / 20.0, 5.0, 100.0);
        const double beta = 1.0 - 1.0 / window;
        maxX = std::max(maxX, x);
        if (std::isfinite(e.loss)) {
            rawLoss.emplace_back(x, e.loss);
            m_ema = beta * m_ema + (1.0 - beta) * e.loss;
            m_emaWeight = beta * m_emaWeight + (1.0 - beta);
            const double smooth = m_ema / m_emaWeight;
            smoothLoss.emplace_back(x, smooth);
            maxLoss = std::max(maxLoss, smooth);
        }
        learningRate.emplace_back(x, e.learningRate);
        maxLearningRate = std::max(maxLearningRate, e.learningRate);
        changed = true;
    }
    for (; m_epochsSeen < run.epochs.size(); ++m_epochsSeen) {
        const EpochEvent& e = run.epochs[m_epochsSeen];
        const double x = e.epoch + 1.0;
        maxX = std::max(maxX, x);
        if (std::isfinite(e.validationLoss)) {
            validationLoss.emplace_back(x, e.validationLoss);
            maxLoss = std::max(maxLoss, e.validationLoss);
        }
        if (e.regression) {
            regression = true;
            for (auto [value, curve] :
                { std::pair { e.trainRmse, &trainAccuracy }, std::pair { e.validationRmse, &validationAccuracy } })
                if (std::isfinite(value)) {
                    curve->emplace_back(x, value);
                    maxRmse = std::max(maxRmse, value);
                }
        }
        if (std::isfinite(e.trainAccuracy)) {
            trainAccuracy.emplace_back(x, e.trainAccuracy * 100.0);
            minAccuracy = std::min(minAccuracy, e.trainAccuracy * 100.0);
        }
        if (std::isfinite(e.validationAccuracy)) {
            validationAccuracy.emplace_back(x, e.validationAccuracy * 100.0);
            minAccuracy = std::min(minAccuracy, e.validationAccuracy * 100.0);
        }
        changed = true;
    }
    if (m_batchesPerEpoch > 0) // a marker's x needs the batches per epoch
        for (; m_changesSeen < run.changes.size(); ++m_changesSeen) {
            const ChangeEvent& c = run.changes[m_changesSeen];
            const double x = c.epoch + static_cast<double>(c.batch) / static_cast<double>(m_batchesPerEpoch);
            markers.push_back({ x, QString::fromStdString(c.label()) });
            changed = true;
        }
    return changed;
}

} // namespace netcanvas::widgets
