#pragma once
// TrainingPanel: the Training tab — Train / Pause-Resume / Stop and the live status of a
// run, a one-line summary of the dataset ("fashion-mnist · 70,000 samples · 10 classes",
// with a link to the Data tab) and the hyper-parameters of a TrainConfig (prefilled from
// the model's recipe, graph.training). The dataset itself, its split and augmentation are
// the DataPanel's (the Data tab), which this panel creates and drives: dataPanel().
//
// It does not train: it emits trainRequested() when the user presses Train and the
// dataset fits the model; the app starts the run and reports back through
// setTrainingState(), showBatch(), showEpoch(), showFinished() and showFailed().
// Train is disabled, with the reason shown, when the graph does not validate or the
// dataset's class count does not fit the output node.
//
// Device: "Automatic", the CPU and each GPU DeviceManager finds (name, memory and current
// use; an unusable one disabled with its reason as tooltip, or one disabled "CUDA:
// unavailable (reason)" entry), listed on a worker thread at construction and after each run.
// The choice is TrainConfig::device. When the chosen GPU cannot be used the run trains on the
// CPU and the reason shows in the status line (showDeviceNote()).
//
// GPU math (TrainConfig::precision): "FP32 (exact)", "TF32 tensor cores" (offered when a usable
// GPU of compute capability 8.0+ is listed) and "FP16 mixed + loss scaling" (any usable GPU).
// The menu is enabled when a usable GPU is listed, or when the setting is not FP32 (so that a
// project saved on a GPU machine can be set back); an entry the listed GPUs cannot run stays
// selectable only while it is the current one.
//
// Requires: `model` outlives the panel.
#include "engine/backend/DeviceManager.h"
#include "engine/data/Dataset.h"
#include "engine/train/TrainConfig.h"
#include "engine/train/Trainer.h"
#include "widgets/data/DataPanel.h"
#include "widgets/train/RunDisplay.h"

#include <QPointer>
#include <QSet>
#include <QWidget>

#include <memory>
#include <optional>

class QCheckBox;
class QComboBox;
class QGroupBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QVBoxLayout;
class QTimer;

namespace netcanvas::widgets {

class GraphModel;
class ScientificSpinBox;

class TrainingPanel : public QWidget {
    Q_OBJECT
public:
    explicit TrainingPanel(GraphModel* model, QWidget* parent = nullptr);
    ~TrainingPanel() override;

    // The settings in the form (fields the form does not show keep the recipe's values).
    TrainConfig config() const;
    void setConfig(const TrainConfig& config);

    // The Data tab's panel (created here; the window places it). Shortcuts to it below.
    DataPanel* dataPanel() const { return m_data; }
    QString datasetPath() const;
    void setDatasetPath(const QString& path);
    // The loaded dataset (null before loading or after a failed load).
    std::shared_ptr<const Dataset> dataset() const;
    // Starts opening datasetPath() with the model's input geometry on a worker thread.
    void loadDataset();
    bool isLoading() const;
    void cancelLoading();

    // Why Train cannot run now (empty when it can): graph errors, class-count mismatch.
    QString trainBlocker() const;
    // What Train does: loads the dataset first when it is missing or has another geometry
    // than the model's input, then emits trainRequested().
    void requestTrain();

    // The panel's own Train / Pause / Stop buttons (shown by default). The app hides them: its
    // toolbar holds the one visible set, and the reason Train is blocked still shows here.
    // Adds a section (a group box) below the hyper-parameters, e.g. the app's MPI launcher.
    void addSection(QWidget* section);
    void setRunButtonsVisible(bool visible);

    // Live changes (the "While training" box, enabled while a run goes on): Set learning rate,
    // Set epochs, the Augmentation switch — each emits changeRequested() at once; the run applies
    // it at its next step and the charts mark it.
    void setTrainingState(bool running, bool paused);
    void showBatch(const BatchEvent& last);
    void showEpoch(const EpochEvent& event);
    void showFinished(const RunSummary& summary);
    void showFailed(const QString& message);
    // The run trains on the CPU because the chosen GPU cannot be used: the one-line reason.
    // With device Automatic it is said once per panel, quietly (not as a warning); the Device
    // list keeps it. An empty note clears a quiet one.
    void showDeviceNote(const QString& note);
    // Whether this Automatic-device note was already said once.
    bool deviceNoteShown(const QString& note) const;
    // Lists the devices again (on a worker thread); the selection is kept.
    void refreshDevices();
    // Shows a device listing: what refreshDevices() does with its result (the Device menu, and
    // the GPU math entries that fit the listed GPUs). Public so a test can show other machines.
    void showDevices(const netcanvas::DeviceList& list);

