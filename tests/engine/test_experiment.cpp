// Experiments (engine/session/Experiment*, Lesson), headless: a variant for every variation
// kind changes exactly its variable and validates; batch norm on/off inserts and removes
// BatchNorm nodes; depth repeats and removes hidden blocks; bad values name the variable; the
// parallel plan never oversubscribes; the queue runs every variant with one seed and one split
// (identical variants give identical curves, also two at a time); stop ends the queue; the
// ranking, JSON, text table and HTML report; the shipped lessons parse and build their variants.
#include "common/Fixtures.h"
#include "engine/core/Error.h"
#include "engine/io/AtomicFile.h"
#include "engine/session/ExperimentReport.h"
#include "engine/session/ExperimentRunner.h"
#include "engine/session/Lesson.h"

#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <mutex>

using namespace netcanvas;
using fixtures::makeNode;

namespace {

// Input 1×8×8 → Flatten → fc1 Dense 16 → act1 ReLU → fc2 Dense 16 → act2 ReLU → out Dense 3.
ModelGraph mlp()
{
    ModelGraph g;
    g.name = "mlp";
    g.addNode(makeNode("in", "Input", {}, { { "channels", 1 }, { "height", 8 }, { "width", 8 } }));
    g.addNode(makeNode("flat", "Flatten", { "in" }));
    g.addNode(makeNode("fc1", "Dense", { "flat" }, { { "units", 16 } }));
    g.addNode(makeNode("act1", "ReLU", { "fc1" }));
    g.addNode(makeNode("fc2", "Dense", { "act1" }, { { "units", 16 } }));
    g.addNode(makeNode("act2", "ReLU", { "fc2" }));
    g.addNode(makeNode("out", "Dense", { "act2" }, { { "units", 3 } }));
    return g;
}

TrainConfig tiny(int epochs = 2)
{
    TrainConfig c;
    c.epochs = epochs;
    c.batchSize = 16;
    c.optimizer.kind = "adam";
    c.optimizer.learningRate = 0.01;
    c.seed = 5;
    c.device = "cpu";
    c.validationFraction = 0.2;
    c.testFraction = 0.2;
    return c;
}

std::shared_ptr<const Dataset> bars()
{
    static const auto data = std::make_shared<const Dataset>(fixtures::barsDataset(40, 3));
    return data;
}

int countType(const ModelGraph& g, const std::string& type)
{
    int n = 0;
    for (const GraphNode& node : g.nodes())
        n += node.type == type;
    return n;
}

std::vector<Variant> vary(const ModelGraph& g, VariationKind kind, std::vector<std::string> values)
{
    return makeVariants(g, tiny(), Variation { kind, std::move(values) });
}

} // namespace

class TestExperiment : public QObject {
    Q_OBJECT

private slots:
    void everyKindHasACase()
    {
        // Each kind is exercised below; this list fails when a kind is added without a case.
        QCOMPARE(static_cast<int>(variationKinds().size()), 12);
        for (const VariationInfo& v : variationKinds()) {
            QCOMPARE(variationKindFromName(v.name), v.kind);
            QVERIFY(!v.suggestedValues.empty());
            // The suggested values apply to the project's own MLP template shape.
            const auto variants = vary(mlp(), v.kind, v.suggestedValues);
            QCOMPARE(variants.size(), v.suggestedValues.size());
        }
        QVERIFY_THROWS_EXCEPTION(FormatError, variationKindFromName("colour"));
    }

    void activationChangesEveryActivationOnly()
    {
        const auto v = vary(mlp(), VariationKind::Activation, { "tanh", "Sigmoid" });
        QCOMPARE(v[0].graph.node("act1")->type, std::string("Tanh"));
        QCOMPARE(v[0].graph.node("act2")->type, std::string("Tanh"));
        QCOMPARE(v[1].graph.node("act2")->type, std::string("Sigmoid"));
        QCOMPARE(v[0].label, std::string("activation = tanh"));
        QCOMPARE(v[0].graph.nodes().size(), mlp().nodes().size());
        QVERIFY(sameInitialWeights(v));
        QVERIFY(sameDataOrder(v));
        QVERIFY(QString::fromStdString(controlledFor(v)).contains("same initial weights"));
        try {
            vary(mlp(), VariationKind::Activation, { "Swish" });
            QFAIL("no error");
        } catch (const FormatError& e) {
            QVERIFY2(QString(e.what()).contains("activation") && QString(e.what()).contains("Swish"), e.what());
        }
        ModelGraph none;
        none.addNode(makeNode("in", "Input", {}, { { "channels", 1 }, { "height", 8 }, { "width", 8 } }));
        none.addNode(makeNode("flat", "Flatten", { "in" }));
        none.addNode(makeNode("out", "Dense", { "flat" }, { { "units", 3 } }));
        QVERIFY_THROWS_EXCEPTION(GraphError, vary(none, VariationKind::Activation, { "ReLU" }));
    }

