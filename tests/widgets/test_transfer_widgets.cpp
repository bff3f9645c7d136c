// Transfer learning in the widgets, offscreen: freezing a node from the inspector (an undoable
// SetTrainable command), the canvas showing it (dashed outline and "frozen" in the card's text),
// the summary bar's trainable/frozen counts, and Replace head (one undo step: the output Dense
// renamed "head", its units set, unfrozen; undo and redo exact).
#include "engine/graph/ClassifierLayers.h"
#include "engine/graph/ModelJson.h"
#include "widgets/canvas/GraphCommands.h"
#include "widgets/canvas/GraphModel.h"
#include "widgets/canvas/GraphScene.h"
#include "widgets/canvas/NodeItem.h"
#include "widgets/canvas/PropertyEditor.h"
#include "widgets/canvas/SummaryBar.h"

#include <QCheckBox>
#include <QLabel>
#include <QTest>
#include <QUndoStack>

using namespace netcanvas;
using namespace netcanvas::widgets;

namespace {

ModelGraph lenet()
{
    return loadModelFile(NETCANVAS_SOURCE_DIR "/models/lenet5.json");
}

std::string dump(const GraphModel& m)
{
    return serializeModel(m.graph());
}

} // namespace

class TestTransferWidgets : public QObject {
    Q_OBJECT

private slots:
    void freezeFromTheInspectorIsUndoableAndShown()
    {
        GraphModel model;
        QUndoStack undo;
        GraphScene scene(&model, &undo);
        PropertyEditor editor(&model, &undo);
        SummaryBar bar(&model);
        model.setGraph(lenet());
        const std::string before = dump(model);
        QCOMPARE(bar.paramsLabel()->text(), QString("61,706"));

        editor.setNode("conv1");
        QVERIFY(editor.trainableBox()->isEnabled());
        QVERIFY(editor.trainableBox()->isChecked());
        editor.trainableBox()->setChecked(false); // as a click does
        QCOMPARE(undo.count(), 1);
        QCOMPARE(undo.undoText(), QString("Freeze conv1"));
        QVERIFY(!model.node("conv1")->trainable);
        QCOMPARE(model.analysis().frozenParams, int64_t(156));
        QCOMPARE(bar.paramsLabel()->text(), QString("61,550 trainable · 156 frozen"));
        NodeItem* item = scene.nodeItem("conv1");
        QVERIFY(item && item->isFrozen());
        QCOMPARE(item->paramsText(), QString("frozen · 156"));
        QVERIFY(item->toolTip().contains("frozen"));
        QVERIFY(!scene.nodeItem("conv2")->isFrozen());
        // The model file says so.
        QVERIFY(dump(model).find("\"trainable\": false") != std::string::npos);

        undo.undo();
        QCOMPARE(dump(model), before);
        QVERIFY(editor.trainableBox()->isChecked());
        QVERIFY(!scene.nodeItem("conv1")->isFrozen());
        QCOMPARE(bar.paramsLabel()->text(), QString("61,706"));
        undo.redo();
        QVERIFY(!editor.trainableBox()->isChecked());
        QVERIFY(scene.nodeItem("conv1")->isFrozen());

        // A kind without parameters has nothing to freeze.
        editor.setNode("relu1");
        QVERIFY(!editor.trainableBox()->isEnabled());

        // Several nodes in one step.
        undo.push(new SetTrainableCommand(&model, { "conv2", "fc1" }, false));
        QCOMPARE(undo.undoText(), QString("Freeze 2 nodes"));
        QCOMPARE(model.analysis().frozenParams, int64_t(156 + 2416 + 48120));
        undo.undo();
        QCOMPARE(model.analysis().frozenParams, int64_t(156));
    }

    void replaceHeadUndoRedo()
    {
        GraphModel model;
        QUndoStack undo;
        GraphScene scene(&model, &undo);
        ModelGraph g = lenet();
        g.node("fc3")->trainable = false; // a frozen head becomes a trainable new one
        model.setGraph(g);
        const std::string before = dump(model);

        auto* cmd = new ReplaceHeadCommand(&model, 3);
        QCOMPARE(cmd->oldId(), QString("fc3"));
        QCOMPARE(cmd->newId(), QString("head"));
        undo.push(cmd);
        QCOMPARE(undo.count(), 1);
        QCOMPARE(undo.undoText(), QString("Replace head (3 classes)"));
        QVERIFY(!model.contains("fc3"));
        const GraphNode* head = model.node("head");
        QVERIFY(head);
        QCOMPARE(head->params["units"].get<int>(), 3);
        QVERIFY(head->trainable);
        QCOMPARE(head->inputs, std::vector<std::string> { "relu4" });
        QCOMPARE(model.analysis().outputShape.numel(), int64_t(3));
        QVERIFY(scene.nodeItem("head") && !scene.nodeItem("fc3"));
        const std::string after = dump(model);

        undo.undo();
        QCOMPARE(dump(model), before);
        QVERIFY(!model.node("fc3")->trainable);
        QVERIFY(scene.nodeItem("fc3") && !scene.nodeItem("head"));
        undo.redo();
        QCOMPARE(dump(model), after);

        // Again: the next fresh id.
        undo.push(new ReplaceHeadCommand(&model, 5));
        QVERIFY(model.contains("head2") && !model.contains("head"));
        QCOMPARE(model.analysis().outputShape.numel(), int64_t(5));
        undo.undo();
        undo.undo();
        QCOMPARE(dump(model), before);
    }

    // Replace classifier: the head and the hidden Dense layers renamed (fresh when loaded by
    // name), the convolutions kept; one undo step.
    void replaceWholeClassifierUndoRedo()
    {
        GraphModel model;
        QUndoStack undo;
        ModelGraph g = lenet();
        g.node("fc1")->trainable = false;
        model.setGraph(g);
        QCOMPARE(
            classifierDenseLayers(model.graph(), model.analysis()), (std::vector<std::string> { "fc3", "fc2", "fc1" }));
        const std::string before = dump(model);
        auto* cmd = new ReplaceHeadCommand(&model, 4, nullptr, true);
        QCOMPARE(cmd->renamedHidden().size(), 2);
        undo.push(cmd);
        QCOMPARE(undo.count(), 1);
        QCOMPARE(undo.undoText(), QString("Replace classifier (4 classes)"));
        QVERIFY(model.contains("head") && model.contains("fc2_new") && model.contains("fc1_new"));
        QVERIFY(!model.contains("fc1") && !model.contains("fc2") && !model.contains("fc3"));
        QVERIFY(model.contains("conv1") && model.contains("conv2"));
        QVERIFY(model.node("fc1_new")->trainable);
        QCOMPARE(model.analysis().outputShape.numel(), int64_t(4));
        QVERIFY(model.analysis().ok);
        undo.undo();
        QCOMPARE(dump(model), before);
        // A model whose output is not a Dense has no classifier layers.
        ModelGraph conv = lenet();
        conv.removeNode("fc3");
        conv.removeNode("relu4");
        conv.removeNode("fc2");
        conv.removeNode("relu3");
        conv.removeNode("fc1");
        QVERIFY(classifierDenseLayers(conv, conv.analyze()).empty());
    }
};

QTEST_MAIN(TestTransferWidgets)
#include "test_transfer_widgets.moc"
