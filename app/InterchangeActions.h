#pragma once
// InterchangeActions: File ▸ Export ▸ ONNX… / PyTorch… and File ▸ Import ONNX… (engine/interop,
// docs/onnx.md). Export writes the trained model — the last finished run's weights, else the
// project's saved weights — as an ONNX file or a PyTorch module (with its weights file beside
// it); import turns an ONNX file into a project with its weights (NAME.ncproj and
// NAME.weights.safetensors) and opens it, laid out on the canvas, its weights ready for the
// Inspect views, evaluation and fine-tuning.
// Requires: `window`, `document` and `training` outlive it; `openProject` opens a project file
//   as the document after the unsaved-changes prompt (FileActions).
// Ensures: the engine work runs on a worker thread (QtConcurrent), never on the UI thread; one
//   job at a time; each start ends in exactly one exportFinished or importFinished, with an
//   error text naming the file (and the nodes at fault) or empty; an import that fails writes
//   nothing and leaves the document as it was. The destructor waits for a running job.
#include <QObject>
#include <QString>

#include <functional>
#include <memory>

class QMainWindow;
class QMenu;

namespace netcanvas {
struct ModelWeights;
}

namespace netcanvas::app {

class ProjectDocument;
class TrainingCoordinator;

class InterchangeActions : public QObject {
    Q_OBJECT
public:
    enum class Format { Onnx, PyTorch };

    // Adds "Export" (ONNX…, PyTorch…) and "Import ONNX…" to `fileMenu` where they are called.
    InterchangeActions(QMainWindow* window, ProjectDocument* document, TrainingCoordinator* training,
        std::function<bool(const QString&)> openProject, QObject* parent = nullptr);
    ~InterchangeActions() override;
    void addActions(QMenu* fileMenu);

    // Starts writing the trained model to `path`; false (with exportFinished) when there is
    // nothing trained or a job is running.
    bool startExport(Format format, const QString& path);
    // Starts importing `onnxPath` as the project `projectPath` (then opened).
    bool startImport(const QString& onnxPath, const QString& projectPath);
    bool busy() const { return m_busy; }

signals:
    void exportFinished(const QString& path, const QString& error);
    void importFinished(const QString& projectPath, const QString& error);

private:
    void exportDialog(Format format);
    void importDialog();
    void showStatus(const QString& text, int ms);
    // Runs `job` on a worker; `done(error)` on the UI thread afterwards.
    void runJob(std::function<QString()> job, std::function<void(const QString&)> done);

    QMainWindow* m_window;
    ProjectDocument* m_doc;
    TrainingCoordinator* m_training;
    std::function<bool(const QString&)> m_openProject;
    bool m_busy = false;
};

} // namespace netcanvas::app
