#pragma once
// View ▸ Presentation Mode: the window for a projector at the back of a room — fonts 1.4× (at
// least 14 pt), black on white with bold dark headers, chart lines three times as thick with
// larger axis and legend text, the side docks (palette, inspector) hidden so the canvas and the
// bottom dock take the whole width, the bottom dock 62% of the height, the window at 1280×720 (the
// common projector size; a smaller screen keeps its size). Turning it off restores the fonts,
// colors, lines, docks and geometry it changed. New charts made while it is on (a new
// experiment) get the thick lines too: applyToCharts() runs once a second while it is on.
#include <QFont>
#include <QList>
#include <QObject>
#include <QRect>
#include <QString>

class QAction;
class QDockWidget;
class QMainWindow;
class QMenu;
class QTimer;

namespace netcanvas::app {

class PresentationMode : public QObject {
    Q_OBJECT
public:
    // `sideDocks` (the palette, the inspector) are hidden while it is on.
    PresentationMode(QMainWindow* window, QList<QDockWidget*> sideDocks, QMenu* viewMenu);
    QAction* action() const { return m_action; }
    bool isOn() const { return m_on; }
    void setOn(bool on);
    // Thickens the lines and enlarges the text of every chart in the window (when on).
    void applyToCharts();

private:
    QMainWindow* m_window;
    QList<QDockWidget*> m_sideDocks;
    QList<bool> m_sideVisible;
    QAction* m_action;
    QTimer* m_timer;
    bool m_on = false;
    QFont m_font;
    QString m_styleSheet;
    QRect m_geometry;
    bool m_wasMaximized = false;
};

} // namespace netcanvas::app
