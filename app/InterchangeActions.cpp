#include "app/InterchangeActions.h"

#include "app/ProjectDocument.h"
#include "app/TrainingCoordinator.h"
#include "engine/interop/Interchange.h"
#include "engine/interop/OnnxExport.h"
#include "engine/interop/OnnxImport.h"
#include "engine/interop/PyTorchExport.h"
#include "engine/io/ProjectFile.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QMainWindow>
#include <QMenu>
#include <QMessageBox>
#include <QStatusBar>
#include <QtConcurrent/QtConcurrentRun>

namespace netcanvas::app {

InterchangeActions::InterchangeActions(QMainWindow* window, ProjectDocument* document, TrainingCoordinator* training,
    std::function<bool(const QString&)> openProject, QObject* parent)
    : QObject(parent)
    , m_window(window)
    , m_doc(document)
    , m_training(training)
    , m_openProject(std::move(openProject))
{
}

InterchangeActions::~InterchangeActions()
{
    for (auto* w : findChildren<QFutureWatcherBase*>())
        w->waitForFinished();
}

void InterchangeActions::addActions(QMenu* file)
{
    QMenu* exportMenu = file->addMenu(tr("E&xport Trained Model"));
    exportMenu->setObjectName(QStringLiteral("exportTrainedMenu"));
    exportMenu->addAction(tr("&ONNX…"), this, [this] { exportDialog(Format::Onnx); })
        ->setObjectName(QStringLiteral("exportOnnxAction"));
    exportMenu->addAction(tr("&PyTorch…"), this, [this] { exportDialog(Format::PyTorch); })
        ->setObjectName(QStringLiteral("exportPyTorchAction"));
    file->addAction(tr("&Import ONNX…"), this, &InterchangeActions::importDialog)
        ->setObjectName(QStringLiteral("importOnnxAction"));
}

void InterchangeActions::runJob(std::function<QString()> job, std::function<void(const QString&)> done)
{
    m_busy = true;
    auto* watcher = new QFutureWatcher<QString>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, done] {
        m_busy = false;
        const QString error = watcher->result();
        watcher->deleteLater();
        done(error);
    });
    watcher->setFuture(QtConcurrent::run([job]() -> QString {
        try {
            return job();
        } catch (const std::exception& e) {
            return QString::fromStdString(e.what());
        }
    }));
}

bool InterchangeActions::startExport(Format format, const QString& path)
{
    if (m_busy) {
        emit exportFinished(path, tr("Another export or import is running."));
        return false;
    }
    // The model: the last finished run's weights, else the project's saved weights file.
    std::shared_ptr<const ModelWeights> weights = m_training->lastRunWeights();
    const QString weightsFile = m_doc->weightsPath();
    if (!weights && (weightsFile.isEmpty() || !QFileInfo::exists(weightsFile))) {
        emit exportFinished(path,
            tr("There are no trained weights to export: train the model first (or open a "
               "project with saved weights)."));
        return false;
    }
    const std::string out = path.toStdString(), file = weightsFile.toStdString();
    runJob(
        [weights, file, out, format]() -> QString {
            std::shared_ptr<const ModelWeights> model = weights ? weights : loadModelWeights({ {}, file });
            if (format == Format::Onnx) {
                exportOnnx(*model, out);
                return {};
            }
            // The module loads its weights from a file: write them beside it.
            exportPyTorch(*model, out);
            saveWeightsFile(*model, weightsPathBeside(out));
            return {};
        },
        [this, path](const QString& error) { emit exportFinished(path, error); });
    return true;
}

bool InterchangeActions::startImport(const QString& onnxPath, const QString& projectPath)
{
    if (m_busy) {
        emit importFinished(projectPath, tr("Another export or import is running."));
        return false;
    }
    const std::string in = onnxPath.toStdString(), out = projectPath.toStdString();
    runJob(
        [in, out]() -> QString {
            const std::shared_ptr<ModelWeights> model = importOnnx(in); // throws before anything is written
            saveAsProject(*model, out);
            return {};
        },
        [this, projectPath](const QString& error) {
            if (error.isEmpty() && !m_openProject(projectPath)) {
                emit importFinished(
                    projectPath, tr("The imported model was saved as %1 but not opened.").arg(projectPath));
                return;
            }
            emit importFinished(projectPath, error);
        });
    return true;
}

void InterchangeActions::exportDialog(Format format)
{
    const bool onnx = format == Format::Onnx;
    const QString base = m_doc->filePath().isEmpty() ? QDir::homePath() : QFileInfo(m_doc->filePath()).absolutePath();
    const QString name = QString::fromStdString(
        m_doc->model()->graph().name.empty() ? std::string("model") : m_doc->model()->graph().name);
    QString path = QFileDialog::getSaveFileName(m_window, onnx ? tr("Export ONNX") : tr("Export PyTorch"),
        QDir(base).filePath(name + (onnx ? ".onnx" : ".py")), onnx ? tr("ONNX (*.onnx)") : tr("Python (*.py)"));
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += onnx ? ".onnx" : ".py";
    auto* connection = new QMetaObject::Connection;
    *connection = connect(this, &InterchangeActions::exportFinished, this,
        [this, connection, onnx](const QString& written, const QString& error) {
            disconnect(*connection);
            delete connection;
            if (!error.isEmpty()) {
                QMessageBox::warning(m_window, tr("Export failed"), error);
                return;
            }
            showStatus(onnx ? tr("Exported %1 (ONNX opset 13)").arg(QDir::toNativeSeparators(written))
                            : tr("Exported %1 and its weights %2")
                                  .arg(QDir::toNativeSeparators(written),
                                      QString::fromStdString(weightsPathBeside(written.toStdString()))),
                8000);
        });
    showStatus(tr("Exporting…"), 0);
    startExport(format, path);
}

void InterchangeActions::importDialog()
{
    const QString onnx = QFileDialog::getOpenFileName(
        m_window, tr("Import ONNX"), QDir::homePath(), tr("ONNX models (*.onnx);;All files (*)"));
    if (onnx.isEmpty())
        return;
    const QFileInfo fi(onnx);
    QString project = QFileDialog::getSaveFileName(m_window, tr("Save the Imported Model as a Project"),
        fi.absoluteDir().filePath(fi.completeBaseName() + ".ncproj"), tr("NetCanvas projects (*.ncproj)"));
    if (project.isEmpty())
        return;
    if (!isProjectPath(project.toStdString()))
        project += ".ncproj";
    auto* connection = new QMetaObject::Connection;
    *connection = connect(this, &InterchangeActions::importFinished, this,
        [this, connection, onnx](const QString& written, const QString& error) {
            disconnect(*connection);
            delete connection;
            if (!error.isEmpty()) {
                showStatus({}, 0);
                QMessageBox::warning(m_window, tr("Import failed"), error);
                return;
            }
            showStatus(
                tr("Imported %1 as %2").arg(QFileInfo(onnx).fileName(), QDir::toNativeSeparators(written)), 8000);
        });
    showStatus(tr("Importing %1…").arg(fi.fileName()), 0);
    startImport(onnx, project);
}

void InterchangeActions::showStatus(const QString& text, int ms)
{
    m_window->statusBar()->showMessage(text, ms);
}

} // namespace netcanvas::app
