#include "app/MainWindow.h"

#include "app/ExperimentCoordinator.h"
#include "app/FileActions.h"
#include "app/InspectDock.h"
#include "app/LabelingCoordinator.h"
#include "app/PresentationMode.h"
#include "app/ProjectDocument.h"
#include "app/RunControlCoordinator.h"
#include "app/ServeCoordinator.h"
#include "app/TrainingCoordinator.h"
#include "app/WindowLayout.h"
#include "widgets/canvas/GraphScene.h"
#include "widgets/canvas/GraphView.h"
#include "widgets/canvas/LayerPalette.h"
#include "widgets/canvas/PropertyEditor.h"
#include "widgets/canvas/SummaryBar.h"
#include "widgets/labels/LabelingPanel.h"
#include "widgets/train/RunHistory.h"

#include <QAction>
#include <QCloseEvent>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileInfo>
#include <QFrame>
#include <QGuiApplication>
#include <QKeySequence>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QScreen>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QTimer>
#include <QToolBar>
#include <QUndoGroup>
#include <QUndoStack>
#include <QVBoxLayout>

namespace netcanvas::app {

using widgets::GraphScene;
using widgets::GraphView;

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
    , m_doc(new ProjectDocument(this))
{
    m_scene = new GraphScene(m_doc->model(), m_doc->undoStack(), this);
    m_view = new GraphView(m_scene, this);
    setCentralWidget(buildDesignPage());
    buildDocks();

    // Undo follows the mode: the canvas's stack in Design, the labels' in Label.
    m_undoGroup = new QUndoGroup(this);
    m_undoGroup->addStack(m_doc->undoStack());
    m_undoGroup->setActiveStack(m_doc->undoStack());

    // The menus in their order; each area fills its own.
    QMenu* fileMenu = menuBar()->addMenu(tr("&File"));
    createEditMenu();
    createViewMenu();
    QMenu* trainMenu = menuBar()->addMenu(tr("&Train"));
    QMenu* experimentMenu = menuBar()->addMenu(tr("E&xperiment"));
    QMenu* labelMenu = menuBar()->addMenu(tr("&Label"));
    QMenu* deployMenu = menuBar()->addMenu(tr("&Deploy"));

    m_training = new TrainingCoordinator(this, m_doc, m_sideTabs, trainMenu);
    addDockWidget(Qt::BottomDockWidgetArea, m_training->dock());
    m_runControl = new RunControlCoordinator(this, m_training, m_doc, trainMenu);
    m_serve = new ServeCoordinator(this, m_training, deployMenu);
    // The inspector (Data, Training) keeps the full height; the charts sit under the canvas.
    setCorner(Qt::BottomRightCorner, Qt::RightDockWidgetArea);
    m_layout = new WindowLayout(this, m_paletteDock, m_inspectorDock, m_training->dock());
    trackLayoutMode();
    createToolBar();
    connect(m_scene, &GraphScene::currentNodeChanged, this, [this](const QString& id) {
        if (!id.isEmpty())
            m_training->inspectDock()->setLayer(id); // the Feature Maps tab follows the canvas selection
    });

    createModeTabs(labelMenu);
    m_files = new FileActions(this, m_doc, m_scene, m_view, m_training, fileMenu);
    connect(m_files, &FileActions::loaded, this, &MainWindow::updateTitle);
    m_experiments = new ExperimentCoordinator(
        this, m_doc, m_files, m_view, qobject_cast<QTabWidget*>(m_training->dock()->widget()), experimentMenu);
    connect(m_doc, &ProjectDocument::modifiedChanged, this, &MainWindow::updateTitle);
    connect(m_doc, &ProjectDocument::filePathChanged, this, &MainWindow::updateTitle);

    setAcceptDrops(true);
    statusBar()->showMessage(
        tr("Drag layers from the palette; drag from a node's output port onto another node to connect them."));
    updateTitle();
}

QWidget* MainWindow::buildDesignPage()
{
    // The canvas over the summary bar.
    auto* central = new QWidget(this);
    auto* v = new QVBoxLayout(central);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(0);
    v->addWidget(m_view, 1);
    auto* line = new QFrame(central);
    line->setFrameShape(QFrame::HLine);
    line->setStyleSheet(QStringLiteral("color: #dde1e6;"));
    v->addWidget(line);
    m_summary = new widgets::SummaryBar(m_doc->model(), central);
    v->addWidget(m_summary);
    return central;
}

void MainWindow::buildDocks()
{
    // Left: palette.
    m_palette = new widgets::LayerPalette(this);
    m_paletteDock = new QDockWidget(tr("Layers"), this);
    m_paletteDock->setObjectName(QStringLiteral("layersDock"));
    m_paletteDock->setWidget(m_palette);
    m_paletteDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    addDockWidget(Qt::LeftDockWidgetArea, m_paletteDock);
    connect(m_palette, &widgets::LayerPalette::addRequested, this, &MainWindow::addLayerAtCenter);

    // Right: properties, in tabs so more panels (training, data) can join.
    m_properties = new widgets::PropertyEditor(m_doc->model(), m_doc->undoStack(), this);
    m_sideTabs = new QTabWidget(this);
    m_sideTabs->setDocumentMode(true);
    m_sideTabs->addTab(m_properties, tr("Properties"));
    m_inspectorDock = new QDockWidget(tr("Inspector"), this);
    m_inspectorDock->setObjectName(QStringLiteral("inspectorDock"));
    m_inspectorDock->setWidget(m_sideTabs);
    m_inspectorDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    addDockWidget(Qt::RightDockWidgetArea, m_inspectorDock);
    resizeDocks({ m_paletteDock, m_inspectorDock }, { 200, 300 }, Qt::Horizontal);
    connect(m_scene, &GraphScene::currentNodeChanged, m_properties, &widgets::PropertyEditor::setNode);
    connect(m_scene, &GraphScene::message, this, [this](const QString& text) { statusBar()->showMessage(text, 8000); });
}

void MainWindow::createEditMenu()
{
    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    QAction* undoAct = m_undoGroup->createUndoAction(this, tr("&Undo"));
    undoAct->setShortcut(QKeySequence::Undo);
    QAction* redoAct = m_undoGroup->createRedoAction(this, tr("&Redo"));
    redoAct->setShortcut(QKeySequence::Redo);
    edit->addAction(undoAct);
    edit->addAction(redoAct);
    edit->addSeparator();
    auto canvasAction = [&](QMenu* menu, const QString& text, QKeySequence key, auto slot) {
        QAction* a = menu->addAction(text, m_scene, slot);
        a->setShortcut(key);
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        m_view->addAction(a); // active while the canvas has focus, not in text fields
        return a;
    };
    canvasAction(edit, tr("Cu&t"), QKeySequence::Cut, &GraphScene::cutSelection);
    canvasAction(edit, tr("&Copy"), QKeySequence::Copy, &GraphScene::copySelection);
    canvasAction(edit, tr("&Paste"), QKeySequence::Paste, &GraphScene::paste);
    canvasAction(edit, tr("&Delete"), QKeySequence::Delete, &GraphScene::deleteSelection);
    edit->addSeparator();
    canvasAction(edit, tr("Select &All"), QKeySequence::SelectAll, &GraphScene::selectAllNodes);
}

void MainWindow::createViewMenu()
{
    QMenu* view = menuBar()->addMenu(tr("&View"));
    QAction* zin = view->addAction(tr("Zoom &In"), m_view, &GraphView::zoomIn);
    zin->setShortcuts(
        { QKeySequence(Qt::CTRL | Qt::Key_Equal), QKeySequence(Qt::CTRL | Qt::Key_Plus), QKeySequence::ZoomIn });
    QAction* zout = view->addAction(tr("Zoom &Out"), m_view, &GraphView::zoomOut);
    zout->setShortcuts({ QKeySequence(Qt::CTRL | Qt::Key_Minus), QKeySequence::ZoomOut });
    QAction* fit = view->addAction(tr("&Fit to Window"), m_view, &GraphView::fitToContents);
    fit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
    view->addSeparator();
    view->addAction(tr("Auto-Layout &Top to Bottom"), this,
            [this] {
                m_scene->autoLayout(Qt::Vertical);
                m_view->frameContents();
            })
        ->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    view->addAction(tr("Auto-Layout &Left to Right"), this,
            [this] {
                m_scene->autoLayout(Qt::Horizontal);
                m_view->frameContents();
            })
        ->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_L));
    view->addSeparator();
    QAction* snap = view->addAction(tr("&Snap to Grid"));
    snap->setCheckable(true);
    snap->setChecked(m_scene->snapToGrid());
    connect(snap, &QAction::toggled, m_scene, &GraphScene::setSnapToGrid);
    view->addSeparator();
    QAction* reset = view->addAction(tr("&Reset Layout"), this, [this] {
        m_layout->reset();
        m_paletteDock->setVisible(!labelMode());
        if (m_toolBar)
            m_toolBar->show();
    });
    reset->setStatusTip(tr("Put the panels back where they start, at their default sizes"));
    view->addSeparator();
    m_presentation = new PresentationMode(this, { m_paletteDock, m_inspectorDock }, view);
}

