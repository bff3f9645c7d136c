#pragma once
// ProjectDocument: what the main window edits — the GraphModel and its QUndoStack, the
// dataset reference, the Training panel's settings, the training runs (RunHistory) and the
// file it lives in (docs/project-format.md). The file is a project ("*.ncproj": all of
// the above plus weights beside it) or a bare model JSON ("*.json": the graph only, as the
// CLI reads it); an untitled document (new, or started from a template) has no file yet.
//
// Modified = an undoable graph edit since the last save, or a change the undo stack does
// not hold (settings, dataset, a run added or finished: markModified()).
//
// Ensures: open/save report failures as a message naming the file and field, and leave the
// document unchanged on failure; every write is atomic. writeRecovery() saves a copy for
// crash recovery without touching the document's file, path or modified state.
#include "engine/io/ProjectFile.h"
#include "widgets/canvas/GraphModel.h"

#include <QObject>
#include <QString>

#include <functional>
#include <optional>

class QUndoStack;

namespace netcanvas::widgets {
class RunHistory;
}

namespace netcanvas::app {

class ProjectDocument : public QObject {
    Q_OBJECT
public:
    explicit ProjectDocument(QObject* parent = nullptr);

    widgets::GraphModel* model() const { return m_model; }
    QUndoStack* undoStack() const { return m_undo; }
    widgets::RunHistory* runs() const { return m_runs; }
    const QString& filePath() const { return m_path; }
    bool isProject() const; // the file is a *.ncproj (or there is no file yet)
    bool isModified() const;
    void markModified();
    // "lenet5.ncproj", or the model's name (or "Untitled") when there is no file yet.
    QString displayName() const;

    // Settings kept with the project (the main window syncs them with its panels).
    QString datasetPath() const { return m_datasetPath; }
    void setDatasetPath(const QString& path);
    // The folder open in the Label mode when the project was saved (reopened with it).
    QString labelFolder() const { return m_labelFolder; }
    void setLabelFolder(const QString& folder);
    std::optional<TrainConfig> trainingSettings() const { return m_training; }
    // config.device (like threads) is a setting of this machine, saved as settings.device.
    void setTrainingSettings(const TrainConfig& config, int threads);
    int threads() const { return m_threads; }
    // The weights file saved with the project (empty when none) and the run they came from.
    QString weightsPath() const { return m_weightsPath; }
    int weightsRun() const { return m_weightsRun; }

    // Empty model with one Input node.
    void newEmpty();
    // Opens a project or a model file as this document (Save writes back to it). Returns an
    // error message or empty.
    QString open(const QString& path);
    // Loads a template: the graph of `path`, untitled, so Save asks where to write.
    QString newFromTemplate(const QString& path);
    // Writes writeWeights(weightsPath) first (when given), returning an error or empty.
    using WeightsWriter = std::function<QString(const QString& path)>;
    // Writes the document to `path` — a project when it ends in .ncproj (with weights beside
    // it when `writeWeights` is given; `weightsRun` names their run), else the model JSON —
    // and makes it the document's file. Returns an error message or empty.
    QString saveAs(const QString& path, const WeightsWriter& writeWeights = {}, int weightsRun = 0);
    // Crash recovery: the whole project (without weights) to `path`, marked with the
    // document's file and the time. Returns an error message or empty.
    QString writeRecovery(const QString& path) const;
    // Opens a recovery copy: the document becomes the recovered project, its file the one
    // it was autosaved from (untitled if none), modified.
    QString openRecovery(const QString& path);
    // The current state as project data (for saving and tests).
    ProjectData toProjectData() const;

signals:
    void modifiedChanged(bool modified);
    void filePathChanged(const QString& path);
    // A project was opened or a new document started: panels reload their settings.
    void documentReplaced();

private:
    void replace(ModelGraph graph, const QString& path);
    void setClean();

    widgets::GraphModel* m_model;
    QUndoStack* m_undo;
    widgets::RunHistory* m_runs;
    QString m_path;
    QString m_datasetPath;
    QString m_labelFolder;
    std::optional<TrainConfig> m_training;
    int m_threads = 0;
    QString m_weightsPath;
    int m_weightsRun = 0;
    bool m_dirty = false; // a change the undo stack does not hold
};

} // namespace netcanvas::app
