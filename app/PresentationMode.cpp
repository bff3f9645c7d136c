#include "app/PresentationMode.h"

#include <QAbstractAxis>
#include <QAction>
#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QDockWidget>
#include <QLegend>
#include <QLineSeries>
#include <QMainWindow>
#include <QMenu>
#include <QScreen>
#include <QTimer>

namespace netcanvas::app {

namespace {
const char* kThick = "netcanvasPresentationThick"; // a series already thickened
const QString kStyle
    = QStringLiteral("QWidget { color: #000000; }"
                     "QMainWindow, QDockWidget, QTabWidget, QTableWidget, QLabel { background: #ffffff; }"
                     "QHeaderView::section { background: #1a1a1a; color: #ffffff; font-weight: bold; padding: 4px; }"
                     "QTabBar::tab:selected { background: #1a1a1a; color: #ffffff; }"
                     "QPushButton { border: 2px solid #000000; padding: 4px 12px; background: #ffffff; }"
                     "QPushButton:disabled { color: #777777; border-color: #999999; }"
                     "QTableWidget { gridline-color: #000000; }");
} // namespace

PresentationMode::PresentationMode(QMainWindow* window, QList<QDockWidget*> sideDocks, QMenu* viewMenu)
    : QObject(window)
    , m_window(window)
    , m_sideDocks(std::move(sideDocks))
{
    m_action = viewMenu->addAction(tr("&Presentation Mode"));
    m_action->setCheckable(true);
    m_action->setShortcut(QKeySequence(Qt::Key_F5));
    m_action->setStatusTip(tr("Large fonts, thick lines and high contrast for a projector (1280×720)"));
    connect(m_action, &QAction::toggled, this, &PresentationMode::setOn);
    // Charts made while it is on (a new run, a new experiment) get the thick lines too.
    m_timer = new QTimer(this);
    m_timer->setInterval(1000);
    connect(m_timer, &QTimer::timeout, this, &PresentationMode::applyToCharts);
}

void PresentationMode::setOn(bool on)
{
    if (on == m_on)
        return;
    m_on = on;
    if (m_action->isChecked() != on)
        m_action->setChecked(on);
    if (on) {
        m_font = QApplication::font();
        m_styleSheet = qApp->styleSheet();
        m_wasMaximized = m_window->isMaximized();
        m_geometry = m_window->geometry();
        m_sideVisible.clear();
        for (QDockWidget* d : m_sideDocks)
            m_sideVisible << d->isVisible();
        QFont big = m_font;
        big.setPointSizeF(std::max(14.0, m_font.pointSizeF() * 1.4));
        QApplication::setFont(big);
        qApp->setStyleSheet(kStyle);
        for (QDockWidget* d : m_sideDocks)
            d->hide();
        const QScreen* screen = m_window->screen();
        const QSize avail = screen ? screen->availableSize() : QSize(1280, 720);
        m_window->showNormal();
        m_window->resize(std::min(1280, avail.width()), std::min(720, avail.height()));
        // The charts and the ranking get most of the height (once the window has its new size).
        QTimer::singleShot(0, m_window, [w = m_window] {
            for (QDockWidget* d : w->findChildren<QDockWidget*>())
                if (w->dockWidgetArea(d) == Qt::BottomDockWidgetArea && d->isVisible())
                    w->resizeDocks({ d }, { w->height() * 62 / 100 }, Qt::Vertical);
        });
        applyToCharts();
        m_timer->start();
    } else {
        m_timer->stop();
        QApplication::setFont(m_font);
        qApp->setStyleSheet(m_styleSheet);
        for (int i = 0; i < m_sideDocks.size() && i < m_sideVisible.size(); ++i)
            m_sideDocks[i]->setVisible(m_sideVisible[i]);
        for (QChartView* view : m_window->findChildren<QChartView*>())
            for (QAbstractSeries* s : view->chart()->series())
                if (auto* line = qobject_cast<QLineSeries*>(s); line && line->property(kThick).toBool()) {
                    QPen pen = line->pen();
                    pen.setWidthF(pen.widthF() / 3.0);
                    line->setPen(pen);
                    line->setProperty(kThick, false);
                }
        if (m_wasMaximized)
            m_window->showMaximized();
        else
            m_window->setGeometry(m_geometry);
    }
}

void PresentationMode::applyToCharts()
{
    if (!m_on)
        return;
    // Chart text 1.3× the usual size: the full presentation size would crowd the axes out.
    QFont font = m_font;
    font.setPointSizeF(m_font.pointSizeF() * 1.3);
    for (QChartView* view : m_window->findChildren<QChartView*>()) {
        QChart* chart = view->chart();
        QFont title = font;
        title.setBold(true);
        chart->setTitleFont(title);
        chart->legend()->setFont(font);
        for (QAbstractAxis* axis : chart->axes()) {
            axis->setLabelsFont(font);
            axis->setTitleFont(font);
            QPen grid = axis->gridLinePen();
            grid.setColor(QColor("#999999"));
            axis->setGridLinePen(grid);
        }
        for (QAbstractSeries* s : chart->series())
            if (auto* line = qobject_cast<QLineSeries*>(s); line && !line->property(kThick).toBool()) {
                QPen pen = line->pen();
                pen.setWidthF(std::max(1.0, pen.widthF()) * 3.0);
                line->setPen(pen);
                line->setProperty(kThick, true);
            }
    }
}

} // namespace netcanvas::app
