#pragma once
// CanvasStyle: the canvas' calm palette and node card geometry, shared by the items, the
// palette and the property editor so a category has one color everywhere.
#include <QColor>
#include <QSizeF>
#include <QString>

class QLabel;
class QVBoxLayout;
class QWidget;

#include <cstdint>

namespace netcanvas::widgets::style {

inline constexpr double kNodeWidth = 180;
inline constexpr double kNodeHeight = 56;
inline constexpr double kPortRadius = 5;
inline constexpr double kGrid = 10; // snapping step
inline constexpr double kGridDots = 20; // background dot spacing

// A muted color per LayerRegistry category (stable; unknown categories get a neutral gray).
QColor categoryColor(const QString& category);

inline QColor canvasBackground()
{
    return QColor(0xf4, 0xf5, 0xf7);
}
inline QColor gridDot()
{
    return QColor(0xd5, 0xd9, 0xe0);
}
inline QColor cardFill()
{
    return QColor(0xff, 0xff, 0xff);
}
inline QColor cardBorder()
{
    return QColor(0xcf, 0xd5, 0xdd);
}
inline QColor selection()
{
    return QColor(0x3b, 0x7d, 0xd8);
}
inline QColor error()
{
    return QColor(0xc9, 0x3c, 0x3c);
}
inline QColor text()
{
    return QColor(0x25, 0x2b, 0x36);
}
inline QColor mutedText()
{
    return QColor(0x76, 0x80, 0x8e);
}
inline QColor edge()
{
    return QColor(0x93, 0x9c, 0xa9);
}

// The engine's message for display next to its node: without the leading
// "node 'id' (Type): " (and a repeated "id (Type): "), which the card already says.
QString withoutNodePrefix(const QString& message, const QString& id, const QString& type);
// The same message with the node named once ("node 'id' (Type): reason").
QString tidyNodeMessage(const QString& message, const QString& id, const QString& type);

// "61,706" style grouping; "1.2 M" / "3.4 G" style for large counts (FLOPs, bytes).
QString groupDigits(int64_t v);
QString compactCount(double v, const QString& unit = {});
QString bytes(double v);

// The grey, centred "nothing to show yet" label of the views (objectName "placeholder").
QLabel* placeholderLabel(const QString& text, QWidget* parent);

// A probability as a whole percentage that never claims certainty it does not have:
// "87%", ">99%" below 1, "<1%" above 0; empty for NaN (no prediction).
QString percentText(float p);
// Makes `owner` a vertically scrolling panel (no frame, no horizontal bar; the body is
// resized to the viewport when that is larger) and returns the body's layout (8 px margins
// and spacing): on a short screen the panel scrolls instead of squeezing its contents.
QVBoxLayout* scrollingBody(QWidget* owner);

} // namespace netcanvas::widgets::style
