// Transfer learning in the engine: weights loaded by name into another graph (the exact report),
// frozen nodes (bit-identical through training, incl. batch norm's running statistics and
// under weight decay, while the others change; a frozen node between trainable ones), the
// trainable/frozen counts, the model JSON's "trainable" field, fitting the head to a dataset's
// classes, and the session's by-name mode with its report in metrics.json.
#include "common/Fixtures.h"
#include "engine/core/Error.h"
#include "engine/graph/ModelJson.h"
#include "engine/io/Safetensors.h"
#include "engine/session/ModelWeights.h"
#include "engine/session/TrainingSession.h"
#include "engine/train/Trainer.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstring>
#include <map>

using namespace netcanvas;
using fixtures::makeNode;

namespace {

TrainConfig tinyConfig(int epochs = 2)
{
    TrainConfig c;
    c.epochs = epochs;
    c.batchSize = 16;
    c.optimizer.kind = "adamw";
    c.optimizer.learningRate = 0.01;
    c.optimizer.weightDecay = 0.1; // frozen tensors must not decay either
    c.seed = 5;
    c.threads = 1;
    c.device = "cpu";
    c.validationFraction = 0.0;
    c.testFraction = 0.0;
    return c;
}

// in → conv → bn → relu → pool → flat → fc(classes)
ModelGraph bnCnn(int classes = 3)
{
    ModelGraph g;
    g.name = "bn-cnn";
    g.addNode(makeNode("in", "Input", {}, { { "channels", 1 }, { "height", 8 }, { "width", 8 } }));
    g.addNode(makeNode("conv", "Conv2D", { "in" }, { { "filters", 4 }, { "kernel", 3 }, { "padding", "same" } }));
    g.addNode(makeNode("bn", "BatchNorm", { "conv" }));
    g.addNode(makeNode("relu", "ReLU", { "bn" }));
    g.addNode(makeNode("pool", "MaxPool2D", { "relu" }, { { "pool", 2 } }));
    g.addNode(makeNode("flat", "Flatten", { "pool" }));
    g.addNode(makeNode("fc", "Dense", { "flat" }, { { "units", classes } }));
    return g;
}

std::map<std::string, Tensor> valuesOf(Network& net)
{
    std::map<std::string, Tensor> out;
    for (const NamedParameter& p : net.parameters())
        out[p.key()] = net.hostCopy(p.param->value);
    return out;
}

bool bitIdentical(const Tensor& a, const Tensor& b)
{
    return a.shape() == b.shape()
        && std::memcmp(a.data(), b.data(), static_cast<size_t>(a.size()) * sizeof(float)) == 0;
}

std::shared_ptr<const Dataset> bars()
{
    static const auto data = std::make_shared<const Dataset>(fixtures::barsDataset(30, 4));
    return data;
}

// Trains `graph` two epochs; returns the values before and after.
std::pair<std::map<std::string, Tensor>, std::map<std::string, Tensor>> trainTwoEpochs(const ModelGraph& graph)
{
    auto cpu = createCpuBackend(1);
    Trainer trainer(graph, tinyConfig(), *cpu);
    auto before = valuesOf(trainer.network());
    DataSplit split;
    for (int64_t i = 0; i < bars()->size(); ++i)
        split.train.push_back(i);
    const TrainResult r = trainer.fit(*bars(), split);
    if (r.diverged || r.epochsCompleted != 2)
        qFatal("training failed: %s", r.message.c_str());
    return { std::move(before), valuesOf(trainer.network()) };
}

} // namespace