    // Default dataset: /usr/share/datasets/fashion-mnist when it exists.
    static QString defaultDatasetPath();

signals:
    void trainRequested();
    // A live change of the run in progress (RunControl.h).
    void changeRequested(const netcanvas::RunChange& change);
    void pauseRequested();
    void resumeRequested();
    void stopRequested();
    void datasetLoaded();
    // The user clicked the dataset summary's link: show the Data tab.
    void dataTabRequested();
    // The user changed a setting or the dataset path (not emitted by setConfig()).
    void settingsEdited();
    // A one-line status for the main window's status bar ("epoch 2/5 · 3,120 samples/s · ETA 0:41").
    void statusMessage(const QString& text);
    // A device listing was shown (after refreshDevices() or showDevices()).
    void devicesListed();

private:
    void buildUi();
    void onModelReset();
    void onLoadFinished(bool ok, const QString& error);
    void updateButtons();
    void updateDatasetInfo();
    void showMessage(const QString& text, const QString& kind); // kind: "error", "warn", "ok", ""
    // The status line from the last batch: running (speed, ETA, loss) or "Paused at …".
    void showProgress();
    void fillDevices(const netcanvas::DeviceList& list);
    void selectDevice(const QString& spec);
    void updatePrecisionEntries(); // enables the GPU math menu and its entries (see above)
    QString expectedDeviceNote() const; // from the last listing, for the run about to start

    GraphModel* m_model;
    QPointer<DataPanel> m_data; // owned by this panel until the window reparents it
    TrainConfig m_base; // the recipe: source of the fields the form does not show
    bool m_trainAfterLoad = false;
    bool m_applying = false; // setConfig() is filling the form
    QVBoxLayout* m_sections = nullptr; // the body's column (addSection)
    bool m_running = false;
    bool m_paused = false;
    int m_epochs = 0;
    std::optional<BatchEvent> m_lastBatch; // of the run going on
    QSet<QString> m_quietNotes; // Automatic-device notes already said

    QLabel* m_datasetInfo;

    QComboBox* m_optimizer;
    ScientificSpinBox* m_learningRate;
    QComboBox* m_schedule;
    QSpinBox* m_batchSize;
    QSpinBox* m_epochsSpin;
    ScientificSpinBox* m_l1;
    ScientificSpinBox* m_l2;
    ScientificSpinBox* m_weightDecay;
    QComboBox* m_loss;
    QDoubleSpinBox* m_clipNorm;
    QSpinBox* m_seed;
    QSpinBox* m_threads;
    QComboBox* m_device;
    QComboBox* m_precision; // GPU math: data "fp32" | "tf32" | "fp16"
    bool m_gpuAvailable = false; // a usable GPU is listed (all run FP16: the plugin needs 7.5)
    bool m_tf32Available = false; // a usable GPU of compute capability >= 8.0 is listed
    std::shared_ptr<const netcanvas::DeviceList> m_devices; // the last listing (null before the first)
    bool m_listingDevices = false;

    // Early stopping and checkpoint selection.
    QSpinBox* m_patience;
    QDoubleSpinBox* m_minDelta;
    QComboBox* m_monitor; // val_loss | val_accuracy | train_loss | train_accuracy
    QComboBox* m_resultWeights; // auto | best | last
    // While training.
    QGroupBox* m_liveBox;
    ScientificSpinBox* m_liveLr;
    QPushButton* m_liveLrSet;
    QSpinBox* m_liveEpochs;
    QPushButton* m_liveEpochsSet;
    QCheckBox* m_liveAugment;

    QPushButton* m_train;
    QPushButton* m_pause;
    QPushButton* m_stop;
    QProgressBar* m_runProgress;
    QLabel* m_status;
    QLabel* m_message;
};

} // namespace netcanvas::widgets
