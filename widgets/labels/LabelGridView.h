#pragma once
// LabelGridView: the thumbnail grid of the labeling panel — a QListView laid out as wrapping
// rows of equal tiles (uniform item sizes: only the rows on screen are painted or asked for
// data, so 100,000 images scroll like 100), with the labeling keys.
//
// Keys, while the grid has focus (they win over the window's shortcuts there):
//   1–9, 0       classKeyPressed(0..9)      Backspace, Delete     unlabelPressed()
//   A            acceptPressed()            Space                 previewTogglePressed()
//   Ctrl+Z       undoPressed()              Ctrl+Shift+Z, Ctrl+Y  redoPressed()
// Arrows, Page Up/Down, Home/End move and Ctrl+A selects every shown image (QListView's own).
// Typing letters does not jump to file names (it would fight the keys above).
#include <QListView>

#include <utility>
#include <vector>

namespace netcanvas::widgets {

class ThumbnailDelegate;

class LabelGridView : public QListView {
    Q_OBJECT
public:
    explicit LabelGridView(QWidget* parent = nullptr);

    ThumbnailDelegate* thumbnailDelegate() const { return m_delegate; }
    // The box side of the tiles (64..192 px); keeps the current item in view.
    void setThumbnailSide(int side);
    int thumbnailSide() const;

    // Rows on screen, first to last (a row beyond each end included); {0, -1} when none.
    std::pair<int, int> visibleRows() const;
    // Rows of the page after the visible one (to decode ahead).
    std::pair<int, int> nextPageRows() const;
    // Tiles per line and lines per screen at the current size.
    int columns() const;
    int rowsPerPage() const;

    // Selected rows in ascending order (from the selection ranges: cheap for 100,000).
    std::vector<int> selectedRows() const;
    // Selects `row` alone, makes it current and scrolls to it.
    void selectOnly(int row);

    void keyboardSearch(const QString& search) override;

signals:
    void classKeyPressed(int classIndex);
    void unlabelPressed();
    void acceptPressed();
    void previewTogglePressed();
    void undoPressed();
    void redoPressed();
    // The rows on screen changed (scrolled, resized, relaid out).
    void viewportChanged();

protected:
    bool event(QEvent* e) override;
    void keyPressEvent(QKeyEvent* e) override;
    void scrollContentsBy(int dx, int dy) override;
    void resizeEvent(QResizeEvent* e) override;
    void updateGeometries() override;

private:
    enum class Action { None, Class, Unlabel, Accept, Preview, Undo, Redo };
    Action actionFor(const QKeyEvent* e, int* classIndex) const;
    QSize tile() const;
    void spreadCells();
    int lineHeight(int columns) const; // from one line of tiles to the next

    ThumbnailDelegate* m_delegate;
};

} // namespace netcanvas::widgets
