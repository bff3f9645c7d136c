#include "app/WindowLayout.h"

#include <QDockWidget>
#include <QGuiApplication>
#include <QMainWindow>
#include <QScreen>
#include <QSettings>
#include <QTimer>

#include <algorithm>
#include <cmath>

namespace netcanvas::app {

namespace {

const char* const kGeometry = "layout/geometry";
const char* const kState = "layout/state";
constexpr int kStateVersion = 2; // bump when the docks change so an old state is not applied

QString shareKey(WindowLayout::Mode mode)
{
    return QStringLiteral("layout/share/") + WindowLayout::modeName(mode);
}

} // namespace

WindowLayout::WindowLayout(QMainWindow* window, QDockWidget* left, QDockWidget* right, QDockWidget* bottom)
    : QObject(window)
    , m_window(window)
    , m_left(left)
    , m_right(right)
    , m_bottom(bottom)
{
    for (Mode m : { Mode::Design, Mode::Train, Mode::Inspect })
        m_share[static_cast<int>(m)] = defaultShare(m);
}

double WindowLayout::defaultShare(Mode mode)
{
    switch (mode) {
    case Mode::Design:
        return 0.14; // the "no run yet" hint: the canvas keeps the rest
    case Mode::Train:
        return 0.40; // three charts tall enough to read their axes
    case Mode::Inspect:
        return 0.55; // feature-map grids, the confusion matrix, Grad-CAM
    }
    return 0.3;
}

QString WindowLayout::modeName(Mode mode)
{
    switch (mode) {
    case Mode::Design:
        return QStringLiteral("design");
    case Mode::Train:
        return QStringLiteral("train");
    case Mode::Inspect:
        return QStringLiteral("inspect");
    }
    return {};
}

void WindowLayout::setMode(Mode mode)
{
    if (mode == m_mode)
        return;
    capture();
    m_mode = mode;
    applyShare();
    emit modeChanged(mode);
}

void WindowLayout::capture()
{
    if (!m_window->isVisible() || !m_bottom->isVisible() || m_bottom->isFloating()
        || m_window->dockWidgetArea(m_bottom) != Qt::BottomDockWidgetArea || m_window->height() <= 0)
        return;
    m_share[static_cast<int>(m_mode)] = std::clamp(double(m_bottom->height()) / m_window->height(), 0.08, 0.8);
}

void WindowLayout::applyShare()
{
    if (m_bottom->isFloating() || m_window->dockWidgetArea(m_bottom) != Qt::BottomDockWidgetArea)
        return;
    const int h = static_cast<int>(std::lround(share(m_mode) * m_window->height()));
    m_window->resizeDocks({ m_bottom }, { std::max(100, h) }, Qt::Vertical);
}

void WindowLayout::applyDefaultWidths()
{
    const int w = m_window->width();
    // The palette is a list of names; the inspector's forms need about 350 px (more on wide screens).
    const int palette = w >= 1600 ? 230 : 200;
    const int inspector = std::clamp(w / 4, 330, 460);
    m_window->resizeDocks({ m_left, m_right }, { palette, inspector }, Qt::Horizontal);
}

bool WindowLayout::restore()
{
    QSettings settings;
    bool restored = false;
    if (settings.contains(kGeometry))
        restored = m_window->restoreGeometry(settings.value(kGeometry).toByteArray());
    if (!restored) {
        // First start: the whole available screen (the work needs the room).
        if (QScreen* screen = QGuiApplication::primaryScreen()) {
            const QRect avail = screen->availableGeometry();
            m_window->setGeometry(avail);
        } else {
            m_window->resize(1280, 800);
        }
        applyDefaultWidths();
    }
    for (Mode m : { Mode::Design, Mode::Train, Mode::Inspect }) {
        const double s = settings.value(shareKey(m), defaultShare(m)).toDouble();
        m_share[static_cast<int>(m)] = std::isfinite(s) ? std::clamp(s, 0.08, 0.8) : defaultShare(m);
    }
    bool stateRestored = false;
    if (settings.contains(kState))
        stateRestored = m_window->restoreState(settings.value(kState).toByteArray(), kStateVersion);
    if (!stateRestored)
        applyDefaultWidths();
    // Once the window has its size, the mode's share of the height.
    QTimer::singleShot(0, this, &WindowLayout::applyShare);
    return restored || stateRestored;
}

void WindowLayout::save()
{
    capture();
    QSettings settings;
    settings.setValue(kGeometry, m_window->saveGeometry());
    settings.setValue(kState, m_window->saveState(kStateVersion));
    for (Mode m : { Mode::Design, Mode::Train, Mode::Inspect })
        settings.setValue(shareKey(m), share(m));
}

void WindowLayout::reset()
{
    QSettings().remove(QStringLiteral("layout"));
    applyDefaults();
}

void WindowLayout::applyDefaults()
{
    for (Mode m : { Mode::Design, Mode::Train, Mode::Inspect })
        m_share[static_cast<int>(m)] = defaultShare(m);
    const struct {
        QDockWidget* dock;
        Qt::DockWidgetArea area;
    } docks[] = { { m_left, Qt::LeftDockWidgetArea }, { m_right, Qt::RightDockWidgetArea },
        { m_bottom, Qt::BottomDockWidgetArea } };
    for (const auto& d : docks) {
        d.dock->setFloating(false);
        m_window->addDockWidget(d.area, d.dock);
    }
    m_right->show();
    m_bottom->show();
    applyDefaultWidths();
    applyShare();
    QTimer::singleShot(0, this, &WindowLayout::applyShare); // again once a new window is laid out
}

} // namespace netcanvas::app