    void initializerSetsEveryLinearLayer()
    {
        const auto v = vary(fixtures::barsCnn(), VariationKind::Initializer, { "he_normal", "normal:0.5", "zeros" });
        QCOMPARE(v[0].graph.node("conv")->params["init"].get<std::string>(), std::string("he_normal"));
        QCOMPARE(v[1].graph.node("fc")->params["init"].get<std::string>(), std::string("normal"));
        QCOMPARE(v[1].graph.node("fc")->params["init_std"].get<double>(), 0.5);
        QVERIFY(!sameInitialWeights(v));
        QVERIFY(sameDataOrder(v));
        QVERIFY_THROWS_EXCEPTION(FormatError, vary(mlp(), VariationKind::Initializer, { "he_normal:2" }));
        QVERIFY_THROWS_EXCEPTION(FormatError, vary(mlp(), VariationKind::Initializer, { "orthogonal" }));
    }

    void dropoutInsertsAfterHiddenActivationsOrSetsTheRate()
    {
        const auto v = vary(mlp(), VariationKind::Dropout, { "0", "0.5" });
        QCOMPARE(countType(v[0].graph, "Dropout"), 0);
        QCOMPARE(countType(v[1].graph, "Dropout"), 2);
        const GraphAnalysis a = v[1].graph.validate();
        // Each Dropout sits between an activation and the next Dense; the head is untouched.
        for (const GraphNode& n : v[1].graph.nodes())
            if (n.type == "Dropout") {
                QCOMPARE(v[1].graph.node(n.inputs[0])->type, std::string("ReLU"));
                QCOMPARE(n.params["rate"].get<double>(), 0.5);
                QCOMPARE(v[1].graph.node(v[1].graph.consumers(n.id)[0])->type, std::string("Dense"));
            }
        QCOMPARE(a.outputNode, std::string("out"));
        // A model with Dropout nodes keeps its structure (and its initial weights).
        const auto again = vary(v[1].graph, VariationKind::Dropout, { "0", "0.3" });
        QCOMPARE(countType(again[0].graph, "Dropout"), 2);
        QCOMPARE(again[1].graph.node("dropout1") ? 1 : 0, 1);
        QVERIFY(sameInitialWeights(again));
        QVERIFY_THROWS_EXCEPTION(FormatError, vary(mlp(), VariationKind::Dropout, { "1.5" }));
    }

    void batchNormOnInsertsAndOffRemoves()
    {
        const auto on = vary(mlp(), VariationKind::BatchNorm, { "on" });
        const ModelGraph& g = on[0].graph;
        QCOMPARE(countType(g, "BatchNorm"), 2);
        for (const GraphNode& n : g.nodes())
            if (n.type == "BatchNorm") {
                QCOMPARE(g.node(n.inputs[0])->type, std::string("Dense"));
                QCOMPARE(g.node(g.consumers(n.id)[0])->type, std::string("ReLU"));
            }
        QVERIFY(g.validate().ok);
        QVERIFY(g.analyze().totalParams > mlp().analyze().totalParams);
        // On twice adds nothing; off on the normalized model gives back the original edges.
        QCOMPARE(countType(vary(g, VariationKind::BatchNorm, { "on" })[0].graph, "BatchNorm"), 2);
        const ModelGraph off = vary(g, VariationKind::BatchNorm, { "off" })[0].graph;
        QCOMPARE(countType(off, "BatchNorm"), 0);
        QCOMPARE(off.node("act1")->inputs, std::vector<std::string> { "fc1" });
        QCOMPARE(off.node("act2")->inputs, std::vector<std::string> { "fc2" });
        QCOMPARE(off.analyze().totalParams, mlp().analyze().totalParams);
        // On a CNN: after the convolution, not after the head.
        const ModelGraph cnn = vary(fixtures::barsCnn(), VariationKind::BatchNorm, { "on" })[0].graph;
        QCOMPARE(countType(cnn, "BatchNorm"), 1);
        QCOMPARE(cnn.node("relu")->inputs.size(), size_t(1));
        QCOMPARE(cnn.node(cnn.node("relu")->inputs[0])->type, std::string("BatchNorm"));
        QVERIFY_THROWS_EXCEPTION(FormatError, vary(mlp(), VariationKind::BatchNorm, { "sometimes" }));
    }

