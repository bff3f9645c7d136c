#include "widgets/train/TrainingRun.h"

#include <cmath>

namespace netcanvas::widgets {

QColor runColor(int index)
{
    static const char* const kColors[] = { "#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#eeca3b",
        "#9d755d", "#ff9da6", "#79706e" };
    constexpr int n = static_cast<int>(sizeof(kColors) / sizeof(kColors[0]));
    return QColor(QString::fromLatin1(kColors[((index % n) + n) % n]));
}

QString TrainingRun::configSummary() const
{
    QString s = QStringLiteral("%1 lr %2")
                    .arg(QString::fromStdString(config.optimizer.kind))
                    .arg(config.optimizer.learningRate, 0, 'g', 3);
    if (config.schedule.kind != "constant")
        s += QStringLiteral(" %1").arg(QString::fromStdString(config.schedule.kind));
    s += QStringLiteral(" · bs %1 · %2 ep").arg(config.batchSize).arg(config.epochs);
    if (config.optimizer.l2 > 0.0)
        s += QStringLiteral(" · L2 %1").arg(config.optimizer.l2, 0, 'g', 3);
    if (config.optimizer.l1 > 0.0)
        s += QStringLiteral(" · L1 %1").arg(config.optimizer.l1, 0, 'g', 3);
    if (config.optimizer.weightDecay > 0.0)
        s += QStringLiteral(" · wd %1").arg(config.optimizer.weightDecay, 0, 'g', 3);
    if (config.augmentation.any())
        s += QStringLiteral(" · aug");
    return s;
}

QString TrainingRun::displayName() const
{
    QString state;
    if (running)
        state = QStringLiteral("training…");
    else if (failed)
        state = QStringLiteral("failed");
    else if (summary.diverged)
        state = QStringLiteral("diverged");
    else if (std::isfinite(summary.testAccuracy))
        state = QStringLiteral("%1%").arg(summary.testAccuracy * 100.0, 0, 'f', 1);
    else if (!epochs.empty() && std::isfinite(epochs.back().validationAccuracy))
        state = QStringLiteral("%1% val").arg(epochs.back().validationAccuracy * 100.0, 0, 'f', 1);
    else if (summary.stopped)
        state = QStringLiteral("stopped");
    else
        state = QStringLiteral("done");
    if (!running && summary.stopped && std::isfinite(summary.testAccuracy))
        state += QStringLiteral(" (stopped)");
    const QString what = !label.isEmpty() ? label
                                          : QStringLiteral("%1 lr %2")
                                                .arg(QString::fromStdString(config.optimizer.kind))
                                                .arg(config.optimizer.learningRate, 0, 'g', 3);
    return QStringLiteral("Run %1 · %2 · %3").arg(id).arg(what, state);
}

QString TrainingRun::shortName() const
{
    return label.isEmpty() ? QStringLiteral("Run %1").arg(id) : label;
}

QColor TrainingRun::color() const
{
    return runColor(id - 1);
}

} // namespace netcanvas::widgets
