#include "widgets/labels/LabelChangeCommand.h"

#include "engine/core/Error.h"
#include "engine/labels/LabelStore.h"

#include <QPointer>
#include <QUndoStack>

namespace netcanvas::widgets {

LabelChangeCommand::LabelChangeCommand(
    LabelStore* store, LabelChange change, bool alreadyApplied, QUndoStack* stack, ErrorHandler onError)
    : QUndoCommand(QString::fromStdString(change.text))
    , m_store(store)
    , m_change(std::move(change))
    , m_applied(alreadyApplied)
    , m_stack(stack)
    , m_onError(std::move(onError))
{
}

void LabelChangeCommand::redo()
{
    if (m_applied)
        return;
    try {
        m_store->apply(m_change);
        m_applied = true;
    } catch (const std::exception& e) {
        failed(QString::fromStdString(e.what()), false);
    }
}

void LabelChangeCommand::undo()
{
    if (!m_applied)
        return;
    try {
        m_store->revert(m_change);
        m_applied = false;
    } catch (const std::exception& e) {
        failed(QString::fromStdString(e.what()), true);
    }
}

void LabelChangeCommand::failed(const QString& message, bool wasUndo)
{
    const QString what = wasUndo ? QObject::tr("Cannot undo \"%1\": %2") : QObject::tr("Cannot redo \"%1\": %2");
    // The stack is about to move its index past this command although the store did not
    // change: fix() moves it back (this command's redo()/undo() is then a no-op).
    QPointer<QUndoStack> stack(m_stack);
    const int target = [&] {
        for (int i = 0; stack && i < stack->count(); ++i)
            if (stack->command(i) == this)
                return wasUndo ? i + 1 : i;
        return -1;
    }();
    if (target < 0 && !wasUndo)
        setObsolete(true); // the first redo of push(): the stack drops the command
    auto fix = [stack, target] {
        if (stack && target >= 0 && target <= stack->count())
            stack->setIndex(target);
    };
    if (m_onError)
        m_onError(what.arg(text(), message), fix);
}

} // namespace netcanvas::widgets
