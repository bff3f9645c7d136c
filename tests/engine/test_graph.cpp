// ModelGraph, shape inference, validation and the model JSON format.
#include "engine/core/Error.h"
#include "engine/graph/ModelGraph.h"
#include "engine/graph/ModelJson.h"
#include "engine/io/AtomicFile.h"

#include "common/Fixtures.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace netcanvas;

namespace {

using fixtures::makeNode;

ModelGraph smallCnn()
{
    ModelGraph g;
    g.name = "small";
    g.addNode(makeNode("in", "Input", {}, { { "channels", 3 }, { "height", 32 }, { "width", 32 } }));
    g.addNode(makeNode("conv", "Conv2D", { "in" }, { { "filters", 8 }, { "kernel", 3 }, { "padding", "same" } }));
    g.addNode(makeNode("relu", "ReLU", { "conv" }));
    g.addNode(makeNode("pool", "MaxPool2D", { "relu" }, { { "pool", 2 } }));
    g.addNode(makeNode("flat", "Flatten", { "pool" }));
    g.addNode(makeNode("fc", "Dense", { "flat" }, { { "units", 10 } }));
    return g;
}

std::string expectThrow(const std::function<void()>& fn)
{
    try {
        fn();
    } catch (const Error& e) {
        return e.what();
    }
    return "<no exception>";
}

} // namespace

class TestGraph : public QObject {
    Q_OBJECT
private slots:
    void shapesAndCounts()
    {
        const GraphAnalysis a = smallCnn().validate();
        QVERIFY(a.ok);
        QCOMPARE(a.nodes.at("conv").outputShape, (Shape { 8, 32, 32 }));
        QCOMPARE(a.nodes.at("pool").outputShape, (Shape { 8, 16, 16 }));
        QCOMPARE(a.nodes.at("flat").outputShape, (Shape { 2048 }));
        QCOMPARE(a.nodes.at("fc").outputShape, (Shape { 10 }));
        QCOMPARE(a.nodes.at("conv").params, int64_t(8 * 3 * 9 + 8));
        QCOMPARE(a.nodes.at("fc").params, int64_t(2048 * 10 + 10));
        QCOMPARE(a.totalParams, int64_t(8 * 3 * 9 + 8 + 2048 * 10 + 10));
        QVERIFY(a.nodes.at("conv").flops >= int64_t(2) * 8 * 32 * 32 * 27);
        QCOMPARE(a.inputNode, std::string("in"));
        QCOMPARE(a.outputNode, std::string("fc"));
        QCOMPARE(a.order.front(), std::string("in"));
        QCOMPARE(a.order.back(), std::string("fc"));
    }

    void dagWithAddAndConcat()
    {
        ModelGraph g;
        g.addNode(makeNode("in", "Input", {}, { { "channels", 4 }, { "height", 8 }, { "width", 8 } }));
        g.addNode(makeNode("a", "Conv2D", { "in" }, { { "filters", 4 }, { "kernel", 3 }, { "padding", "same" } }));
        g.addNode(makeNode("sum", "Add", { "a", "in" }));
        g.addNode(makeNode("cat", "Concat", { "sum", "in", "a" }));
        g.addNode(makeNode("gap", "GlobalAvgPool2D", { "cat" }));
        const GraphAnalysis a = g.validate();
        QCOMPARE(a.nodes.at("sum").outputShape, (Shape { 4, 8, 8 }));
        QCOMPARE(a.nodes.at("cat").outputShape, (Shape { 12, 8, 8 }));
        QCOMPARE(a.outputShape, (Shape { 12 }));
        const auto order = g.topologicalOrder();
        auto pos = [&](const std::string& id) { return std::find(order.begin(), order.end(), id) - order.begin(); };
        QVERIFY(pos("a") < pos("sum"));
        QVERIFY(pos("sum") < pos("cat"));
    }