void MainWindow::createToolBar()
{
    // The one visible Train / Pause / Stop (the Train menu's actions), where a newcomer looks.
    m_toolBar = addToolBar(tr("Training"));
    m_toolBar->setObjectName(QStringLiteral("trainingToolBar"));
    m_toolBar->setMovable(false);
    m_toolBar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_toolBar->setAccessibleName(tr("Training toolbar"));
    const struct {
        QAction* action;
        QStyle::StandardPixmap icon;
    } actions[] = { { m_training->trainAction(), QStyle::SP_MediaPlay },
        { m_training->pauseAction(), QStyle::SP_MediaPause }, { m_training->stopAction(), QStyle::SP_MediaStop } };
    for (const auto& a : actions) {
        a.action->setIcon(style()->standardIcon(a.icon));
        m_toolBar->addAction(a.action);
    }
}

void MainWindow::trackLayoutMode()
{
    // Design until there is a run to chart; Train while the charts tab shows runs; Inspect while
    // an Inspect view is open.
    auto update = [this] {
        InspectDock* dock = m_training->inspectDock();
        if (dock->currentIndex() > 0)
            m_layout->setMode(WindowLayout::Mode::Inspect);
        else if (m_doc->runs()->count() > 0)
            m_layout->setMode(WindowLayout::Mode::Train);
        else
            m_layout->setMode(WindowLayout::Mode::Design);
    };
    connect(m_training->inspectDock(), &QTabWidget::currentChanged, this, update);
    connect(m_doc->runs(), &widgets::RunHistory::runAdded, this, update);
    connect(m_doc->runs(), &widgets::RunHistory::cleared, this, update);
    connect(m_doc->runs(), &widgets::RunHistory::runRemoved, this, update);
}

