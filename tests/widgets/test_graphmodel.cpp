// GraphModel and GraphCommands, headless: signals on every edit, connection checks with
// reasons, and exact undo/redo of every command (serialized model before == after undo).
#include "engine/graph/ModelJson.h"
#include "widgets/canvas/GraphCommands.h"
#include "widgets/canvas/GraphModel.h"

#include <QSignalSpy>
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

class TestGraphModel : public QObject {
    Q_OBJECT

    // Pushes `cmd` and checks undo restores the graph exactly and redo re-applies it.
    void checkUndoRedo(GraphModel& model, QUndoCommand* cmd)
    {
        QUndoStack stack;
        const std::string before = dump(model);
        stack.push(cmd);
        const std::string after = dump(model);
        QVERIFY2(after != before, "the command changed nothing");
        stack.undo();
        QCOMPARE(dump(model), before);
        stack.redo();
        QCOMPARE(dump(model), after);
        stack.undo();
        QCOMPARE(dump(model), before);
    }

private slots:
    void initTestCase() { QVERIFY2(LayerRegistry::builtin().find("Conv2D"), "layers are not registered yet"); }

    void loadsAndAnalyzes()
    {
        GraphModel model;
        QSignalSpy reset(&model, &GraphModel::modelReset);
        QSignalSpy analysis(&model, &GraphModel::analysisChanged);
        model.setGraph(lenet());
        QCOMPARE(reset.count(), 1);
        QCOMPARE(analysis.count(), 1);
        QVERIFY2(model.analysis().ok, model.analysis().error.c_str());
        QCOMPARE(model.nodeAnalysis("conv1")->outputShape.toString(), std::string("6×28×28"));
        QCOMPARE(model.nodeAnalysis("conv1")->params, int64_t(156));
        QCOMPARE(model.nodePosition("relu1"), QPointF(0, 180));
    }

    void signalsOnEveryEdit()
    {
        GraphModel model;
        model.setGraph(lenet());
        QSignalSpy created(&model, &GraphModel::nodeCreated);
        QSignalSpy deleted(&model, &GraphModel::nodeDeleted);
        QSignalSpy updated(&model, &GraphModel::nodeUpdated);
        QSignalSpy connected(&model, &GraphModel::connectionCreated);
        QSignalSpy disconnected(&model, &GraphModel::connectionDeleted);
        QSignalSpy analysis(&model, &GraphModel::analysisChanged);

        const QString id = model.addNode("ReLU", QPointF(100, 40));
        QCOMPARE(id, QString("relu5"));
        QCOMPARE(created.count(), 1);
        QCOMPARE(created.front().front().toString(), id);
        QCOMPARE(analysis.count(), 1);
        QCOMPARE(model.nodePosition(id), QPointF(100, 40));

        QVERIFY(model.connectNodes("fc3", id));
        QCOMPARE(connected.count(), 1);
        QCOMPARE(connected.front().at(0).toString(), QString("fc3"));
        QCOMPARE(connected.front().at(1).toString(), id);
        QCOMPARE(connected.front().at(2).toInt(), 0);
        QCOMPARE(analysis.count(), 2);

        QVERIFY(model.setParam("fc3", "units", 5));
        QCOMPARE(updated.count(), 1);
        QCOMPARE(analysis.count(), 3);
        QCOMPARE(model.nodeAnalysis(id)->outputShape.toString(), std::string("5"));

        QVERIFY(model.moveNode("fc3", QPointF(10, 20)));
        QCOMPARE(updated.count(), 2);

        QVERIFY(model.disconnectNodes("fc3", id));
        QCOMPARE(disconnected.count(), 1);

        // Removing a node announces its edges too.
        QVERIFY(model.removeNode("conv2"));
        QCOMPARE(deleted.count(), 1);
        QCOMPARE(disconnected.count(), 3); // pool1 → conv2, conv2 → relu2
        QVERIFY(!model.contains("conv2"));
        QVERIFY(!model.nodeAnalysis("relu2")->ok);

        QVERIFY(!model.removeNode("nope"));
        QVERIFY(!model.setParam("nope", "x", 1));
        QCOMPARE(model.addNode("ReLU", {}, "relu1"), QString()); // id taken
    }

