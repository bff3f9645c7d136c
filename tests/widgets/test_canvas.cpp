// The canvas widgets over a GraphModel: scene items follow the model through undo/redo, a
// palette drop creates a node at the drop point, a property edit re-infers shapes, refused
// connections report why, copy/paste through the clipboard, and the model file round trip.
#include "engine/graph/ModelJson.h"
#include "widgets/canvas/EdgeItem.h"
#include "widgets/canvas/GraphCommands.h"
#include "widgets/canvas/GraphModel.h"
#include "widgets/canvas/GraphScene.h"
#include "widgets/canvas/GraphView.h"
#include "widgets/canvas/LayerPalette.h"
#include "widgets/canvas/NodeItem.h"
#include "widgets/canvas/PropertyEditor.h"
#include "widgets/canvas/SummaryBar.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDropEvent>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>
#include <QUndoStack>

#include <cmath>

using namespace netcanvas;
using namespace netcanvas::widgets;

namespace {

ModelGraph lenet()
{
    return loadModelFile(NETCANVAS_SOURCE_DIR "/models/lenet5.json");
}

int edgeCount(const ModelGraph& g)
{
    int n = 0;
    for (const auto& node : g.nodes())
        n += static_cast<int>(node.inputs.size());
    return n;
}

// Scene items mirror the model: one NodeItem per node at its position, one EdgeItem per input.
void checkItemsMatchModel(const GraphScene& scene, const GraphModel& model)
{
    QCOMPARE(scene.nodeItems().size(), static_cast<qsizetype>(model.graph().nodes().size()));
    QCOMPARE(scene.edgeItems().size(), static_cast<qsizetype>(edgeCount(model.graph())));
    int nodeItems = 0, edgeItems = 0;
    for (QGraphicsItem* it : scene.items()) {
        nodeItems += it->type() == NodeItem::Type;
        edgeItems += it->type() == EdgeItem::Type;
    }
    QCOMPARE(nodeItems, static_cast<int>(model.graph().nodes().size()));
    QCOMPARE(edgeItems, edgeCount(model.graph()));
    for (const auto& n : model.graph().nodes()) {
        NodeItem* item = scene.nodeItem(QString::fromStdString(n.id));
        QVERIFY(item);
        QCOMPARE(item->pos(), GraphModel::positionOf(n));
    }
    for (EdgeItem* e : scene.edgeItems()) {
        const GraphNode* to = model.node(e->to());
        QVERIFY(to);
        QVERIFY(e->port() < static_cast<int>(to->inputs.size()));
        QCOMPARE(QString::fromStdString(to->inputs[static_cast<size_t>(e->port())]), e->from());
    }
}

void sendMouse(QWidget* w, QEvent::Type type, QPoint pos, Qt::MouseButton button, Qt::MouseButtons buttons)
{
    QMouseEvent e(type, QPointF(pos), w->mapToGlobal(QPointF(pos)), button, buttons, Qt::NoModifier);
    QCoreApplication::sendEvent(w, &e);
}

} // namespace

class TestCanvas : public QObject {
    Q_OBJECT

private slots:
    void itemsFollowUndoRedo()
    {
        GraphModel model;
        QUndoStack undo;
        GraphScene scene(&model, &undo);
        model.setGraph(lenet());
        checkItemsMatchModel(scene, model);
        QCOMPARE(scene.edgeItems().size(), 12);

        undo.push(new RemoveNodesCommand(&model, { "conv2", "fc1" }));
        checkItemsMatchModel(scene, model);
        undo.push(new AddNodeCommand(&model, "Add", QPointF(300, 300)));
        undo.push(new ConnectCommand(&model, "pool1", "add1"));
        undo.push(new ConnectCommand(&model, "relu1", "add1"));
        undo.push(new MoveNodesCommand(&model, { { "input", QPointF(-100, -50) } }));
        undo.push(new AutoLayoutCommand(&model, { { "relu3", QPointF(500, 500) } }));
        checkItemsMatchModel(scene, model);
        QCOMPARE(scene.nodeItem("add1")->inputSlotCount(), 3); // two + "+"
        while (undo.canUndo()) {
            undo.undo();
            checkItemsMatchModel(scene, model);
        }
        QCOMPARE(serializeModel(model.graph()), serializeModel(lenet()));
        while (undo.canRedo()) {
            undo.redo();
            checkItemsMatchModel(scene, model);
        }
    }

