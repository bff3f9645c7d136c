#include "widgets/labels/LabelGridView.h"

#include "widgets/labels/ThumbnailDelegate.h"

#include <QKeyEvent>
#include <QScrollBar>

#include <algorithm>

namespace netcanvas::widgets {

LabelGridView::LabelGridView(QWidget* parent)
    : QListView(parent)
    , m_delegate(new ThumbnailDelegate(this))
{
    setObjectName(QStringLiteral("labelGrid"));
    // Wrapping rows of equal tiles. ListMode with wrapping lays out uniform items
    // arithmetically (IconMode keeps a spatial tree of every item, rebuilt on each reset).
    setViewMode(QListView::ListMode);
    setFlow(QListView::LeftToRight);
    setWrapping(true);
    setResizeMode(QListView::Adjust);
    setMovement(QListView::Static);
    setUniformItemSizes(true);
    setLayoutMode(QListView::SinglePass);
    setSpacing(0); // the delegate's cells hold the gaps
    setSelectionMode(QAbstractItemView::ExtendedSelection);
    setSelectionRectVisible(true);
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    setDragEnabled(false);
    setFrameShape(QFrame::NoFrame);
    setMouseTracking(true);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    setItemDelegate(m_delegate);
}

void LabelGridView::setThumbnailSide(int side)
{
    if (side == m_delegate->thumbnailSide())
        return;
    const QModelIndex current = currentIndex();
    m_delegate->setThumbnailSide(side);
    spreadCells();
    doItemsLayout(); // forgets the cached uniform tile size
    verticalScrollBar()->setSingleStep(std::max(8, tile().height() / 3));
    if (current.isValid())
        scrollTo(current, QAbstractItemView::PositionAtCenter);
    emit viewportChanged();
}

int LabelGridView::thumbnailSide() const
{
    return m_delegate->thumbnailSide();
}

void LabelGridView::spreadCells()
{
    // As many tiles as fit with kMinGap between them, the rest of the width shared out, so
    // the rows fill the view. The scroll bar's width is always set aside: whether it shows
    // must not change the columns (or the layout would oscillate).
    const int avail
        = std::max(1, width() - 2 * frameWidth() - style()->pixelMetric(QStyle::PM_ScrollBarExtent, nullptr, this) - 1);
    const int minCell = tile().width() + ThumbnailDelegate::kMinGap;
    const int cols = std::max(1, avail / minCell);
    const int cell = std::max(minCell, avail / cols);
    if (cell != m_delegate->cellWidth()) {
        m_delegate->setCellWidth(cell);
        scheduleDelayedItemsLayout();
    }
}

QSize LabelGridView::tile() const
{
    return m_delegate->tileSize(font());
}

int LabelGridView::columns() const
{
    const int n = model() ? model()->rowCount(rootIndex()) : 0;
    if (n == 0)
        return std::max(1, viewport()->width() / m_delegate->cellSize(font()).width());
    const int y0 = visualRect(model()->index(0, 0, rootIndex())).top();
    int c = 1;
    while (c < n && visualRect(model()->index(c, 0, rootIndex())).top() == y0)
        ++c;
    return c;
}

int LabelGridView::lineHeight(int cols) const
{
    const int n = model() ? model()->rowCount(rootIndex()) : 0;
    if (cols < n) // measured: the layout's own step
        return std::max(1,
            visualRect(model()->index(cols, 0, rootIndex())).top()
                - visualRect(model()->index(0, 0, rootIndex())).top());
    return m_delegate->cellSize(font()).height();
}

int LabelGridView::rowsPerPage() const
{
    const int lineH = lineHeight(columns());
    return std::max(1, (viewport()->height() + lineH - 1) / lineH);
}

std::pair<int, int> LabelGridView::visibleRows() const
{
    const int n = model() ? model()->rowCount(rootIndex()) : 0;
    if (n == 0)
        return { 0, -1 };
    const int cols = columns();
    const int lineH = lineHeight(cols);
    const int top0 = visualRect(model()->index(0, 0, rootIndex())).top(); // negative when scrolled
    const int firstLine = std::max(0, -top0 / lineH - 1);
    const int lines = rowsPerPage() + 3;
    const int first = std::min(n - 1, firstLine * cols);
    const int last = static_cast<int>(std::min<qint64>(n - 1, qint64 { firstLine + lines } * cols - 1));
    return { first, last };
}

std::pair<int, int> LabelGridView::nextPageRows() const
{
    const int n = model() ? model()->rowCount(rootIndex()) : 0;
    const auto [first, last] = visibleRows();
    if (last < first || last + 1 >= n)
        return { 0, -1 };
    return { last + 1,
        static_cast<int>(std::min<qint64>(n - 1, qint64 { last } + qint64 { rowsPerPage() } * columns())) };
}

std::vector<int> LabelGridView::selectedRows() const
{
    std::vector<int> rows;
    if (!selectionModel())
        return rows;
    for (const QItemSelectionRange& range : selectionModel()->selection())
        for (int r = range.top(); r <= range.bottom(); ++r)
            rows.push_back(r);
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    return rows;
}

void LabelGridView::selectOnly(int row)
{
    if (!model() || row < 0 || row >= model()->rowCount(rootIndex()))
        return;
    const QModelIndex index = model()->index(row, 0, rootIndex());
    selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect);
    scrollTo(index);
}