    void canConnectRefusesWithReasons()
    {
        GraphModel model;
        model.setGraph(lenet());

        // Self.
        ConnectCheck c = model.canConnect("relu1", "relu1");
        QVERIFY(!c.ok);
        QVERIFY(!c.reason.isEmpty());

        // Occupied single input.
        c = model.canConnect("input", "relu1");
        QVERIFY(!c.ok);
        QVERIFY2(c.reason.contains("already connected"), qPrintable(c.reason));

        // Input takes nothing.
        c = model.canConnect("relu1", "input");
        QVERIFY(!c.ok);

        // Shape mismatch: a Conv2D fed by a vector; the reason is the engine's, naming the node.
        const QString conv = model.addNode("Conv2D", QPointF(300, 0));
        c = model.canConnect("fc1", conv);
        QVERIFY(!c.ok);
        QVERIFY2(c.reason.contains(conv), qPrintable(c.reason));
        QVERIFY(model.canConnect("pool1", conv).ok);

        // Add: first input is always fine, a second one of another shape is refused.
        const QString add = model.addNode("Add", QPointF(300, 100));
        QVERIFY(model.canConnect("pool1", add).ok);
        model.connectNodes("pool1", add);
        c = model.canConnect("pool2", add);
        QVERIFY(!c.ok);
        QVERIFY2(c.reason.contains(add), qPrintable(c.reason));
        QVERIFY(model.canConnect("pool1", add).ok); // same shape into the free "+" slot

        // Cycle: add → relu → add.
        const QString relu = model.addNode("ReLU", QPointF(300, 200));
        model.connectNodes(add, relu);
        c = model.canConnect(relu, add);
        QVERIFY(!c.ok);
        QVERIFY2(c.reason.contains("cycle"), qPrintable(c.reason));
        QCOMPARE(model.inputSlotCount(add), 2); // one connected + "+"
        QCOMPARE(model.inputSlotCount("input"), 0);
        QCOMPARE(model.inputSlotCount("relu1"), 1);
    }

    void undoRedoAddNode()
    {
        GraphModel model;
        model.setGraph(lenet());
        auto* cmd = new AddNodeCommand(&model, "Dropout", QPointF(200, 300), { { "rate", 0.25 } });
        checkUndoRedo(model, cmd);
    }

    void undoRedoRemoveNodes()
    {
        GraphModel model;
        model.setGraph(lenet());
        checkUndoRedo(model, new RemoveNodesCommand(&model, { "conv2" }));
        checkUndoRedo(model, new RemoveNodesCommand(&model, { "conv1", "relu2", "fc3" }));
        checkUndoRedo(model, new RemoveNodesCommand(&model, { "input" }));
    }

    void undoRedoRemoveRestoresMultiInputPorts()
    {
        GraphModel model;
        model.setGraph(lenet());
        const QString add = model.addNode("Add", QPointF(300, 100));
        model.connectNodes("pool1", add);
        model.connectNodes("relu1", add); // shapes differ; the model does not check
        model.connectNodes("pool1", add);
        checkUndoRedo(model, new RemoveNodesCommand(&model, { "relu1" }));
    }

    void undoRedoMoveNodes()
    {
        GraphModel model;
        model.setGraph(lenet());
        checkUndoRedo(
            model, new MoveNodesCommand(&model, { { "conv1", QPointF(40, 95) }, { "relu1", QPointF(40, 185) } }));

        // Consecutive moves of the same selection merge into one step.
        QUndoStack stack;
        const std::string before = dump(model);
        stack.push(new MoveNodesCommand(&model, { { "conv1", QPointF(10, 10) } }));
        stack.push(new MoveNodesCommand(&model, { { "conv1", QPointF(20, 20) } }));
        QCOMPARE(stack.count(), 1);
        QCOMPARE(model.nodePosition("conv1"), QPointF(20, 20));
        stack.undo();
        QCOMPARE(dump(model), before);
    }

    void undoRedoConnectDisconnect()
    {
        GraphModel model;
        model.setGraph(lenet());
        checkUndoRedo(model, new DisconnectCommand(&model, "flatten", "fc1"));
        checkUndoRedo(model, new DisconnectCommand(&model, "input", "conv1", 0));
        const QString add = model.addNode("Add", QPointF(300, 100));
        model.connectNodes("pool1", add);
        model.connectNodes("pool1", add);
        checkUndoRedo(model, new ConnectCommand(&model, "pool1", add, 1)); // insert between
        checkUndoRedo(model, new ConnectCommand(&model, "pool1", add)); // append
        checkUndoRedo(model, new DisconnectCommand(&model, "pool1", add, 1));
    }

    void undoRedoSetParam()
    {
        GraphModel model;
        model.setGraph(lenet());
        checkUndoRedo(model, new SetParamCommand(&model, "conv1", "filters", 8)); // existing key
        checkUndoRedo(model, new SetParamCommand(&model, "conv1", "stride", 2)); // key absent before
        checkUndoRedo(model, new SetParamCommand(&model, "conv1", "padding", nullptr)); // back to default

        QUndoStack stack;
        stack.push(new SetParamCommand(&model, "fc1", "units", 100));
        stack.push(new SetParamCommand(&model, "fc1", "units", 101));
        QCOMPARE(stack.count(), 1);
        QCOMPARE(model.nodeAnalysis("fc1")->outputShape.toString(), std::string("101"));
    }

