#pragma once
// Replaces the whole graph being edited by an experiment's variant (or gives back the
// original), as one undo step: the original is never lost — Edit ▸ Undo restores it.
#include "engine/graph/ModelGraph.h"

#include <QUndoCommand>

namespace netcanvas::widgets {

class GraphModel;

class ApplyVariantCommand : public QUndoCommand {
public:
    ApplyVariantCommand(GraphModel* model, ModelGraph graph, const QString& label, QUndoCommand* parent = nullptr);
    void redo() override;
    void undo() override;

private:
    GraphModel* m_model;
    ModelGraph m_before, m_after;
};

} // namespace netcanvas::widgets
