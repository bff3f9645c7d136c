#pragma once
// ProjectDocument: what the main window edits — the GraphModel, its QUndoStack, the file
// path (empty for an untitled model, e.g. one started from a template) and whether there are
// unsaved changes (the undo stack is not at its clean index).
//
// The document also keeps its training runs (RunHistory, in memory): they are cleared when
// another model is opened or a new one started.
//
// Ensures: open/save report failures as a message (the engine's, naming the file and field)
// and leave the document unchanged on failure; save is atomic (saveModelFile).
#include "widgets/canvas/GraphModel.h"

#include <QObject>
#include <QString>

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
    bool isModified() const;
    // "lenet5.json", or the model's name (or "Untitled") when there is no file yet.
    QString displayName() const;

    // Empty model with one Input node.
    void newEmpty();
    // Loads a file as this document (Save writes back to it). Returns an error message or empty.
    QString open(const QString& path);
    // Loads a template: the graph of `path`, untitled, so Save asks where to write.
    QString newFromTemplate(const QString& path);
    // Writes the model to `path` (atomically) and makes it the document's file.
    QString saveAs(const QString& path);

signals:
    void modifiedChanged(bool modified);
    void filePathChanged(const QString& path);

private:
    void replace(ModelGraph graph, const QString& path);

    widgets::GraphModel* m_model;
    QUndoStack* m_undo;
    widgets::RunHistory* m_runs;
    QString m_path;
};

} // namespace netcanvas::app