    void mouseMoveAndConnect()
    {
        GraphModel model;
        QUndoStack undo;
        GraphScene scene(&model, &undo);
        GraphView view(&scene);
        view.resize(900, 700);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        model.setGraph(lenet());
        view.centerOn(scene.nodeItem("conv1"));
        QWidget* vp = view.viewport();

        // Drag conv1 by its body: one MoveNodes command on release, snapped to the grid.
        NodeItem* conv1 = scene.nodeItem("conv1");
        const QPoint start = view.mapFromScene(conv1->mapToScene(QPointF(60, 28)));
        sendMouse(vp, QEvent::MouseButtonPress, start, Qt::LeftButton, Qt::LeftButton);
        for (int i = 1; i <= 5; ++i)
            sendMouse(vp, QEvent::MouseMove, start + QPoint(12 * i, 3 * i), Qt::NoButton, Qt::LeftButton);
        sendMouse(vp, QEvent::MouseButtonRelease, start + QPoint(60, 15), Qt::LeftButton, Qt::NoButton);
        QCOMPARE(undo.count(), 1);
        const QPointF moved = model.nodePosition("conv1");
        QVERIFY(moved != QPointF(0, 90));
        QCOMPARE(std::fmod(moved.x(), 10.0), 0.0);
        QCOMPARE(conv1->pos(), moved);
        checkItemsMatchModel(scene, model);

        // Drag from a new node's output port onto conv2's input: refused (taken), then onto
        // a fresh Dropout's input: connected.
        scene.addNodeAt("Dropout", conv1->mapToScene(QPointF(90, 28)) + QPointF(260, 0));
        NodeItem* drop = scene.nodeItem("dropout1");
        QVERIFY(drop);
        QCOMPARE(undo.count(), 2);
        auto drag = [&](NodeItem* from, NodeItem* to) {
            const QPoint a = view.mapFromScene(from->mapToScene(from->outputPortPos()));
            const QPoint b = view.mapFromScene(to->mapToScene(to->inputPortPos(0)));
            sendMouse(vp, QEvent::MouseButtonPress, a, Qt::LeftButton, Qt::LeftButton);
            sendMouse(vp, QEvent::MouseMove, (a + b) / 2, Qt::NoButton, Qt::LeftButton);
            sendMouse(vp, QEvent::MouseMove, b, Qt::NoButton, Qt::LeftButton);
            sendMouse(vp, QEvent::MouseButtonRelease, b, Qt::LeftButton, Qt::NoButton);
        };
        QSignalSpy messages(&scene, &GraphScene::message);
        drag(conv1, scene.nodeItem("relu1"));
        QCOMPARE(messages.count(), 1);
        QCOMPARE(undo.count(), 2);
        drag(conv1, drop);
        QCOMPARE(undo.count(), 3);
        QCOMPARE(model.node("dropout1")->inputs, std::vector<std::string> { "conv1" });
        QCOMPARE(conv1->pos(), model.nodePosition("conv1")); // the port drag did not move it
        checkItemsMatchModel(scene, model);

        // Picking an edge up by its input slot: dropped on empty canvas it is disconnected,
        // dropped back on its slot nothing changes.
        auto pickUp = [&](NodeItem* node, QPoint dropAt) {
            const QPoint a = view.mapFromScene(node->mapToScene(node->inputPortPos(0)));
            sendMouse(vp, QEvent::MouseButtonPress, a, Qt::LeftButton, Qt::LeftButton);
            sendMouse(vp, QEvent::MouseMove, (a + dropAt) / 2, Qt::NoButton, Qt::LeftButton);
            sendMouse(vp, QEvent::MouseMove, dropAt, Qt::NoButton, Qt::LeftButton);
            sendMouse(vp, QEvent::MouseButtonRelease, dropAt, Qt::LeftButton, Qt::NoButton);
        };
        const QPoint empty = view.mapFromScene(drop->mapToScene(QPointF(90, 28)) + QPointF(0, 200));
        QVERIFY(!scene.itemAt(view.mapToScene(empty), view.transform()));
        pickUp(drop, empty);
        QCOMPARE(undo.count(), 4);
        QVERIFY(model.node("dropout1")->inputs.empty());
        checkItemsMatchModel(scene, model);
        undo.undo();
        QCOMPARE(model.node("dropout1")->inputs, std::vector<std::string> { "conv1" });
        NodeItem* relu1 = scene.nodeItem("relu1");
        pickUp(relu1, view.mapFromScene(relu1->mapToScene(relu1->inputPortPos(0))));
        QCOMPARE(undo.count(), 4); // (the undone command is still on the stack, index 3)
        QCOMPARE(undo.index(), 3);
        QCOMPARE(model.node("relu1")->inputs, std::vector<std::string> { "conv1" });
        for (EdgeItem* e : scene.edgeItems())
            QVERIFY(e->isVisible());
        checkItemsMatchModel(scene, model);
    }