class TestTransfer : public QObject {
    Q_OBJECT

private slots:
    void loadByNameReportsLoadedSkippedNewAndUnused()
    {
        // Weights of barsCnn(3): conv.weight 8×1×3×3, conv.bias 8, fc.weight 3×128, fc.bias 3,
        // plus a tensor the new graph lacks.
        auto cpu = createCpuBackend(1);
        Network source(fixtures::barsCnn(3), *cpu, 11);
        auto weights = ModelWeights::capture(fixtures::barsCnn(3), source, {}, {});
        Tensor gone(Shape { 2 });
        gone.fill(1.0f);
        weights->values.emplace_back("gone.weight", std::move(gone));

        // Another graph: the same conv, a new hidden Dense, a head of 5 classes.
        ModelGraph target = fixtures::barsCnn(5);
        target.removeNode("fc");
        target.addNode(makeNode("hidden", "Dense", { "flat" }, { { "units", 16 } }));
        target.addNode(makeNode("fc", "Dense", { "hidden" }, { { "units", 5 } }));
        Network net(target, *cpu, 99);
        const auto init = valuesOf(net);
        const WeightsLoadReport report = weights->loadByName(net);

        QCOMPARE(report.loaded, (std::vector<std::string> { "conv.weight", "conv.bias" }));
        QCOMPARE(report.skipped.size(), size_t(2));
        QCOMPARE(report.skipped[0].key, std::string("fc.weight"));
        QCOMPARE(report.skipped[0].weights, Shape({ 3, 128 }));
        QCOMPARE(report.skipped[0].model, Shape({ 5, 16 }));
        QCOMPARE(report.skipped[1].key, std::string("fc.bias"));
        QCOMPARE(report.skipped[1].weights, Shape({ 3 }));
        QCOMPARE(report.skipped[1].model, Shape({ 5 }));
        QCOMPARE(report.fresh, (std::vector<std::string> { "hidden.weight", "hidden.bias" }));
        QCOMPARE(report.unused, (std::vector<std::string> { "gone.weight" }));

        // Loaded tensors hold the weights' values; skipped and new ones their initialization.
        const auto after = valuesOf(net);
        const auto src = valuesOf(source);
        QVERIFY(bitIdentical(after.at("conv.weight"), src.at("conv.weight")));
        QVERIFY(bitIdentical(after.at("conv.bias"), src.at("conv.bias")));
        for (const char* k : { "fc.weight", "fc.bias", "hidden.weight", "hidden.bias" })
            QVERIFY2(bitIdentical(after.at(k), init.at(k)), k);

        // The lines people read and the JSON summary say the same.
        const std::vector<std::string> lines = report.lines();
        QCOMPARE(lines.size(), size_t(5));
        QCOMPARE(lines[0], std::string("loaded 2 tensors: conv.weight, conv.bias"));
        QCOMPARE(lines[1],
            std::string("skipped fc.weight: 3\u00d7128 in the weights, 5\u00d716 in the model (initialized)"));
        QCOMPARE(lines[3], std::string("new (initialized): hidden.weight, hidden.bias"));
        QCOMPARE(lines[4], std::string("unused (not in the model): gone.weight"));
        const nlohmann::json j = report.toJson();
        QCOMPARE(j["skipped"][0]["tensor"].get<std::string>(), std::string("fc.weight"));
        QCOMPARE(j["skipped"][0]["weights_shape"], nlohmann::json({ 3, 128 }));
        QCOMPARE(j["skipped"][0]["model_shape"], nlohmann::json({ 5, 16 }));
        QCOMPARE(j["new"].size(), size_t(2));
        QCOMPARE(j["loaded"].size(), size_t(2));

        // Fresh nodes are initialized even where the weights fit (a replaced head).
        Network same(fixtures::barsCnn(3), *cpu, 99);
        const WeightsLoadReport replaced = weights->loadByName(same, { "fc" });
        QCOMPARE(replaced.loaded, (std::vector<std::string> { "conv.weight", "conv.bias" }));
        QCOMPARE(replaced.fresh, (std::vector<std::string> { "fc.weight", "fc.bias" }));
        QCOMPARE(replaced.unused, (std::vector<std::string> { "gone.weight" }));
    }