    void shapeErrorNamesNodeAndShapes()
    {
        ModelGraph g;
        g.addNode(makeNode("in", "Input", {}, { { "channels", 1 }, { "height", 4 }, { "width", 4 } }));
        g.addNode(makeNode("big", "Conv2D", { "in" }, { { "filters", 2 }, { "kernel", 7 } }));
        const GraphAnalysis a = g.analyze();
        QVERIFY(!a.ok);
        QVERIFY2(a.error.find("big") != std::string::npos, a.error.c_str());
        QVERIFY2(a.error.find("1\u00d74\u00d74") != std::string::npos, a.error.c_str());
        QVERIFY(!a.nodes.at("big").ok);
        QVERIFY(a.nodes.at("in").ok);

        ModelGraph add;
        add.addNode(makeNode("in", "Input", {}, { { "channels", 1 }, { "height", 4 }, { "width", 4 } }));
        add.addNode(makeNode("p", "MaxPool2D", { "in" }));
        add.addNode(makeNode("sum", "Add", { "in", "p" }));
        const GraphAnalysis b = add.analyze();
        QVERIFY(!b.ok);
        QVERIFY2(b.error.find("sum") != std::string::npos && b.error.find("1\u00d72\u00d72") != std::string::npos,
            b.error.c_str());
    }

    void structuralProblems()
    {
        // Cycle
        ModelGraph c = smallCnn();
        c.node("conv")->inputs.push_back("relu");
        std::string msg = expectThrow([&] { c.topologicalOrder(); });
        QVERIFY2(msg.find("cycle") != std::string::npos, msg.c_str());
        QVERIFY(!c.analyze().ok);

        // Dangling input (removed node) and arity
        ModelGraph d = smallCnn();
        d.removeNode("relu");
        QVERIFY(d.node("pool")->inputs.empty());
        GraphAnalysis a = d.analyze();
        QVERIFY(!a.ok);
        const std::string& poolError = a.nodes.at("pool").error;
        QVERIFY2(poolError.find("pool") != std::string::npos, poolError.c_str());
        QVERIFY2(poolError.find("takes 1 input") != std::string::npos, poolError.c_str());
        QVERIFY(!a.nodes.at("flat").ok); // downstream of the broken node

        // Two unconnected outputs
        ModelGraph two = smallCnn();
        two.addNode(makeNode("extra", "ReLU", { "pool" }));
        a = two.analyze();
        QVERIFY(!a.ok);
        QVERIFY2(a.error.find("unconnected outputs") != std::string::npos, a.error.c_str());
        two.setOutput("fc");
        QVERIFY(two.analyze().ok);

        // No input
        ModelGraph none;
        none.addNode(makeNode("r", "ReLU"));
        QVERIFY(!none.analyze().ok);

        // Duplicate ids and self-connection
        ModelGraph g = smallCnn();
        msg = expectThrow([&] { g.addNode(makeNode("conv", "ReLU")); });
        QVERIFY2(msg.find("conv") != std::string::npos, msg.c_str());
        msg = expectThrow([&] { g.connect("fc", "fc"); });
        QVERIFY2(msg.find("itself") != std::string::npos, msg.c_str());
        QCOMPARE(g.uniqueId("Conv2D"), std::string("conv2d1"));
        QVERIFY(g.disconnect("flat", "fc"));
        QVERIFY(!g.disconnect("flat", "fc"));
        g.connect("flat", "fc");
        QVERIFY(g.analyze().ok);
    }

    void badParamsAreReported()
    {
        ModelGraph g = smallCnn();
        g.node("conv")->params["kernel"] = 0;
        GraphAnalysis a = g.analyze();
        QVERIFY(!a.ok);
        QVERIFY2(
            a.error.find("conv") != std::string::npos && a.error.find("kernel") != std::string::npos, a.error.c_str());
        g.node("conv")->params["kernel"] = 3;
        g.node("conv")->params["padding"] = "sometimes";
        a = g.analyze();
        QVERIFY2(
            a.error.find("padding") != std::string::npos && a.error.find("same") != std::string::npos, a.error.c_str());
        g.node("conv")->params.erase("padding");
        g.node("conv")->params["colour"] = 1;
        a = g.analyze();
        QVERIFY2(a.error.find("unknown parameter 'colour'") != std::string::npos, a.error.c_str());
        g.node("conv")->type = "Conv9D";
        a = g.analyze();
        QVERIFY2(a.error.find("Conv9D") != std::string::npos, a.error.c_str());
    }

