#pragma once
// LabelStyle: the look shared by the labeling widgets — one color per class (by its position
// in the store's class list, so a class keeps its color in the grid, the class bar and the
// preview), the key that labels with a class, and how a confidence is written.
#include <QColor>
#include <QString>

namespace netcanvas::widgets::labelstyle {

// A distinct, calm color for class `index` (0-based): ten hand-picked hues, then hues spaced
// by the golden angle. index < 0 (unlabeled) gives a neutral gray.
QColor classColor(int index);
// Black or white, whichever reads better on `background`.
QColor textOn(const QColor& background);
// The key that assigns class `index`: "1".."9" for the first nine classes, "" after.
QString classKey(int index);

inline QColor tileBackground()
{
    return QColor(0xec, 0xee, 0xf1);
}
inline QColor selectionFill()
{
    return QColor(0xdc, 0xe8, 0xf8);
}
inline QColor selectionFrame()
{
    return QColor(0x3b, 0x7d, 0xd8);
}
inline QColor hoverFill()
{
    return QColor(0xf1, 0xf4, 0xf8);
}
inline QColor unreadable()
{
    return QColor(0xb8, 0x3b, 0x3b);
}

} // namespace netcanvas::widgets::labelstyle