    void frozenNodesStayBitIdenticalWhileOthersTrain()
    {
        // Frozen prefix: conv and bn (incl. running statistics), under AdamW weight decay.
        ModelGraph g = bnCnn();
        g.node("conv")->trainable = false;
        g.node("bn")->trainable = false;
        const auto [before, after] = trainTwoEpochs(g);
        for (const char* k : { "conv.weight", "conv.bias", "bn.gamma", "bn.beta", "bn.running_mean", "bn.running_var" })
            QVERIFY2(bitIdentical(before.at(k), after.at(k)), k);
        QVERIFY(!bitIdentical(before.at("fc.weight"), after.at("fc.weight")));
        QVERIFY(!bitIdentical(before.at("fc.bias"), after.at("fc.bias")));

        // A frozen node between trainable ones: the gradient passes through it.
        ModelGraph middle = bnCnn();
        middle.node("bn")->trainable = false;
        const auto [b2, a2] = trainTwoEpochs(middle);
        for (const char* k : { "bn.gamma", "bn.beta", "bn.running_mean", "bn.running_var" })
            QVERIFY2(bitIdentical(b2.at(k), a2.at(k)), k);
        QVERIFY(!bitIdentical(b2.at("conv.weight"), a2.at("conv.weight")));
        QVERIFY(!bitIdentical(b2.at("fc.weight"), a2.at("fc.weight")));

        // Unfrozen, the same nodes do train (the check above is not vacuous).
        const auto [b3, a3] = trainTwoEpochs(bnCnn());
        for (const char* k : { "conv.weight", "bn.gamma", "bn.running_mean" })
            QVERIFY2(!bitIdentical(b3.at(k), a3.at(k)), k);
    }

    void frozenPrefixGetsNoGradients()
    {
        auto cpu = createCpuBackend(1);
        ModelGraph g = bnCnn();
        g.node("conv")->trainable = false;
        g.node("bn")->trainable = false;
        Network net(g, *cpu);
        net.setFrozenNodes(g.frozenNodes());
        QVERIFY(net.isFrozen("conv") && net.isFrozen("bn") && !net.isFrozen("fc"));
        std::vector<std::string> keys;
        for (const NamedParameter& p : net.trainableParameters())
            keys.push_back(p.key());
        QCOMPARE(keys, (std::vector<std::string> { "fc.weight", "fc.bias" }));
        Tensor x(Shape { 2, 1, 8, 8 });
        x.fill(0.5f);
        const Tensor& out = net.forward(x, true);
        Tensor grad(out.shape());
        grad.fill(1.0f);
        net.backward(grad);
        // Nothing before fc is trained: the pass ends at fc, whose weight gradient it computes.
        QVERIFY(net.hasGradient("fc"));
        for (const char* id : { "flat", "pool", "relu", "bn", "conv" })
            QVERIFY2(!net.hasGradient(id), id);
        const Tensor fcGrad = net.hostCopy(net.trainableParameters().front().param->grad);
        float sumAbs = 0.0f;
        for (int64_t i = 0; i < fcGrad.size(); ++i)
            sumAbs += std::abs(fcGrad.data()[i]);
        QVERIFY(sumAbs > 0.0f);
        // Saliency needs every gradient: with the input's gradient kept nothing is skipped.
        net.setKeepInputGradient(true);
        net.forward(x, true);
        net.backward(grad);
        QVERIFY(net.hasGradient("conv") && net.hasGradient("in"));
        QVERIFY_THROWS_EXCEPTION(GraphError, net.setFrozenNodes({ "nope" }));
    }

    void countsTrainableAndFrozenParameters()
    {
        ModelGraph g = bnCnn();
        const GraphAnalysis all = g.analyze();
        QCOMPARE(all.frozenParams, int64_t(0));
        g.node("conv")->trainable = false;
        g.node("bn")->trainable = false;
        const GraphAnalysis a = g.analyze();
        // conv 4·9+4 = 40; bn gamma, beta, running mean and variance 4·4 = 16.
        QCOMPARE(a.frozenParams, int64_t(56));
        QCOMPARE(a.totalParams, all.totalParams);
        QCOMPARE(a.totalParams - a.frozenParams, a.nodes.at("fc").params);
        QCOMPARE(g.frozenNodes(), (std::vector<std::string> { "conv", "bn" }));
    }

