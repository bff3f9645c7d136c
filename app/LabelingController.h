#pragma once
// LabelingController: the app side of labeling — the open LabelStore and the model in the
// loop. The store is used on the UI thread only (LabelingPanel edits it); every long job
// (decoding the labeled images for a training round, predicting the unlabeled ones,
// exporting) runs on a worker with value copies and reports back through queued signals.
//
// A round: prepareRound() decodes the labeled images at the model's input geometry →
// labeledReady(dataset); the window starts a normal training run on it (so it is charted
// and listed like any run), fine-tuning from model() when there is one, and calls
// roundStarted(); when that run finishes the controller captures its weights (model()),
// reports how validation accuracy moved (roundFinished) and predicts the unlabeled images
// in the background (predictionsReady), which the panel shows on the thumbnails.
//
// Ensures: at most one job at a time (isBusy()); each started job ends in exactly one of its
// result signals or failed(); cancel() stops a decode or prediction within a few images.
#include "engine/data/Dataset.h"
#include "engine/labels/LabelStore.h"
#include "engine/session/ModelWeights.h"
#include "engine/session/TrainingSession.h"

#include <QObject>
#include <QString>

#include <atomic>
#include <memory>
#include <vector>

namespace netcanvas::app {

class TrainingController;

class LabelingController : public QObject {
    Q_OBJECT
public:
    struct Round {
        int runId = 0;
        int64_t labeled = 0; // images it trained on (training + validation)
        double validationAccuracy = -1.0; // last epoch's; −1 without a validation set
        bool fineTuned = false; // started from the previous round's weights
        double seconds = 0.0;
    };

    explicit LabelingController(TrainingController* training, QObject* parent = nullptr);
    ~LabelingController() override;

    // Opens a folder for labeling (closing the current one). Returns an error message
    // ("another window is labeling this folder…", a broken sidecar the journal cannot
    // restore, an unreadable folder) or an empty string; notes() then says what was recovered.
    QString openFolder(const QString& folder);
    void close();
    LabelStore* store() const { return m_store.get(); }
    QString folder() const;
    // What opening found worth telling (recovered labels, skipped files), one per line.
    QStringList notes() const;

    // ---- model in the loop ----
    bool hasModel() const { return m_model != nullptr; }
    std::shared_ptr<const ModelWeights> model() const { return m_model; }
    // Makes these weights the current model (e.g. a project's trained weights); predictions
    // are not recomputed until predictUnlabeled().
    void setModel(std::shared_ptr<const ModelWeights> model) { m_model = std::move(model); }
    const std::vector<Round>& rounds() const { return m_rounds; }
    // "Round 3: 412 labeled · validation accuracy 87.5% (+4.1)" — or what to do first.
    QString statusText() const;

    // Decodes the labeled images (C×H×W of the model's input) on a worker → labeledReady().
    // Fails (failed()) without two labeled classes.
    void prepareRound(const Shape& inputShape);
    // The window started the round's training run (TrainingController::started follows).
    void roundStarted(int64_t labeled, bool fineTuned);
    bool roundRunning() const { return m_roundRunning; }
    // Predicts every unlabeled image with model() on a worker → predictionsReady().
    void predictUnlabeled();
    // Copies the labeled images to a new folder per class, or writes a CSV when the target
    // ends in .csv → exported(message).
    void exportLabels(const QString& target);

    // Classifies every image of `inputs` (files, or folders standing for the images under
    // them) with `model` on a worker and writes "path,class,confidence,class_2,…" rows (the
    // top 3, like `netcanvas-cli predict --out`) atomically to csvPath → exported(message).
    // Unreadable images are skipped and counted.
    void classifyToCsv(const QStringList& inputs, const QString& csvPath, std::shared_ptr<const ModelWeights> model);

    bool isBusy() const { return m_busy; }
    void cancel() { m_cancelFlag->store(true); }

signals:
    void storeChanged();
    void busyChanged(bool busy, const QString& what);
    void progress(int done, int total);
    void labeledReady(std::shared_ptr<const netcanvas::Dataset> data);
    void roundFinished(const QString& status);
    void predictionsReady(int count, const QString& message);
    void exported(const QString& message);
    void failed(const QString& message);

private:
    void setBusy(bool busy, const QString& what = {});
    void onTrainingEpoch(const EpochEvent& e);
    void onTrainingFinished();
    void onTrainingFailed(const QString& message);
    // Runs fn on a worker thread; its result comes back through done on the UI thread.
    template <class Result, class Work, class Done> void runJob(const QString& what, Work work, Done done);
    std::function<bool(int64_t, int64_t)> progressReporter();

    TrainingController* m_training;
    std::unique_ptr<LabelStore> m_store;
    std::shared_ptr<const ModelWeights> m_model;
    std::vector<Round> m_rounds;
    Round m_pending;
    double m_pendingAccuracy = -1.0;
    bool m_roundRunning = false;
    bool m_busy = false;
    std::shared_ptr<std::atomic<bool>> m_cancelFlag; // the current job's (progressReporter makes it)
    int m_generation = 0; // results of a job for a store that was closed since are dropped
};

} // namespace netcanvas::app
