#pragma once
// LabelChangeCommand: one labeling action (a LabelChange of a LabelStore) on a QUndoStack.
//
// What this represents: `change` was made on `store` — already applied (the store's mutating
// calls apply before they return) or not yet (a make*() change, applied by the first redo()).
// undo() = store->revert(change), redo() = store->apply(change); the command tracks whether
// the store holds the change, so a redo() of an applied change (the stack's push) does nothing.
//
// Errors: when the store refuses (DataError: the labels were changed behind the stack's back;
// IoError: the journal cannot be written), the store is unchanged, the command records it as
// still applied / not applied, and `onError(message, fix)` is called: the owner reports the
// message and calls fix() once the stack has finished moving — it sets the stack's index back
// over this command (a no-op redo()/undo() since the command knows where the store is), so the
// stack keeps saying what the store holds.
#include "engine/labels/LabelChange.h"

#include <QUndoCommand>

#include <functional>

namespace netcanvas {
class LabelStore;
}

class QUndoStack;

namespace netcanvas::widgets {

class LabelChangeCommand : public QUndoCommand {
public:
    using ErrorHandler = std::function<void(const QString& message, std::function<void()> fix)>;

    LabelChangeCommand(netcanvas::LabelStore* store, netcanvas::LabelChange change, bool alreadyApplied,
        QUndoStack* stack, ErrorHandler onError);

    void undo() override;
    void redo() override;

    const netcanvas::LabelChange& change() const { return m_change; }
    bool applied() const { return m_applied; }

private:
    void failed(const QString& message, bool wasUndo);

    netcanvas::LabelStore* m_store;
    netcanvas::LabelChange m_change;
    bool m_applied;
    QUndoStack* m_stack;
    ErrorHandler m_onError;
};

} // namespace netcanvas::widgets