void MainWindow::restoreLayout(bool persistent)
{
    m_persistentLayout = persistent;
    if (persistent) {
        m_layout->restore();
    } else {
        // The defaults over the whole screen, for reproducible screenshots; nothing is saved.
        if (QScreen* screen = QGuiApplication::primaryScreen())
            setGeometry(screen->availableGeometry());
        m_layout->applyDefaults();
    }
}

void MainWindow::createModeTabs(QMenu* labelMenu)
{
    QAction* designMode = labelMenu->addAction(tr("&Design Mode"), this, [this] { setLabelMode(false); });
    designMode->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_1));
    QAction* labelModeAct = labelMenu->addAction(tr("&Label Mode"), this, [this] { setLabelMode(true); });
    labelModeAct->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_2));
    labelMenu->addSeparator();
    m_labeling = new LabelingCoordinator(this, m_doc, m_training, labelMenu);
    m_undoGroup->addStack(m_labeling->panel()->undoStack());
    connect(m_labeling, &LabelingCoordinator::labelModeRequested, this, [this] { setLabelMode(true); });

    // The central area: Design (canvas and summary) | Label (the image browser).
    QWidget* design = takeCentralWidget();
    m_modeTabs = new QTabWidget(this);
    m_modeTabs->setObjectName(QStringLiteral("modeTabs"));
    m_modeTabs->setDocumentMode(true);
    m_modeTabs->addTab(design, tr("Design"));
    m_modeTabs->addTab(m_labeling->page(), tr("Label"));
    m_modeTabs->setTabToolTip(0, tr("Design the network on the canvas (Ctrl+1)"));
    m_modeTabs->setTabToolTip(1, tr("Label images and train on them with the model in the loop (Ctrl+2)"));
    setCentralWidget(m_modeTabs);
    connect(m_modeTabs, &QTabWidget::currentChanged, this, [this](int index) { onModeChanged(index == 1); });
}