    void depthRepeatsOrRemovesHiddenBlocks()
    {
        const auto v = vary(mlp(), VariationKind::Depth, { "0", "1", "2", "4" });
        QCOMPARE(countType(v[0].graph, "Dense"), 1);
        QCOMPARE(countType(v[1].graph, "Dense"), 2);
        QCOMPARE(countType(v[2].graph, "Dense"), 3);
        QCOMPARE(countType(v[3].graph, "Dense"), 5);
        QCOMPARE(countType(v[3].graph, "ReLU"), 4);
        for (const Variant& x : v) {
            const GraphAnalysis a = x.graph.validate();
            QCOMPARE(a.outputNode, std::string("out"));
            QCOMPARE(a.outputShape.numel(), int64_t(3));
        }
        // depth 0: the head reads the flattened input.
        QCOMPARE(v[0].graph.node("out")->inputs, std::vector<std::string> { "flat" });
        QVERIFY_THROWS_EXCEPTION(FormatError, vary(mlp(), VariationKind::Depth, { "1.5" }));
        QVERIFY_THROWS_EXCEPTION(GraphError, vary(fixtures::barsCnn(), VariationKind::Depth, { "2" }));
    }

    void widthSetsHiddenUnitsOrScales()
    {
        const auto v = vary(mlp(), VariationKind::Width, { "8", "x2" });
        QCOMPARE(v[0].graph.node("fc1")->params["units"].get<int64_t>(), int64_t(8));
        QCOMPARE(v[0].graph.node("fc2")->params["units"].get<int64_t>(), int64_t(8));
        QCOMPARE(v[0].graph.node("out")->params["units"].get<int64_t>(), int64_t(3));
        QCOMPARE(v[1].graph.node("fc1")->params["units"].get<int64_t>(), int64_t(32));
        QCOMPARE(v[1].graph.node("out")->params["units"].get<int64_t>(), int64_t(3));
        const auto cnn = vary(fixtures::barsCnn(), VariationKind::Width, { "x0.5" });
        QCOMPARE(cnn[0].graph.node("conv")->params["filters"].get<int64_t>(), int64_t(4));
    }

    void trainingSettings()
    {
        const auto o = vary(mlp(), VariationKind::Optimizer, { "sgd", "adam:0.001", "RMSprop" });
        QCOMPARE(o[0].config.optimizer.kind, std::string("sgd"));
        QCOMPARE(o[0].config.optimizer.learningRate, 0.01);
        QCOMPARE(o[1].config.optimizer.kind, std::string("adam"));
        QCOMPARE(o[1].config.optimizer.learningRate, 0.001);
        QCOMPARE(o[2].config.optimizer.kind, std::string("rmsprop"));
        QVERIFY(sameInitialWeights(o));
        QCOMPARE(vary(mlp(), VariationKind::LearningRate, { "0.1" })[0].config.optimizer.learningRate, 0.1);
        const auto b = vary(mlp(), VariationKind::BatchSize, { "8", "32" });
        QCOMPARE(b[1].config.batchSize, int64_t(32));
        QVERIFY(!sameDataOrder(b));
        QVERIFY(sameInitialWeights(b));
        QCOMPARE(vary(mlp(), VariationKind::WeightDecay, { "0.01" })[0].config.optimizer.weightDecay, 0.01);
        QCOMPARE(vary(mlp(), VariationKind::L1, { "0.001" })[0].config.optimizer.l1, 0.001);
        QCOMPARE(vary(mlp(), VariationKind::L2, { "0.002" })[0].config.optimizer.l2, 0.002);
        // The base is never changed, values must be new and in range.
        QCOMPARE(mlp().node("act1")->type, std::string("ReLU"));
        QVERIFY_THROWS_EXCEPTION(FormatError, vary(mlp(), VariationKind::LearningRate, { "-1" }));
        QVERIFY_THROWS_EXCEPTION(FormatError, vary(mlp(), VariationKind::LearningRate, { "fast" }));
        QVERIFY_THROWS_EXCEPTION(FormatError, vary(mlp(), VariationKind::LearningRate, { "0.1", "0.1" }));
        QVERIFY_THROWS_EXCEPTION(FormatError, vary(mlp(), VariationKind::LearningRate, {}));
        QVERIFY_THROWS_EXCEPTION(FormatError, vary(mlp(), VariationKind::Optimizer, { "lbfgs" }));
    }

