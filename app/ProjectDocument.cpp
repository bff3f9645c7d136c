#include "app/ProjectDocument.h"

#include "engine/core/Error.h"
#include "engine/graph/ModelJson.h"
#include "widgets/train/RunHistory.h"

#include <QFileInfo>
#include <QUndoStack>

namespace netcanvas::app {

ProjectDocument::ProjectDocument(QObject* parent)
    : QObject(parent), m_model(new widgets::GraphModel(this)), m_undo(new QUndoStack(this)),
      m_runs(new widgets::RunHistory(this))
{
    connect(m_undo, &QUndoStack::cleanChanged, this, [this](bool clean) { emit modifiedChanged(!clean); });
}

bool ProjectDocument::isModified() const
{
    return !m_undo->isClean();
}

QString ProjectDocument::displayName() const
{
    if (!m_path.isEmpty())
        return QFileInfo(m_path).fileName();
    const std::string& name = m_model->graph().name;
    return name.empty() ? tr("Untitled") : QString::fromStdString(name);
}

void ProjectDocument::replace(ModelGraph graph, const QString& path)
{
    m_undo->clear(); // commands point into the old graph
    m_runs->clear(); // runs of another model
    m_model->setGraph(std::move(graph));
    m_path = path;
    m_undo->setClean();
    emit filePathChanged(m_path);
    emit modifiedChanged(false);
}

void ProjectDocument::newEmpty()
{
    ModelGraph g;
    g.name = "untitled";
    GraphNode input;
    input.id = "input";
    input.type = "Input";
    input.ui = {{"x", 0}, {"y", 0}};
    g.addNode(input);
    replace(std::move(g), {});
}

QString ProjectDocument::open(const QString& path)
{
    try {
        replace(loadModelFile(path.toStdString()), path);
        return {};
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
}

QString ProjectDocument::newFromTemplate(const QString& path)
{
    try {
        replace(loadModelFile(path.toStdString()), {});
        return {};
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
}

QString ProjectDocument::saveAs(const QString& path)
{
    try {
        saveModelFile(m_model->graph(), path.toStdString());
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
    m_path = path;
    m_undo->setClean();
    emit filePathChanged(m_path);
    emit modifiedChanged(false);
    return {};
}

} // namespace netcanvas::app