void MainWindow::onModeChanged(bool label)
{
    m_undoGroup->setActiveStack(label ? m_labeling->panel()->undoStack() : m_doc->undoStack());
    m_paletteDock->setVisible(!label); // layers are for the canvas
    // The grid needs the width the inspector has in Design mode: narrow it while labeling
    // and give it back after.
    if (!m_inspectorDock->isFloating()) {
        if (label) {
            m_designInspectorWidth = m_inspectorDock->width();
            resizeDocks({ m_inspectorDock }, { 180 }, Qt::Horizontal);
        } else if (m_designInspectorWidth > 0) {
            resizeDocks({ m_inspectorDock }, { m_designInspectorWidth }, Qt::Horizontal);
        }
    }
    m_labeling->modeChanged(label);
}

bool MainWindow::labelMode() const
{
    return m_modeTabs && m_modeTabs->currentIndex() == 1;
}

void MainWindow::setLabelMode(bool label)
{
    m_modeTabs->setCurrentIndex(label ? 1 : 0);
}

void MainWindow::showSideTab(const QString& name)
{
    const QString n = name.toLower();
    if (n == QLatin1String("properties"))
        m_sideTabs->setCurrentWidget(m_properties);
    else if (n == QLatin1String("training"))
        m_training->showTrainingTab();
    else if (n == QLatin1String("data"))
        m_training->showDataTab();
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    if (m_files->closeRequested()) {
        if (m_persistentLayout)
            m_layout->save();
        event->accept();
    } else {
        event->ignore();
    }
}

namespace {

// The local paths of a drag that NetCanvas can use: folders, CSV, project and model files.
QStringList usableDropPaths(const QMimeData* mime)
{
    QStringList out;
    if (!mime || !mime->hasUrls())
        return out;
    for (const QUrl& url : mime->urls()) {
        if (!url.isLocalFile())
            continue;
        const QFileInfo fi(url.toLocalFile());
        const QString ext = fi.suffix().toLower();
        static const QStringList images = { QStringLiteral("png"), QStringLiteral("jpg"), QStringLiteral("jpeg"),
            QStringLiteral("bmp"), QStringLiteral("tif"), QStringLiteral("tiff"), QStringLiteral("webp") };
        if (fi.isDir() || ext == QLatin1String("csv") || ext == QLatin1String("ncproj") || ext == QLatin1String("json")
            || images.contains(ext))
            out << fi.absoluteFilePath();
    }
    return out;
}

} // namespace

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (!usableDropPaths(event->mimeData()).isEmpty())
        event->acceptProposedAction();
    else
        QMainWindow::dragEnterEvent(event);
}

void MainWindow::dropEvent(QDropEvent* event)
{
    const QStringList paths = usableDropPaths(event->mimeData());
    if (paths.isEmpty())
        return QMainWindow::dropEvent(event);
    event->acceptProposedAction();
    const QString path = paths.front();
    const QFileInfo fi(path);
    const QString ext = fi.suffix().toLower();
    if (ext == QLatin1String("ncproj") || ext == QLatin1String("json")) {
        m_files->openFileLater(path);
        return;
    }
    if (fi.isFile() && ext != QLatin1String("csv")) { // an image: classify and explain it
        if (!m_training->explainImage(path))
            statusBar()->showMessage(tr("Train the model first, then drop an image to see what it sees."), 8000);
        else if (paths.size() > 1)
            statusBar()->showMessage(
                tr("Explaining %1 — to classify many images at once, use Label ▸ Classify Folder to CSV…")
                    .arg(fi.fileName()),
                8000);
        return;
    }
    if (fi.isDir() && labelMode()) { // in Label mode a folder is images to label
        QTimer::singleShot(0, this, [this, path] {
            const QString err = m_labeling->openFolder(path);
            if (!err.isEmpty())
                QMessageBox::warning(this, tr("Cannot open the folder"), err);
        });
        return;
    }
    m_training->useDataset(path);
}

void MainWindow::updateTitle()
{
    setWindowTitle(QStringLiteral("%1%2 — NetCanvas")
                       .arg(m_doc->displayName(), m_doc->isModified() ? QStringLiteral(" •") : QString()));
}

void MainWindow::addLayerAtCenter(const QString& type)
{
    const QPointF center = m_view->mapToScene(m_view->viewport()->rect().center());
    m_scene->addNodeAt(type, center); // an AddNodeCommand on the document's undo stack
}

} // namespace netcanvas::app
