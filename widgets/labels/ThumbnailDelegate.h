#pragma once
// ThumbnailDelegate: paints one tile of the labeling grid from LabelBrowserModel's roles.
//   - the thumbnail, fitted into a side×side box (tiny images enlarged by a whole factor with
//     nearest neighbour so their pixels stay sharp), on a light letterbox;
//   - labeled: a badge in the class color at the top left, "1 cat" (the key that assigns the
//     class, then its name, elided);
//   - unlabeled with a prediction: a strip at the bottom of the box, the predicted class and
//     its confidence ("dog 87%") over a bar as long as the confidence, in the class color;
//   - unreadable: a crossed frame and "unreadable" instead of the picture;
//   - the file name below (elided at the left: the end of a name tells images apart); the selection as a blue frame and
//   tint.
// All tiles have the same size (the view uses uniform item sizes).
#include <QStyledItemDelegate>

namespace netcanvas::widgets {

class ThumbnailDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    static constexpr int kMinSide = 64;
    static constexpr int kMaxSide = 192;
    static constexpr int kPadding = 4; // around the box, inside the tile
    static constexpr int kMinGap = 6; // between tiles (more when the view spreads them)

    explicit ThumbnailDelegate(QObject* parent = nullptr);

    // The thumbnail box side in pixels (clamped to kMinSide..kMaxSide).
    void setThumbnailSide(int side);
    int thumbnailSide() const { return m_side; }
    // The tile's size for `font` (box + padding + one caption line).
    QSize tileSize(const QFont& font) const;
    // The width of the cell each tile is centred in (the view spreads the tiles over its
    // width); at least the tile's width plus kMinGap. 0 = no spreading.
    void setCellWidth(int width) { m_cellWidth = width; }
    int cellWidth() const { return m_cellWidth; }
    // The item size: the cell, kMinGap taller than the tile.
    QSize cellSize(const QFont& font) const;

    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;

private:
    int m_side = 112;
    int m_cellWidth = 0;
};

} // namespace netcanvas::widgets
