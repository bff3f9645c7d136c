#pragma once
// DataPanel: the Data tab — which dataset the model trains on and how it is split and
// augmented. A path (typed, Browse…, or a folder dropped on the window) is opened on a
// worker thread with a progress bar and Cancel, at the model's input geometry; what it
// holds is then shown by a DatasetView (counts per class, thumbnails, skipped files).
// Split (validation and test fractions) and augmentation (flip, shift, rotation) are
// TrainConfig fields: applyTo()/setFrom() move them in and out of a config.
//
// Requires: `model` outlives the panel.
// Ensures: every loadDataset() that starts is followed by exactly one loadFinished();
// the UI thread never decodes images; destroying the panel cancels a load in progress.
#include "engine/core/Shape.h"
#include "engine/data/Dataset.h"
#include "engine/train/TrainConfig.h"

#include <QWidget>

#include <memory>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTimer;
template <typename T> class QFutureWatcher;

namespace netcanvas::widgets {

class DatasetView;
class GraphModel;

class DataPanel : public QWidget {
    Q_OBJECT
public:
    explicit DataPanel(GraphModel* model, QWidget* parent = nullptr);
    ~DataPanel() override;

    QString datasetPath() const;
    void setDatasetPath(const QString& path);
    // The loaded dataset (null before loading or after a failed load).
    std::shared_ptr<const Dataset> dataset() const { return m_dataset; }
    DatasetView* view() const { return m_view; }

    // Starts opening datasetPath() at the model's input geometry on a worker thread.
    // Returns false (and reports why) when there is no path or a load is running.
    bool loadDataset();
    bool isLoading() const;
    void cancelLoading();
    // Blocks the controls that must not change while a run trains on the data.
    void setLocked(bool locked);

    // The model's input as C×H×W (from the Input node when the graph does not analyze).
    Shape modelInputShape() const;
    // The dataset is loaded, from datasetPath(), at the model's input geometry.
    bool datasetIsCurrent() const;

    // What the data is for: "" (classification as the format gives it), "regression",
    // "series" or "text", with their settings (target column, value columns, window, horizon,
    // tokens, length, vocabulary; 0 = what the model fixes). setTask() fills the controls.
    QString task() const;
    void setTask(const QString& task, const QString& target = {}, bool differences = false);
    // The options the next load uses (task fields; fitSequenceOptions fills the rest from the model).
    DatasetOptions taskOptions() const;

    // Split and augmentation settings into / from a config (other fields untouched).
    void applyTo(TrainConfig& config) const;
    void setFrom(const TrainConfig& config);

signals:
    void loadingChanged(bool loading);
    // ok: dataset() is the new dataset. Otherwise `error` says why ("" when cancelled).
    void loadFinished(bool ok, const QString& error);
    // The user changed the path, the split or the augmentation (not setFrom/setDatasetPath).
    void settingsEdited();

private:
    struct LoadState;
    struct LoadResult {
        std::shared_ptr<Dataset> data;
        QString error;
    };
    void buildUi();
    void browse(bool folder);
    void onLoadFinished();
    void updateState();
    void showMessage(const QString& text, bool error);
    QWidget* buildTaskBox(QWidget* parent);
    void updateTaskRows();
    // What a load was made with: a dataset loaded with other task settings is not current.
    QString taskKey() const;

    GraphModel* m_model;
    std::shared_ptr<const Dataset> m_dataset;
    std::shared_ptr<LoadState> m_load;
    QFutureWatcher<LoadResult>* m_watcher = nullptr;
    QTimer* m_progressTimer;
    bool m_locked = false;
    bool m_applying = false;

    QLineEdit* m_path;
    QPushButton* m_browse;
    QPushButton* m_loadButton;
    QProgressBar* m_progress;
    QPushButton* m_cancel;
    QLabel* m_message;
    QDoubleSpinBox* m_validation;
    QDoubleSpinBox* m_test;
    QLabel* m_testNote;
    QCheckBox* m_flip;
    QSpinBox* m_shift;
    QDoubleSpinBox* m_rotate;
    DatasetView* m_view;
    QComboBox* m_task;
    QLineEdit* m_target;
    QLineEdit* m_columns;
    QSpinBox* m_window;
    QSpinBox* m_horizon;
    QCheckBox* m_differences;
    QComboBox* m_tokens;
    QSpinBox* m_length;
    QSpinBox* m_vocabulary;
    QList<QWidget*> m_seriesRows, m_textRows, m_targetRows; // label and field of each row
    QString m_loadedKey; // taskKey() of the loaded dataset
    QString m_pendingKey; // taskKey() of the load running
};

} // namespace netcanvas::widgets
