#include "widgets/experiment/ApplyVariantCommand.h"

#include "widgets/canvas/GraphModel.h"

#include <QObject>

namespace netcanvas::widgets {

ApplyVariantCommand::ApplyVariantCommand(
    GraphModel* model, ModelGraph graph, const QString& label, QUndoCommand* parent)
    : QUndoCommand(parent)
    , m_model(model)
    , m_before(model->graph())
    , m_after(std::move(graph))
{
    setText(QObject::tr("Show variant %1").arg(label));
}

void ApplyVariantCommand::redo()
{
    m_model->setGraph(m_after);
}

void ApplyVariantCommand::undo()
{
    m_model->setGraph(m_before);
}

} // namespace netcanvas::widgets
