#include "widgets/train/RunDisplay.h"

#include <cmath>

namespace netcanvas::widgets {

QColor runColor(int index)
{
    static const char* const kColors[] = { "#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#eeca3b",
        "#9d755d", "#ff9da6", "#79706e" };
    constexpr int n = static_cast<int>(sizeof(kColors) / sizeof(kColors[0]));
    return QColor(QString::fromLatin1(kColors[((index % n) + n) % n]));
}

QColor runColor(const RunRecord& run)
{
    return runColor(run.id - 1);
}

QString configSummary(const RunRecord& run)
{
    return QString::fromStdString(runSettingsSummary(run.config));
}

QString displayName(const RunRecord& run)
{
    const RunSummary& summary = run.summary;
    QString state;
    if (run.running || run.failed || summary.diverged)
        state = QString::fromStdString(runState(run));
    else if (std::isfinite(summary.testAccuracy))
        state = QStringLiteral("%1%").arg(summary.testAccuracy * 100.0, 0, 'f', 1);
    else if (std::isfinite(lastValidationAccuracy(run)))
        state = QStringLiteral("%1% val").arg(lastValidationAccuracy(run) * 100.0, 0, 'f', 1);
    else
        state = QString::fromStdString(runState(run));
    if (!run.running && summary.stopped && std::isfinite(summary.testAccuracy))
        state += QStringLiteral(" (stopped)");
    const QString what = !run.label.empty() ? QString::fromStdString(run.label)
                                            : QStringLiteral("%1 lr %2")
                                                  .arg(QString::fromStdString(run.config.optimizer.kind))
                                                  .arg(run.config.optimizer.learningRate, 0, 'g', 3);
    return QStringLiteral("Run %1 · %2 · %3").arg(run.id).arg(what, state);
}

QString shortName(const RunRecord& run)
{
    return run.label.empty() ? QStringLiteral("Run %1").arg(run.id) : QString::fromStdString(run.label);
}

} // namespace netcanvas::widgets