    void parallelPlanNeverOversubscribes()
    {
        for (int cores : { 1, 2, 3, 8 })
            for (int variants : { 1, 2, 5 })
                for (int maxParallel : { 1, 2, 4, 16 }) {
                    const ParallelPlan p = planParallelism(cores, variants, maxParallel);
                    QVERIFY(p.parallel >= 1 && p.threadsEach >= 1);
                    QVERIFY(p.parallel <= variants && p.parallel <= maxParallel);
                    QVERIFY(p.parallel * p.threadsEach <= std::max(cores, 1));
                }
        QCOMPARE(planParallelism(8, 3, 4).threadsEach, 2);
        QCOMPARE(planParallelism(2, 4, 2).parallel, 2);
        QCOMPARE(planParallelism(2, 4, 2).threadsEach, 1);
    }

    void queueRunsEveryVariantWithOneSeedAndSplit()
    {
        // Two identical learning rates under different labels would be refused; the same value
        // through two kinds that do not change the run (l1 = 0 and l2 = 0) gives twins.
        std::vector<Variant> variants = vary(mlp(), VariationKind::L1, { "0", "0.0" });
        variants.push_back(vary(mlp(), VariationKind::Activation, { "Tanh" })[0]);
        for (int parallel : { 1, 2 }) {
            ExperimentOptions options;
            options.cores = 2;
            options.maxParallel = parallel;
            ExperimentRunner runner(variants, bars(), options);
            QCOMPARE(runner.plan().parallel, parallel);
            std::mutex m;
            std::vector<int> started, epochs(3, 0);
            ExperimentHooks hooks;
            hooks.onStart = [&](int i) {
                std::lock_guard lock(m);
                started.push_back(i);
            };
            hooks.onEpoch = [&](int i, const EpochEvent&) {
                std::lock_guard lock(m);
                ++epochs[static_cast<size_t>(i)];
            };
            const std::vector<VariantOutcome> out = runner.run(hooks);
            QCOMPARE(out.size(), size_t(3));
            QCOMPARE(started.size(), size_t(3));
            for (size_t i = 0; i < out.size(); ++i) {
                QVERIFY2(out[i].state == VariantOutcome::State::Finished, out[i].message.c_str());
                QCOMPARE(out[i].history.size(), size_t(2));
                QCOMPARE(epochs[i], 2);
                QVERIFY(out[i].tested);
                QVERIFY(out[i].parameters > 0);
                QVERIFY(std::isfinite(out[i].bestValidationAccuracy));
                QVERIFY(!out[i].layers.empty());
            }
            // Same seed, split and batches: the twins' curves are identical, even side by side.
            for (size_t e = 0; e < 2; ++e) {
                QCOMPARE(out[0].history[e].trainLoss, out[1].history[e].trainLoss);
                QCOMPARE(out[0].history[e].validationLoss, out[1].history[e].validationLoss);
            }
            QVERIFY(out[2].history[0].trainLoss != out[0].history[0].trainLoss);
            bool sawSaturation = false;
            for (const LayerSummary& l : out[2].layers)
                sawSaturation = sawSaturation || (l.type == "Tanh" && l.saturatedFraction >= 0.0);
            QVERIFY(sawSaturation);
        }
    }

    void stopEndsTheQueue()
    {
        std::vector<Variant> variants = vary(mlp(), VariationKind::LearningRate, { "0.01", "0.02", "0.03" });
        for (Variant& v : variants)
            v.config.epochs = 50;
        ExperimentOptions options;
        options.cores = 1;
        ExperimentRunner runner(variants, bars(), options);
        ExperimentHooks hooks;
        hooks.onEpoch = [&](int, const EpochEvent& e) {
            if (e.epoch == 1)
                runner.requestStop();
        };
        const auto out = runner.run(hooks);
        QCOMPARE(out[0].state, VariantOutcome::State::Stopped);
        QVERIFY(out[0].history.size() < 50);
        QCOMPARE(out[1].state, VariantOutcome::State::Stopped);
        QVERIFY(out[1].history.empty());
        QVERIFY(QString::fromStdString(out[2].message).contains("not started"));
    }