    void edgeLabelsShowShapes()
    {
        GraphModel model;
        QUndoStack undo;
        GraphScene scene(&model, &undo);
        model.setGraph(lenet());
        for (EdgeItem* e : scene.edgeItems())
            if (e->from() == "pool1")
                QCOMPARE(e->label(), QString("6×14×14"));
    }

    void deleteCopyPasteThroughScene()
    {
        GraphModel model;
        QUndoStack undo;
        GraphScene scene(&model, &undo);
        model.setGraph(lenet());
        scene.nodeItem("conv1")->setSelected(true);
        scene.nodeItem("relu1")->setSelected(true);
        scene.copySelection();
        const QMimeData* mime = QApplication::clipboard()->mimeData();
        QVERIFY(mime && mime->hasFormat(kNodesMimeType));
        scene.paste();
        QCOMPARE(model.graph().nodes().size(), size_t(15));
        QCOMPARE(edgeCount(model.graph()), 13); // one new internal edge
        const QStringList pasted = scene.selectedNodeIds();
        QCOMPARE(pasted.size(), 2);
        QVERIFY(!pasted.contains("conv1") && !pasted.contains("relu1"));
        checkItemsMatchModel(scene, model);

        scene.deleteSelection();
        QCOMPARE(model.graph().nodes().size(), size_t(13));
        checkItemsMatchModel(scene, model);

        // An edge selected alone is disconnected.
        for (EdgeItem* e : scene.edgeItems())
            if (e->to() == "fc1")
                e->setSelected(true);
        scene.deleteSelection();
        QCOMPARE(edgeCount(model.graph()), 11);
        checkItemsMatchModel(scene, model);
        undo.undo();
        undo.undo();
        undo.undo();
        QCOMPARE(serializeModel(model.graph()), serializeModel(lenet()));
        checkItemsMatchModel(scene, model);
    }

    // Opening fits the whole graph; a resize (a dock growing) refits it until the user zooms.
    void fitsGraphAndKeepsItFittedUntilZoom()
    {
        GraphModel model;
        QUndoStack undo;
        GraphScene scene(&model, &undo);
        GraphView view(&scene);
        view.resize(900, 700);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        model.setGraph(lenet());
        view.fitToContents();
        QVERIFY(view.autoFit());
        auto allNodesVisible = [&] {
            const QRectF visible = view.mapToScene(view.viewport()->rect()).boundingRect();
            for (NodeItem* item : scene.nodeItems())
                if (!visible.contains(item->sceneBoundingRect()))
                    return false;
            return true;
        };
        QVERIFY(allNodesVisible());
        const double zoomBefore = view.zoom();

        view.resize(900, 560); // the bottom dock grew
        QCoreApplication::processEvents();
        QVERIFY2(allNodesVisible(), qPrintable(QString("zoom %1").arg(view.zoom())));
        QVERIFY(view.zoom() < zoomBefore);
        QVERIFY(view.zoom() >= GraphView::kReadableZoom);

        view.zoomIn(); // the user takes over: no refit
        QVERIFY(!view.autoFit());
        const double userZoom = view.zoom();
        view.resize(900, 700);
        QCoreApplication::processEvents();
        QCOMPARE(view.zoom(), userZoom);

        view.fitToContents(); // View ▸ Fit to Window turns it back on
        QVERIFY(view.autoFit());
        QVERIFY(allNodesVisible());
    }

    void refusedConnectionSaysWhy()
    {
        GraphModel model;
        QUndoStack undo;
        GraphScene scene(&model, &undo);
        GraphView view(&scene);
        view.resize(800, 600);
        model.setGraph(lenet());
        QSignalSpy messages(&scene, &GraphScene::message);
        QVERIFY(!scene.tryConnect("relu4", "conv1", 0, QPointF(10, 10)));
        QCOMPARE(messages.count(), 1);
        QVERIFY(!messages.front().front().toString().isEmpty());
        QVERIFY(view.messageLabel()->isVisibleTo(&view));
        QCOMPARE(view.messageLabel()->text(), messages.front().front().toString());
        QCOMPARE(undo.count(), 0);

        scene.addNodeAt("Conv2D", QPointF(400, 0));
        QVERIFY(!scene.tryConnect("fc1", "conv2d1", -1));
        QVERIFY(scene.tryConnect("pool2", "conv2d1", -1));
        QCOMPARE(undo.count(), 2);
    }