    void jsonRoundTrip()
    {
        ModelGraph g = smallCnn();
        g.description = "a test model";
        g.node("conv")->ui = { { "x", 12.5 }, { "y", -40 } };
        g.training = { { "epochs", 3 }, { "optimizer", "adam" } };
        g.setOutput("fc");
        const std::string text = serializeModel(g);
        const ModelGraph back = parseModelJson(text, "roundtrip.json");
        QCOMPARE(serializeModel(back), text);
        QCOMPARE(back.nodes().size(), g.nodes().size());
        QCOMPARE(back.node("conv")->ui["x"].get<double>(), 12.5);
        QCOMPARE(back.node("conv")->params["padding"].get<std::string>(), std::string("same"));
        QCOMPARE(back.training["epochs"].get<int>(), 3);
        QCOMPARE(back.outputOverride(), std::string("fc"));
        QCOMPARE(back.description, std::string("a test model"));

        QTemporaryDir dir;
        const std::string path = dir.filePath("m.json").toStdString();
        saveModelFile(g, path);
        QCOMPARE(serializeModel(loadModelFile(path)), text);
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files).size(), qsizetype(1)); // no temp file left
    }

    void malformedJsonNamesFieldOrLine()
    {
        struct Case {
            const char* text;
            const char* expect;
        } cases[] = {
            { "{\n  \"nodes\": [\n    {\"id\": \"a\", \"type\": \"Input\",}\n  ]\n}", "bad.json:3:" },
            { "[]", "must be an object" },
            { "{}", "nodes: is missing" },
            { R"({"nodes": {}})", "nodes: must be an array" },
            { R"({"nodes": [{"type": "Input"}]})", "nodes[0].id" },
            { R"({"nodes": [{"id": "x", "type": "Warp"}]})", "unknown layer type 'Warp'" },
            { R"({"nodes": [{"id": "x", "type": "Input", "params": {"channels": "three"}}]})",
                "nodes[0] ('x').params" },
            { R"({"nodes": [{"id": "x", "type": "Input", "params": {"channels": 0}}]})", "channels" },
            { R"({"nodes": [{"id": "x", "type": "Input"}, {"id": "x", "type": "ReLU"}]})", "used twice" },
            { R"({"nodes": [{"id": "r", "type": "ReLU", "inputs": ["ghost"]}]})", "'ghost', which does not exist" },
            { R"({"nodes": [{"id": "r", "type": "ReLU", "inputs": "x"}]})", "nodes[0] ('r').inputs" },
            { R"({"nodes": [{"id": "r", "type": "ReLU", "colour": 1}]})", "unknown field" },
            { R"({"version": 99, "nodes": []})", "version 99 is not supported" },
            { R"({"format": "onnx", "nodes": []})", "format" },
            { R"({"nodes": [], "output": "nowhere"})", "output" },
            { R"({"nodes": [], "training": 5})", "training" },
        };
        for (const auto& c : cases) {
            const std::string msg = expectThrow([&] { parseModelJson(c.text, "bad.json"); });
            QVERIFY2(msg.find(c.expect) != std::string::npos, (std::string(c.text) + " -> " + msg).c_str());
            QVERIFY2(msg.find("bad.json") != std::string::npos, msg.c_str());
        }
        const std::string missing = expectThrow([] { loadModelFile("/nonexistent/model.json"); });
        QVERIFY2(missing.find("/nonexistent/model.json") != std::string::npos, missing.c_str());
    }

    void templatesLoadAndValidate_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<qlonglong>("params");
        QTest::newRow("mlp") << "mlp.json" << qlonglong(784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);
        QTest::newRow("lenet5") << "lenet5.json" << qlonglong(61706);
        QTest::newRow("vgg-small") << "vgg-small.json" << qlonglong(467818);
    }
    void templatesLoadAndValidate()
    {
        QFETCH(QString, file);
        QFETCH(qlonglong, params);
        const std::string path = std::string(NETCANVAS_SOURCE_DIR) + "/models/" + file.toStdString();
        const ModelGraph g = loadModelFile(path);
        const GraphAnalysis a = g.validate();
        QCOMPARE(a.totalParams, int64_t(params));
        QCOMPARE(a.inputShape, (Shape { 1, 28, 28 }));
        QCOMPARE(a.outputShape, (Shape { 10 }));
        QVERIFY(!g.description.empty());
        QVERIFY(g.training.contains("epochs"));
        QCOMPARE(serializeModel(parseModelJson(serializeModel(g))), serializeModel(g));
    }

    void atomicWriteReplaces()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("f.txt").toStdString();
        writeFileAtomic(path, "first");
        writeFileAtomic(path, "second");
        QCOMPARE(readFile(path), std::string("second"));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files).size(), qsizetype(1));
        const std::string msg = expectThrow([] { writeFileAtomic("/proc/forbidden/x.txt", "x"); });
        QVERIFY2(msg.find("/proc/forbidden/x.txt") != std::string::npos, msg.c_str());
    }
};

QTEST_APPLESS_MAIN(TestGraph)
#include "test_graph.moc"