    void overfittingAndRanking()
    {
        VariantOutcome a, b, c, d;
        a.label = "a";
        a.state = VariantOutcome::State::Finished;
        a.bestValidationAccuracy = 0.7;
        a.bestValidationLoss = 0.8;
        b = a;
        b.label = "b";
        b.bestValidationAccuracy = 0.9;
        c = a;
        c.label = "c";
        c.state = VariantOutcome::State::Diverged;
        c.bestValidationAccuracy = std::nan("");
        d = a;
        d.label = "d";
        d.bestValidationLoss = 0.5; // ties a on accuracy, lower loss
        QCOMPARE(rankOutcomes({ a, b, c, d }), (std::vector<int> { 1, 3, 0, 2 }));

        VariantOutcome o;
        auto epoch = [](double trainLoss, double trainAcc, double valLoss, double valAcc) {
            EpochEvent e;
            e.trainLoss = trainLoss;
            e.trainAccuracy = trainAcc;
            e.validationLoss = valLoss;
            e.validationAccuracy = valAcc;
            return e;
        };
        o.history = { epoch(1.0, 0.6, 1.0, 0.6), epoch(0.5, 0.8, 0.8, 0.75) };
        flagOverfitting(o);
        QVERIFY(!o.overfitting);
        QCOMPARE(o.gap, 0.8 - 0.75);
        o.history.push_back(epoch(0.2, 0.95, 0.9, 0.78)); // gap 0.17
        flagOverfitting(o);
        QVERIFY(o.overfitting);
        o.history = { epoch(1.0, 0.6, 1.0, 0.6), epoch(0.5, 0.7, 0.6, 0.68), epoch(0.4, 0.72, 0.7, 0.66) };
        flagOverfitting(o); // small gap, but the validation loss rose 17% while training loss fell
        QVERIFY(o.overfitting);
    }

    void reportsJsonTextAndHtml()
    {
        std::vector<Variant> variants = vary(fixtures::barsCnn(), VariationKind::Activation, { "ReLU", "Sigmoid" });
        ExperimentOptions options;
        options.cores = 2;
        options.maxParallel = 2;
        options.keepWeights = true;
        QTemporaryDir dir;
        options.outputDir = dir.path().toStdString();
        ExperimentRunner runner(variants, bars(), options);
        ExperimentReport r;
        r.outcomes = runner.run();
        r.title = "ReLU <vs> Sigmoid";
        r.variable = "Activation";
        r.controlled = controlledFor(variants);
        r.graph = fixtures::barsCnn();
        r.classNames = bars()->classNames;
        r.plan = runner.plan();
        // Each variant has its run folder.
        QVERIFY(std::filesystem::exists(dir.filePath("variant-1/weights.safetensors").toStdString()));
        QVERIFY(std::filesystem::exists(dir.filePath("variant-2/metrics.json").toStdString()));

        const nlohmann::json j = experimentJson(r);
        QCOMPARE(j["ranking"].size(), size_t(2));
        QCOMPARE(j["ranking"][0]["rank"].get<int>(), 1);
        QVERIFY(j["ranking"][0]["best_validation_accuracy"].get<double>()
            >= j["ranking"][1]["best_validation_accuracy"].get<double>());
        QCOMPARE(j["ranking"][0]["history"].size(), size_t(2));
        QVERIFY(j["ranking"][0]["layers"].size() > 0);

        const std::string text = rankingText(r);
        QVERIFY(text.find("activation = ReLU") != std::string::npos);
        QVERIFY(text.find("activation = Sigmoid") != std::string::npos);
        QVERIFY(text.find("same initial weights") != std::string::npos);

        const ReportImage maps = featureMapPicture(*r.outcomes[0].weights, *bars(), 0);
        QVERIFY(maps.png.size() > 8);
        QCOMPARE(maps.png[1], uint8_t('P'));
        r.images.push_back(maps);
        const std::string html = experimentHtml(r);
        QVERIFY(html.find("<!DOCTYPE html>") == 0);
        QVERIFY(html.find("ReLU &lt;vs&gt; Sigmoid") != std::string::npos); // escaped
        QVERIFY(html.find("<polyline") != std::string::npos); // curves
        QVERIFY(html.find("class='cm'") != std::string::npos); // confusion matrix
        QVERIFY(html.find("data:image/png;base64,iVBORw0KGgo") != std::string::npos); // inlined PNG
        QVERIFY(html.find("Conv2D") != std::string::npos); // the model drawn
        QVERIFY(html.find("http") == std::string::npos || html.find("http://www.w3.org/2000/svg") != std::string::npos);
    }

