#include "app/ProjectDocument.h"

#include "engine/core/Error.h"
#include "engine/graph/ModelJson.h"
#include "widgets/train/RunHistory.h"

#include <QDateTime>
#include <QFileInfo>
#include <QUndoStack>

namespace netcanvas::app {

ProjectDocument::ProjectDocument(QObject* parent)
    : QObject(parent)
    , m_model(new widgets::GraphModel(this))
    , m_undo(new QUndoStack(this))
    , m_runs(new widgets::RunHistory(this))
{
    connect(m_undo, &QUndoStack::cleanChanged, this, [this] { emit modifiedChanged(isModified()); });
    // Runs are part of the project: a new or finished run is an unsaved change.
    connect(m_runs, &widgets::RunHistory::runAdded, this, &ProjectDocument::markModified);
    connect(m_runs, &widgets::RunHistory::runFinished, this, &ProjectDocument::markModified);
    connect(m_runs, &widgets::RunHistory::runRenamed, this, &ProjectDocument::markModified);
    connect(m_runs, &widgets::RunHistory::runRemoved, this, &ProjectDocument::markModified);
}

bool ProjectDocument::isProject() const
{
    return m_path.isEmpty() || isProjectPath(m_path.toStdString());
}

bool ProjectDocument::isModified() const
{
    return m_dirty || !m_undo->isClean();
}

void ProjectDocument::markModified()
{
    if (m_dirty)
        return;
    m_dirty = true;
    emit modifiedChanged(true);
}

void ProjectDocument::setClean()
{
    m_dirty = false;
    m_undo->setClean();
    emit modifiedChanged(false);
}

QString ProjectDocument::displayName() const
{
    if (!m_path.isEmpty())
        return QFileInfo(m_path).fileName();
    const std::string& name = m_model->graph().name;
    return name.empty() ? tr("Untitled") : QString::fromStdString(name);
}

void ProjectDocument::setDatasetPath(const QString& path)
{
    if (path == m_datasetPath)
        return;
    m_datasetPath = path;
    markModified();
}

void ProjectDocument::setLabelFolder(const QString& folder)
{
    if (folder == m_labelFolder)
        return;
    m_labelFolder = folder;
    markModified();
}

void ProjectDocument::setTrainingSettings(const TrainConfig& config, int threads)
{
    const bool same = m_training && trainConfigToJson(*m_training) == trainConfigToJson(config)
        && m_training->device == config.device && m_training->precision == config.precision && threads == m_threads;
    m_training = config;
    m_threads = threads;
    if (!same)
        markModified();
}

void ProjectDocument::replace(ModelGraph graph, const QString& path)
{
    m_undo->clear(); // commands point into the old graph
    m_runs->clear(); // runs of another model
    m_model->setGraph(std::move(graph));
    m_path = path;
    m_training.reset();
    m_threads = 0;
    m_weightsPath.clear();
    m_weightsRun = 0;
    setClean();
    emit filePathChanged(m_path);
}

void ProjectDocument::newEmpty()
{
    ModelGraph g;
    g.name = "untitled";
    GraphNode input;
    input.id = "input";
    input.type = "Input";
    input.ui = { { "x", 0 }, { "y", 0 } };
    g.addNode(input);
    replace(std::move(g), {});
    emit documentReplaced();
}

QString ProjectDocument::open(const QString& path)
{
    try {
        if (isProjectPath(path.toStdString())) {
            ProjectData d = loadProjectFile(path.toStdString());
            replace(std::move(d.graph), path);
            m_datasetPath = QString::fromStdString(d.datasetPath);
            m_labelFolder = QString::fromStdString(d.labelFolder);
            m_training = d.training;
            if (m_training) {
                m_training->device = d.device;
                m_training->precision = d.precision;
            }
            m_threads = d.threads;
            m_weightsPath = QString::fromStdString(d.weightsPath);
            m_weightsRun = d.weightsRun;
            m_runs->restore(std::move(d.runs));
            setClean(); // restoring runs marked the document modified
        } else {
            replace(loadModelFile(path.toStdString()), path);
        }
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
    emit documentReplaced();
    return {};
}

QString ProjectDocument::newFromTemplate(const QString& path)
{
    try {
        replace(loadModelFile(path.toStdString()), {});
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
    emit documentReplaced();
    return {};
}

ProjectData ProjectDocument::toProjectData() const
{
    ProjectData d;
    d.graph = m_model->graph();
    d.datasetPath = m_datasetPath.toStdString();
    d.labelFolder = m_labelFolder.toStdString();
    d.training = m_training;
    d.threads = m_threads;
    d.device = m_training ? m_training->device : "auto";
    d.precision = m_training ? m_training->precision : Precision::Fp32;
    for (int id : m_runs->ids())
        d.runs.push_back(*m_runs->run(id));
    d.weightsPath = m_weightsPath.toStdString();
    d.weightsRun = m_weightsRun;
    return d;
}

QString ProjectDocument::saveAs(const QString& path, const WeightsWriter& writeWeights, int weightsRun)
{
    const std::string p = path.toStdString();
    try {
        if (isProjectPath(p)) {
            ProjectData d = toProjectData();
            if (writeWeights) {
                const QString wp = QString::fromStdString(weightsPathFor(p));
                const QString err = writeWeights(wp);
                if (!err.isEmpty())
                    return err;
                d.weightsPath = wp.toStdString();
                d.weightsRun = weightsRun;
            } else if (!m_weightsPath.isEmpty() && path != m_path) {
                // Saved elsewhere: the old weights file stays where it is and is still referenced.
                d.weightsPath = m_weightsPath.toStdString();
            }
            saveProjectFile(p, d);
            m_weightsPath = QString::fromStdString(d.weightsPath);
            m_weightsRun = d.weightsRun;
        } else {
            ModelGraph g = m_model->graph();
            if (m_training)
                g.training = trainConfigToJson(*m_training); // the model file carries the recipe in use
            saveModelFile(g, p);
        }
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
    m_path = path;
    setClean();
    emit filePathChanged(m_path);
    return {};
}

QString ProjectDocument::writeRecovery(const QString& path) const
{
    try {
        ProjectData d = toProjectData();
        d.recoveryOf = m_path.toStdString();
        d.recoverySavedAt = QDateTime::currentDateTime().toString(Qt::ISODate).toStdString();
        saveProjectFile(path.toStdString(), d);
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

QString ProjectDocument::openRecovery(const QString& path)
{
    ProjectData d;
    try {
        d = loadProjectFile(path.toStdString());
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
    replace(std::move(d.graph), QString::fromStdString(d.recoveryOf));
    m_datasetPath = QString::fromStdString(d.datasetPath);
    m_labelFolder = QString::fromStdString(d.labelFolder);
    m_training = d.training;
    if (m_training) {
        m_training->device = d.device;
        m_training->precision = d.precision;
    }
    m_threads = d.threads;
    m_weightsPath = QString::fromStdString(d.weightsPath);
    m_weightsRun = d.weightsRun;
    m_runs->restore(std::move(d.runs));
    m_dirty = false;
    markModified();
    emit documentReplaced();
    return {};
}

} // namespace netcanvas::app