    void trainableRoundTripsThroughJson()
    {
        ModelGraph g = bnCnn();
        g.node("conv")->trainable = false;
        const std::string text = serializeModel(g);
        const nlohmann::json j = nlohmann::json::parse(text);
        QCOMPARE(j["nodes"][1]["trainable"], nlohmann::json(false));
        QVERIFY(!j["nodes"][2].contains("trainable")); // written only when frozen
        const ModelGraph back = parseModelJson(text, "g.json");
        QVERIFY(!back.node("conv")->trainable);
        QVERIFY(back.node("bn")->trainable);
        QCOMPARE(serializeModel(back), text);

        nlohmann::json bad = j;
        bad["nodes"][1]["trainable"] = "no";
        try {
            parseModelJson(bad.dump(), "bad.json");
            QFAIL("a non-boolean trainable was accepted");
        } catch (const FormatError& e) {
            const std::string msg = e.what();
            QVERIFY2(msg.find("bad.json") != std::string::npos && msg.find("trainable") != std::string::npos
                    && msg.find("conv") != std::string::npos,
                msg.c_str());
        }
    }

    void fitOutputSetsTheHeadsUnits()
    {
        ModelGraph g = bnCnn(3);
        g.addNode(makeNode("soft", "Softmax", { "fc" }));
        QCOMPARE(outputDenseLayer(g, g.analyze()), std::string("fc"));
        QCOMPARE(fitOutputToClasses(g, 7), std::string("fc"));
        QCOMPARE(g.analyze().outputShape, Shape({ 7 }));

        ModelGraph noHead;
        noHead.addNode(makeNode("in", "Input", {}, { { "channels", 1 }, { "height", 8 }, { "width", 8 } }));
        noHead.addNode(makeNode("flat", "Flatten", { "in" }));
        QVERIFY_THROWS_EXCEPTION(GraphError, fitOutputToClasses(noHead, 3));
    }

    void sessionLoadsByNameAndReportsIt()
    {
        QTemporaryDir dir;
        auto cpu = createCpuBackend(1);
        Network source(fixtures::barsCnn(3), *cpu, 21);
        const std::string file = dir.filePath("w.safetensors").toStdString();
        saveWeights(file, source);

        // Another head (conv kept): by name from the file; the strict mode refuses it.
        ModelGraph target = fixtures::barsCnn(3);
        target.node("conv")->trainable = false;
        SessionSettings s;
        s.config = tinyConfig(1);
        s.config.testFraction = 0.2;
        s.initialWeightsFile = file;
        s.weightsLoading = WeightsLoading::ByName;
        s.freshNodes = { "fc" };
        TrainingSession session(target, bars(), s);
        const SessionResult r = session.run();
        QVERIFY(session.weightsLoadReport());
        QCOMPARE(session.weightsLoadReport()->loaded, (std::vector<std::string> { "conv.weight", "conv.bias" }));
        QCOMPARE(session.weightsLoadReport()->fresh, (std::vector<std::string> { "fc.weight", "fc.bias" }));
        // The frozen conv kept the file's values.
        const auto trained = valuesOf(session.network());
        QVERIFY(bitIdentical(trained.at("conv.weight"), valuesOf(source).at("conv.weight")));
        const nlohmann::json metrics = session.metricsJson(r);
        QCOMPARE(metrics["init_weights"]["loaded"].size(), size_t(2));
        QCOMPARE(metrics["frozen_parameters"].get<int64_t>(), int64_t(8 * 9 + 8));

        // No tensor in common: an error naming the file.
        ModelGraph other;
        other.addNode(makeNode("in", "Input", {}, { { "channels", 1 }, { "height", 8 }, { "width", 8 } }));
        other.addNode(makeNode("flat", "Flatten", { "in" }));
        other.addNode(makeNode("out", "Dense", { "flat" }, { { "units", 3 } }));
        TrainingSession none(other, bars(), s);
        try {
            none.prepare();
            QFAIL("weights with no tensor in common were accepted");
        } catch (const GraphError& e) {
            QVERIFY2(std::string(e.what()).find(file) != std::string::npos, e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestTransfer)
#include "test_transfer.moc"