    void base64MatchesRfc4648()
    {
        auto b = [](const std::string& s) { return base64(std::vector<uint8_t>(s.begin(), s.end())); };
        QCOMPARE(b(""), std::string(""));
        QCOMPARE(b("f"), std::string("Zg=="));
        QCOMPARE(b("fo"), std::string("Zm8="));
        QCOMPARE(b("foo"), std::string("Zm9v"));
        QCOMPARE(b("foobar"), std::string("Zm9vYmFy"));
    }

    void lessonsParseAndBuildTheirVariants()
    {
        const auto files = lessonFiles(NETCANVAS_SOURCE_DIR "/resources/lessons");
        QCOMPARE(files.size(), size_t(5));
        for (const std::string& f : files) {
            const Lesson l = loadLesson(f);
            QVERIFY2(l.hasModel, f.c_str());
            QVERIFY2(!l.title.empty() && !l.text.empty() && !l.lookAt.empty(), f.c_str());
            QVERIFY2(!l.dataset.empty(), f.c_str());
            QVERIFY2(l.variation.values.size() >= 2, f.c_str());
            const auto variants = makeVariants(l.graph, l.config, l.variation);
            QCOMPARE(variants.size(), l.variation.values.size());
        }
    }

    void malformedLessonsNameFileAndKey()
    {
        auto fails = [](const char* text, const char* needle) {
            try {
                parseLesson(nlohmann::json::parse(text), "lessons/bad.json");
                return QString("no error");
            } catch (const FormatError& e) {
                const QString msg = e.what();
                return msg.contains("lessons/bad.json") && msg.contains(needle) ? QString() : msg;
            }
        };
        QCOMPARE(fails(R"({"values": ["a"]})", "variable"), QString());
        QCOMPARE(fails(R"({"variable": "colour", "values": ["a"]})", "colour"), QString());
        QCOMPARE(fails(R"({"variable": "activation", "values": []})", "values"), QString());
        QCOMPARE(fails(R"({"variable": "activation", "values": [true]})", "values"), QString());
        QCOMPARE(fails(R"({"variable": "activation", "values": ["ReLU"], "extra": 1})", "extra"), QString());
        QCOMPARE(fails(R"({"variable": "activation", "values": ["ReLU"], "training": {"epochs": -3}})", "epochs"),
            QString());
        QCOMPARE(
            fails(R"({"variable": "activation", "values": ["ReLU"], "samples_per_class": -1})", "samples_per_class"),
            QString());
        QCOMPARE(fails(R"({"variable": "activation", "values": ["ReLU"], "version": 7})", "version"), QString());
        QCOMPARE(fails(R"([1, 2])", "object"), QString());
        // The inline spec of the CLI.
        const Lesson l = inlineExperiment("learning_rate=0.1,0.01");
        QCOMPARE(l.variation.kind, VariationKind::LearningRate);
        QCOMPARE(l.variation.values, (std::vector<std::string> { "0.1", "0.01" }));
        QVERIFY_THROWS_EXCEPTION(FormatError, inlineExperiment("learning_rate"));
        QVERIFY_THROWS_EXCEPTION(FormatError, inlineExperiment("learning_rate=0.1,,0.2"));
        // A lesson round trip through a file, with a relative dataset path.
        QTemporaryDir dir;
        const std::string path = dir.filePath("x.json").toStdString();
        writeFileAtomic(path, R"({"format": "netcanvas-lesson", "version": 1, "variable": "dropout",
            "values": [0, 0.5], "dataset": "../data", "samples_per_class": 7})");
        const Lesson x = loadLesson(path);
        QCOMPARE(x.variation.values, (std::vector<std::string> { "0", "0.5" }));
        QCOMPARE(x.samplesPerClass, int64_t(7));
        QCOMPARE(x.id, std::string("x"));
        QCOMPARE(std::filesystem::path(x.dataset).filename().string(), std::string("data"));
    }

    void subsetKeepsTheFirstSamplesOfEachClass()
    {
        const Dataset s = subsetPerClass(*bars(), 5);
        QCOMPARE(s.size(), int64_t(15));
        QCOMPARE(s.classCounts(), (std::vector<int64_t> { 5, 5, 5 }));
        QCOMPARE(s.pixels.size(), size_t(15 * 64));
        QCOMPARE(s.sources[0], bars()->sources[0]);
        QCOMPARE(s.officialTestBegin, int64_t(-1));
        QCOMPARE(subsetPerClass(*bars(), 0).size(), bars()->size());
    }
};

QTEST_GUILESS_MAIN(TestExperiment)
#include "test_experiment.moc"