void LabelGridView::keyboardSearch(const QString&)
{
    // Letters and digits are labeling keys here, not a search by file name.
}

LabelGridView::Action LabelGridView::actionFor(const QKeyEvent* e, int* classIndex) const
{
    if (e->matches(QKeySequence::Undo))
        return Action::Undo;
    if (e->matches(QKeySequence::Redo) || (e->key() == Qt::Key_Y && e->modifiers() == Qt::ControlModifier))
        return Action::Redo;
    const Qt::KeyboardModifiers mods = e->modifiers() & ~Qt::KeypadModifier;
    if (mods != Qt::NoModifier)
        return Action::None;
    const int key = e->key();
    if (key >= Qt::Key_1 && key <= Qt::Key_9) {
        *classIndex = key - Qt::Key_1;
        return Action::Class;
    }
    if (key == Qt::Key_0) { // the tenth class: the number row's last key, as 1–9 are the first nine
        *classIndex = 9;
        return Action::Class;
    }
    switch (key) {
    case Qt::Key_Backspace:
    case Qt::Key_Delete:
        return Action::Unlabel;
    case Qt::Key_A:
        return Action::Accept;
    case Qt::Key_Space:
        return Action::Preview;
    default:
        return Action::None;
    }
}

bool LabelGridView::event(QEvent* e)
{
    if (e->type() == QEvent::ShortcutOverride) {
        int cls = -1;
        if (actionFor(static_cast<QKeyEvent*>(e), &cls) != Action::None) {
            e->accept(); // the window's shortcuts for these keys wait while the grid has focus
            return true;
        }
    }
    return QListView::event(e);
}

void LabelGridView::keyPressEvent(QKeyEvent* e)
{
    int cls = -1;
    switch (actionFor(e, &cls)) {
    case Action::Class:
        emit classKeyPressed(cls);
        return;
    case Action::Unlabel:
        emit unlabelPressed();
        return;
    case Action::Accept:
        emit acceptPressed();
        return;
    case Action::Preview:
        emit previewTogglePressed();
        return;
    case Action::Undo:
        emit undoPressed();
        return;
    case Action::Redo:
        emit redoPressed();
        return;
    case Action::None:
        break;
    }
    QListView::keyPressEvent(e);
}

void LabelGridView::scrollContentsBy(int dx, int dy)
{
    QListView::scrollContentsBy(dx, dy);
    emit viewportChanged();
}

void LabelGridView::resizeEvent(QResizeEvent* e)
{
    spreadCells();
    QListView::resizeEvent(e);
    emit viewportChanged();
}

void LabelGridView::updateGeometries()
{
    QListView::updateGeometries();
    verticalScrollBar()->setSingleStep(std::max(8, tile().height() / 3));
    emit viewportChanged();
}

} // namespace netcanvas::widgets
