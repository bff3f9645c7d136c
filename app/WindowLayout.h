#pragma once
// WindowLayout: how the main window shares its room between the canvas, the charts and the
// Inspect views, per mode, remembered per user.
//   - Modes: Design (no run yet: the canvas gets the height), Train (the charts tab of the
//     bottom dock shows runs) and Inspect (an Inspect view is showing: it needs the most
//     height). Each mode has the bottom dock's share of the window height; switching modes
//     applies that mode's share, and the share the user dragged to is kept for the mode it
//     was dragged in (captured when the mode is left and when the layout is saved).
//   - save() writes the window's geometry, its dock state (QMainWindow::saveState) and the
//     shares to QSettings ("layout/…"); restore() reads them back. reset() forgets them and
//     puts every dock back where it starts, at the default sizes (View ▸ Reset Layout).
// Requires: the docks belong to `window` and outlive this object (the window is its parent).
#include <QList>
#include <QObject>

#include <array>

class QDockWidget;
class QMainWindow;

namespace netcanvas::app {

class WindowLayout : public QObject {
    Q_OBJECT
public:
    enum class Mode { Design = 0, Train = 1, Inspect = 2 };

    // `left`, `right`, `bottom`: the palette, the inspector and the charts/Inspect dock.
    WindowLayout(QMainWindow* window, QDockWidget* left, QDockWidget* right, QDockWidget* bottom);

    Mode mode() const { return m_mode; }
    // Applies the mode's share of the height to the bottom dock (nothing when it is unchanged).
    void setMode(Mode mode);
    // The bottom dock's share of the window height in a mode (the user's, else the default).
    double share(Mode mode) const { return m_share[static_cast<int>(mode)]; }
    static double defaultShare(Mode mode);
    static QString modeName(Mode mode);

    // First start (nothing saved): the window fills the screen's available area. Returns true
    // when a saved layout was applied.
    bool restore();
    void save();
    void reset();
    // The default arrangement and sizes, forgetting nothing saved (unattended runs).
    void applyDefaults();

signals:
    void modeChanged(Mode mode);

private:
    void capture(); // the current mode's share ← the bottom dock's height now
    void applyShare();
    void applyDefaultWidths();

    QMainWindow* m_window;
    QDockWidget* m_left;
    QDockWidget* m_right;
    QDockWidget* m_bottom;
    Mode m_mode = Mode::Design;
    std::array<double, 3> m_share;
};

} // namespace netcanvas::app