    void paletteDropCreatesNodeAtDropPoint()
    {
        GraphModel model;
        QUndoStack undo;
        GraphScene scene(&model, &undo);
        GraphView view(&scene);
        view.resize(800, 600);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        model.setGraph(lenet());

        QMimeData mime;
        mime.setData(kLayerMimeType, "BatchNorm");
        const QPoint dropAt(420, 260);
        QDragEnterEvent enter(dropAt, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(view.viewport(), &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(dropAt), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(view.viewport(), &drop);

        QCOMPARE(undo.count(), 1);
        NodeItem* item = scene.nodeItem("batchnorm1");
        QVERIFY(item);
        const QPointF expected = view.mapToScene(dropAt);
        const QPointF center = item->mapToScene(item->cardRect().center());
        QVERIFY2(QLineF(center, expected).length() <= 8,
            qPrintable(QString("center %1,%2 vs drop %3,%4")
                           .arg(center.x())
                           .arg(center.y())
                           .arg(expected.x())
                           .arg(expected.y())));
        QCOMPARE(model.nodePosition("batchnorm1"), item->pos());
        undo.undo();
        QVERIFY(!scene.nodeItem("batchnorm1"));
    }

    void propertyEditReinfersShapes()
    {
        GraphModel model;
        QUndoStack undo;
        GraphScene scene(&model, &undo);
        PropertyEditor editor(&model, &undo);
        model.setGraph(lenet());
        editor.setNode("conv1");
        auto* filters = qobject_cast<QSpinBox*>(editor.editorFor("filters"));
        QVERIFY(filters);
        QCOMPARE(filters->value(), 6);
        QVERIFY(qobject_cast<QComboBox*>(editor.editorFor("padding")));
        QCOMPARE(editor.outputLabel()->text(), QString("6×28×28"));

        filters->setValue(8);
        QCOMPARE(undo.count(), 1);
        QCOMPARE(model.nodeAnalysis("conv1")->outputShape.toString(), std::string("8×28×28"));
        QCOMPARE(model.nodeAnalysis("pool1")->outputShape.toString(), std::string("8×14×14"));
        QCOMPARE(model.nodeAnalysis("conv2")->params, int64_t(16 * 8 * 25 + 16));
        QCOMPARE(editor.outputLabel()->text(), QString("8×28×28"));
        for (EdgeItem* e : scene.edgeItems())
            if (e->from() == "relu1")
                QCOMPARE(e->label(), QString("8×28×28"));

        // A value that does not fit shows the engine's reason in red, on the node too.
        editor.setNode("conv2");
        auto* kernel = qobject_cast<QSpinBox*>(editor.editorFor("kernel"));
        QVERIFY(kernel);
        kernel->setValue(20);
        QVERIFY(!model.nodeAnalysis("conv2")->ok);
        QVERIFY(editor.errorLabel()->isVisibleTo(&editor));
        QVERIFY(editor.errorLabel()->text().contains("conv2"));
        QVERIFY(scene.nodeItem("conv2")->hasError());

        undo.undo();
        undo.undo();
        QCOMPARE(serializeModel(model.graph()), serializeModel(lenet()));
        editor.setNode("conv1");
        QCOMPARE(qobject_cast<QSpinBox*>(editor.editorFor("filters"))->value(), 6);
        undo.redo(); // the form follows the model while it shows the node
        QCOMPARE(qobject_cast<QSpinBox*>(editor.editorFor("filters"))->value(), 8);
    }

    void exportsImage()
    {
        GraphModel model;
        QUndoStack undo;
        GraphScene scene(&model, &undo);
        QVERIFY(scene.toImage().isNull() || model.graph().nodes().empty());
        model.setGraph(lenet());
        scene.nodeItem("conv1")->setSelected(true);
        const QImage image = scene.toImage(2.0);
        QVERIFY(!image.isNull());
        QVERIFY(image.height() > image.width()); // LeNet is a column
        QVERIFY(image.height() >= 2 * 13 * 56);
        QVERIFY(scene.nodeItem("conv1")->isSelected()); // selection is restored
    }

    void autoLayoutSeparatesNodes()
    {
        GraphModel model;
        QUndoStack undo;
        GraphScene scene(&model, &undo);
        model.setGraph(lenet());
        const QString add = model.addNode("Add", QPointF(0, 0));
        model.connectNodes("pool1", add);
        model.connectNodes("relu2", add);
        for (Qt::Orientation o : { Qt::Vertical, Qt::Horizontal }) {
            scene.autoLayout(o);
            const QList<NodeItem*> items = scene.nodeItems();
            for (int i = 0; i < items.size(); ++i)
                for (int j = i + 1; j < items.size(); ++j)
                    QVERIFY2(!items[i]
                                  ->mapToScene(items[i]->cardRect())
                                  .boundingRect()
                                  .intersects(items[j]->mapToScene(items[j]->cardRect()).boundingRect()),
                        qPrintable(items[i]->nodeId() + " overlaps " + items[j]->nodeId()));
            // Every edge goes forward (down, or right).
            for (EdgeItem* e : scene.edgeItems()) {
                const QPointF a = model.nodePosition(e->from()), b = model.nodePosition(e->to());
                QVERIFY(o == Qt::Vertical ? b.y() > a.y() : b.x() > a.x());
            }
            checkItemsMatchModel(scene, model);
        }
        undo.undo();
        undo.undo();
        QCOMPARE(model.nodePosition("conv1"), QPointF(0, 90));
    }

    void renameFromPropertyEditor()
    {
        GraphModel model;
        QUndoStack undo;
        GraphScene scene(&model, &undo);
        PropertyEditor editor(&model, &undo);
        model.setGraph(lenet());
        editor.setNode("conv1");
        editor.idEdit()->setText("features");
        emit editor.idEdit()->editingFinished();
        QCOMPARE(undo.count(), 1);
        QCOMPARE(editor.nodeId(), QString("features"));
        QVERIFY(scene.nodeItem("features") && scene.nodeItem("features")->isSelected());
        QVERIFY(!scene.nodeItem("conv1"));
        checkItemsMatchModel(scene, model);
        editor.idEdit()->setText("relu1"); // taken: refused, field reset
        emit editor.idEdit()->editingFinished();
        QCOMPARE(undo.count(), 1);
        QCOMPARE(editor.idEdit()->text(), QString("features"));
        undo.undo();
        QCOMPARE(serializeModel(model.graph()), serializeModel(lenet()));
        checkItemsMatchModel(scene, model);
    }

    void summaryBarCounts()
    {
        GraphModel model;
        SummaryBar bar(&model);
        model.setGraph(lenet());
        QCOMPARE(bar.batchSizeBox()->value(), 64);
        QCOMPARE(SummaryBar::trainingMemoryBytes(10, 100, 2), int64_t(10 * 16 + 100 * 2 * 8));
    }

    // Keyboard and screen readers: the palette's controls are named, and Enter on a layer adds it.
    void paletteIsNamedAndAddsOnEnter()
    {
        LayerPalette palette;
        palette.show();
        QVERIFY(QTest::qWaitForWindowExposed(&palette));
        auto* tree = palette.findChild<QTreeWidget*>();
        auto* search = palette.findChild<QLineEdit*>();
        QVERIFY(tree && search);
        QCOMPARE(tree->accessibleName(), QStringLiteral("Layers"));
        QCOMPARE(search->accessibleName(), QStringLiteral("Search layers"));
        QTreeWidgetItem* conv
            = tree->findItems(QStringLiteral("Conv2D"), Qt::MatchExactly | Qt::MatchRecursive).value(0);
        QVERIFY(conv);
        tree->setFocus();
        tree->setCurrentItem(conv);
        QSignalSpy added(&palette, &LayerPalette::addRequested);
        QTest::keyClick(tree, Qt::Key_Return);
        QCOMPARE(added.count(), 1);
        QCOMPARE(added.front().front().toString(), QStringLiteral("Conv2D"));
    }

    void paletteFiltersByNameAndDoc()
    {
        LayerPalette palette;
        QVERIFY(palette.visibleTypes().contains("Conv2D"));
        palette.setFilter("pool");
        const QStringList visible = palette.visibleTypes();
        QVERIFY(visible.contains("MaxPool2D"));
        QVERIFY(!visible.contains("Dense"));
        palette.setFilter({});
        QCOMPARE(palette.visibleTypes().size(), static_cast<qsizetype>(LayerRegistry::builtin().all().size()));
    }

    void saveOpenRoundTripKeepsPositions()
    {
        GraphModel model;
        QUndoStack undo;
        model.setGraph(lenet());
        undo.push(new MoveNodesCommand(&model, { { "conv1", QPointF(120, 95) } }));
        undo.push(new AddNodeCommand(&model, "Dropout", QPointF(-40, 700)));
        QTemporaryDir dir;
        const std::string path = dir.filePath("model.json").toStdString();
        saveModelFile(model.graph(), path);
        GraphModel reopened;
        reopened.setGraph(loadModelFile(path));
        QCOMPARE(serializeModel(reopened.graph()), serializeModel(model.graph()));
        QCOMPARE(reopened.nodePosition("conv1"), QPointF(120, 95));
        QCOMPARE(reopened.nodePosition("dropout1"), QPointF(-40, 700));
    }
};

QTEST_MAIN(TestCanvas)
#include "test_canvas.moc"
