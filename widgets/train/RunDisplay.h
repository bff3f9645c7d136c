#pragma once
// How the app shows a training run (an engine RunRecord): its name in the run list and chart
// legends, its color, its settings in one line. Also declares the engine's run values as Qt
// metatypes, for the queued signals that carry them across threads.
#include "engine/session/RunRecord.h"
#include "engine/train/Trainer.h"

#include <QColor>
#include <QMetaType>
#include <QString>

Q_DECLARE_METATYPE(netcanvas::BatchEvent)
Q_DECLARE_METATYPE(netcanvas::EpochEvent)
Q_DECLARE_METATYPE(netcanvas::RunSummary)

namespace netcanvas::widgets {

// "adam lr 0.001 · bs 64 · 5 ep" — the settings an instructor compares (runSettingsSummary).
QString configSummary(const RunRecord& run);
// "Run 3 · adam lr 0.001 · 91.2%" (test accuracy, else the last validation accuracy,
// else the state: "training…", "stopped", "diverged", "failed"); with a label,
// "Run 3 · dropout 0.5 · 91.2%".
QString displayName(const RunRecord& run);
// For chart legends: the label, else "Run 3".
QString shortName(const RunRecord& run);
// The run's color in overlaid charts and in the run list (stable per id).
QColor runColor(const RunRecord& run);
// The calm categorical palette used for runs (Tableau 10 order).
QColor runColor(int index);

} // namespace netcanvas::widgets
