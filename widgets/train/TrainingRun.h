#pragma once
// TrainingRun: one training run as the app keeps it — its settings (the TrainConfig, the
// model's name) and every batch and epoch event it produced, plus how it ended.
// A plain value; RunHistory owns the runs of a project document.
#include "engine/train/TrainConfig.h"
#include "engine/train/Trainer.h"
#include "widgets/train/TrainingSummary.h"

#include <QColor>
#include <QString>

#include <vector>

Q_DECLARE_METATYPE(netcanvas::BatchEvent)
Q_DECLARE_METATYPE(netcanvas::EpochEvent)

namespace netcanvas::widgets {

struct TrainingRun {
    int id = 0; // 1, 2, 3 … within the document ("Run 3")
    QString modelName;
    TrainConfig config;
    QString datasetName; // e.g. "fashion-mnist"
    QString label; // the user's name for it ("dropout 0.5"); empty: none given
    std::vector<BatchEvent> batches;
    std::vector<EpochEvent> epochs;
    bool running = true;
    bool failed = false; // an exception ended it (summary.message holds it)
    TrainingSummary summary;

    // "adam lr 0.001 · bs 64 · 5 ep" — the settings an instructor compares.
    QString configSummary() const;
    // "Run 3 · adam lr 0.001 · 91.2%" (test accuracy, else the last validation accuracy,
    // else the state: "training…", "stopped", "diverged", "failed"); with a label,
    // "Run 3 · dropout 0.5 · 91.2%".
    QString displayName() const;
    // For chart legends: the label, else "Run 3".
    QString shortName() const;
    // The run's color in overlaid charts and in the run list (stable per id).
    QColor color() const;
};

// The calm categorical palette used for runs (Tableau 10 order).
QColor runColor(int index);

} // namespace netcanvas::widgets