    void setOutputClassesIsOneUndoStep()
    {
        GraphModel model;
        model.setGraph(lenet());
        // A Softmax after the Dense output layer is walked through to the Dense.
        const QString softmax = model.addNode("Softmax", QPointF(0, 1170));
        QVERIFY(model.connectNodes("fc3", softmax));
        QCOMPARE(model.analysis().outputNode, softmax.toStdString());
        QCOMPARE(SetOutputClassesCommand::outputLayer(model), QString("fc3"));
        checkUndoRedo(model, new SetOutputClassesCommand(&model, 3));

        QUndoStack stack;
        stack.push(new SetOutputClassesCommand(&model, 3));
        QCOMPARE(stack.count(), 1);
        QCOMPARE(stack.undoText(), QString("Set output to 3 classes"));
        QCOMPARE(model.node("fc3")->params["units"].get<int>(), 3);
        QCOMPARE(model.analysis().outputShape.numel(), int64_t(3));
        stack.undo();
        QCOMPARE(model.node("fc3")->params["units"].get<int>(), 10); // undo restores the units
        QCOMPARE(model.analysis().outputShape.numel(), int64_t(10));
        stack.redo();
        QCOMPARE(model.node("fc3")->params["units"].get<int>(), 3); // redo re-applies them
        // A following edit of the same parameter is a step of its own (the command never merges).
        stack.push(new SetParamCommand(&model, "fc3", "units", 4));
        QCOMPARE(stack.count(), 2);

        // An output not set by a Dense layer (a pooling layer here) has no layer to adapt.
        GraphModel other;
        other.setGraph(lenet());
        QVERIFY(other.removeNode("fc3"));
        QVERIFY(other.removeNode("relu4"));
        QVERIFY(other.removeNode("fc2"));
        QVERIFY(other.removeNode("relu3"));
        QVERIFY(other.removeNode("fc1"));
        QCOMPARE(SetOutputClassesCommand::outputLayer(other), QString());
    }

    void pasteGivesFreshIdsAndInternalEdges()
    {
        GraphModel model;
        model.setGraph(lenet());
        const nlohmann::json clip = nlohmann::json::parse(R"([
            {"id": "conv1", "type": "Conv2D", "inputs": ["input"], "params": {"filters": 6, "kernel": 5}, "ui": {"x": 0, "y": 90}},
            {"id": "relu1", "type": "ReLU", "inputs": ["conv1"], "ui": {"x": 0, "y": 180}}
        ])");
        auto* cmd = new PasteCommand(&model, clip, QPointF(30, 30));
        const QStringList ids = cmd->pastedIds();
        QCOMPARE(ids.size(), 2);
        checkUndoRedo(model, cmd); // leaves it undone
        QUndoStack stack;
        stack.push(new PasteCommand(&model, clip, QPointF(30, 30)));
        QCOMPARE(model.graph().nodes().size(), size_t(15));
        const GraphNode* conv = model.node(ids[0]);
        const GraphNode* relu = model.node(ids[1]);
        QVERIFY(conv && relu);
        QVERIFY(ids[0] != "conv1" && ids[1] != "relu1");
        QVERIFY(conv->inputs.empty()); // the edge from outside is dropped
        QCOMPARE(relu->inputs, std::vector<std::string> { ids[0].toStdString() }); // the internal edge, renamed
        QCOMPARE(model.nodePosition(ids[1]), QPointF(30, 210));
        QCOMPARE(conv->params["filters"].get<int>(), 6);
    }

    void renameUpdatesReferences()
    {
        GraphModel model;
        model.setGraph(lenet());
        QVERIFY(!model.canRename("conv1", "relu1").ok);
        QVERIFY(!model.canRename("conv1", "").ok);
        QVERIFY(!model.canRename("conv1", "a.b").ok);
        QSignalSpy renamed(&model, &GraphModel::nodeRenamed);
        checkUndoRedo(model, new RenameNodeCommand(&model, "conv1", "features"));
        QCOMPARE(renamed.count(), 4); // redo, undo, redo, undo
        QVERIFY(model.renameNode("conv1", "features"));
        QCOMPARE(model.node("relu1")->inputs, std::vector<std::string> { "features" });
        QCOMPARE(model.graph().nodes()[1].id, std::string("features")); // keeps its place
        QVERIFY(model.analysis().ok);
    }

    void undoRedoAutoLayout()
    {
        GraphModel model;
        model.setGraph(lenet());
        const QString add = model.addNode("Add", QPointF(-500, 900));
        model.connectNodes("pool1", add);
        model.connectNodes("pool1", add);
        // A node with no ui at all must get it back exactly (absent) on undo.
        GraphNode bare;
        bare.id = "bare";
        bare.type = "ReLU";
        model.addNode(bare);
        checkUndoRedo(model,
            new AutoLayoutCommand(
                &model, { { "conv1", QPointF(0, 0) }, { "bare", QPointF(5, 5) }, { add, QPointF(1, 1) } }));
    }
};

QTEST_MAIN(TestGraphModel)
#include "test_graphmodel.moc"
