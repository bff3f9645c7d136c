// The engine's one training workflow, TrainingSession, headless (no QApplication): hooks,
// pause and stop from another thread, cancel, fine-tuning from ModelWeights and from a
// weights file, a mismatch named, the test evaluation, weights saved and loaded back for
// inference, and the run folder the CLI writes.
#include "common/Fixtures.h"
#include "common/WaitFor.h"
#include "engine/core/Error.h"
#include "engine/inspect/Inspect.h"
#include "engine/io/AtomicFile.h"
#include "engine/session/ModelWeights.h"
#include "engine/session/TrainedModel.h"
#include "engine/session/TrainingSession.h"

#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <thread>

using namespace netcanvas;

namespace {

TrainConfig tinyConfig(int epochs = 2)
{
    TrainConfig c;
    c.epochs = epochs;
    c.batchSize = 32;
    c.optimizer.kind = "adam";
    c.optimizer.learningRate = 0.01;
    c.seed = 3;
    c.threads = 1;
    c.device = "cpu";
    c.validationFraction = 0.15;
    c.testFraction = 0.15;
    return c;
}

std::shared_ptr<const Dataset> bars()
{
    static const auto data = std::make_shared<const Dataset>(fixtures::barsDataset(60, 11));
    return data;
}

} // namespace

using netcanvas::testing::waitFor;

class TestSession : public QObject {
    Q_OBJECT

private slots:
    void trainsWithHooksAndEvaluatesTheTestSplit()
    {
        SessionSettings s;
        s.config = tinyConfig(3);
        TrainingSession session(fixtures::barsCnn(), bars(), s);
        int batches = 0, epochs = 0;
        int64_t perEpoch = 0;
        SessionHooks hooks;
        hooks.onBatch = [&](const BatchEvent& e) {
            ++batches;
            perEpoch = e.batchesPerEpoch;
        };
        hooks.onEpoch = [&](const EpochEvent& e) { QCOMPARE(e.epoch, epochs++); };
        const SessionResult r = session.run(hooks);
        QVERIFY2(!r.train.stopped && !r.train.diverged, r.train.message.c_str());
        QCOMPARE(epochs, 3);
        QCOMPARE(static_cast<int64_t>(batches), 3 * perEpoch);
        QVERIFY(r.tested);
        QCOMPARE(r.test.samples, static_cast<int64_t>(session.split().test.size()));
        QVERIFY(r.test.samples > 0);
        // The summary carries the test evaluation; an independent evaluation agrees with it.
        const RunSummary summary = r.summary();
        QCOMPARE(summary.testAccuracy, r.test.accuracy);
        QCOMPARE(summary.epochsCompleted, 3);
        QCOMPARE(session.evaluate(session.split().test).accuracy, r.test.accuracy);
        QVERIFY(r.test.accuracy > 0.6);
    }

    void pauseAndStopFromAnotherThread()
    {
        SessionSettings s;
        s.config = tinyConfig(200);
        TrainingSession session(fixtures::barsCnn(), bars(), s);
        std::atomic<int> batches { 0 };
        SessionHooks hooks;
        hooks.onBatch = [&](const BatchEvent&) { ++batches; };
        SessionResult result;
        std::thread worker([&] { result = session.run(hooks); });
        QVERIFY(waitFor([&] { return batches.load() >= 3; }));
        session.requestPause(true);
        std::this_thread::sleep_for(std::chrono::milliseconds(100)); // a batch in flight ends
        const int paused = batches.load();
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        QCOMPARE(batches.load(), paused);
        session.requestPause(false);
        QVERIFY(waitFor([&] { return batches.load() > paused; }));
        session.requestStop();
        worker.join();
        QVERIFY(result.train.stopped);
        QVERIFY(result.train.epochsCompleted < 200);
        QVERIFY(result.tested); // a stopped run keeps its last good weights and is evaluated

        // Cancelled (the app closing): stopped, and no test evaluation.
        TrainingSession closing(fixtures::barsCnn(), bars(), s);
        std::atomic<int> n { 0 };
        SessionHooks count;
        count.onBatch = [&](const BatchEvent&) { ++n; };
        SessionResult cancelled;
        std::thread other([&] { cancelled = closing.run(count); });
        QVERIFY(waitFor([&] { return n.load() >= 2; }));
        closing.cancel();
        other.join();
        QVERIFY(cancelled.train.stopped);
        QVERIFY(!cancelled.tested);
    }

    void stopBeforePrepareIsKept()
    {
        SessionSettings s;
        s.config = tinyConfig(50);
        TrainingSession session(fixtures::barsCnn(), bars(), s);
        session.requestStop();
        const SessionResult r = session.run();
        QVERIFY(r.train.stopped);
        QVERIFY(r.train.epochsCompleted <= 1);
    }

    void fineTuningStartsFromTheGivenWeights()
    {
        SessionSettings s;
        s.config = tinyConfig(3);
        TrainingSession source(fixtures::barsCnn(), bars(), s);
        source.run();
        const std::shared_ptr<ModelWeights> weights = ModelWeights::fromSession(source);
        QVERIFY(weights);
        QCOMPARE(weights->classNames, bars()->classNames);
        const DataSplit split = source.split();
        const double sourceLoss = source.evaluate(split.train).loss;

        // One batch of the whole training split, no augmentation: the loss of step 0 is the
        // loss of the starting weights on those samples.
        auto firstLoss = [&](SessionSettings settings) {
            settings.config.batchSize = static_cast<int64_t>(split.train.size());
            settings.config.epochs = 1;
            TrainingSession tuned(fixtures::barsCnn(), bars(), settings);
            tuned.setSplit(split);
            double loss = std::nan("");
            SessionHooks hooks;
            hooks.onBatch = [&](const BatchEvent& e) {
                if (e.globalStep == 0)
                    loss = e.loss;
            };
            tuned.run(hooks);
            return loss;
        };
        SessionSettings fromWeights = s;
        fromWeights.initialWeights = weights;
        const double tunedLoss = firstLoss(fromWeights);
        QVERIFY2(std::abs(tunedLoss - sourceLoss) < 1e-4 * std::max(1.0, sourceLoss),
            qPrintable(QStringLiteral("%1 vs %2").arg(tunedLoss).arg(sourceLoss)));

        // The same from the weights file the session saves.
        QTemporaryDir dir;
        const std::string file = QDir(dir.path()).filePath(QStringLiteral("w.safetensors")).toStdString();
        source.saveWeights(file);
        SessionSettings fromFile = s;
        fromFile.initialWeightsFile = file;
        QVERIFY(std::abs(firstLoss(fromFile) - sourceLoss) < 1e-4 * std::max(1.0, sourceLoss));

        // Fresh weights start elsewhere.
        QVERIFY(std::abs(firstLoss(s) - sourceLoss) > 1e-3);
    }

    void mismatchedWeightsNameTheParameter()
    {
        SessionSettings s;
        s.config = tinyConfig(1);
        TrainingSession source(fixtures::barsCnn(3, 8), bars(), s);
        source.run();
        SessionSettings narrow = s;
        narrow.initialWeights = ModelWeights::fromSession(source);
        TrainingSession other(fixtures::barsCnn(3, 4), bars(), narrow);
        try {
            other.prepare();
            QFAIL("no error for weights of another shape");
        } catch (const GraphError& e) {
            const QString m = QString::fromUtf8(e.what());
            QVERIFY2(m.contains(QStringLiteral("'conv.")) && m.contains(QStringLiteral("8")), e.what());
        }
        QVERIFY(!other.isPrepared()); // nothing half-made to save or inspect
    }

    void savedWeightsPredictIdentically()
    {
        QTemporaryDir dir;
        SessionSettings s;
        s.config = tinyConfig(2);
        s.outputDir = QDir(dir.path()).filePath(QStringLiteral("run")).toStdString();
        TrainingSession session(fixtures::barsCnn(), bars(), s);
        const SessionResult r = session.run();
        const nlohmann::json metrics = session.saveRunFolder(r);
        for (const char* f : { "weights.safetensors", "model.json", "history.csv", "metrics.json" })
            QVERIFY2(std::filesystem::exists(std::filesystem::path(s.outputDir) / f), f);
        QCOMPARE(metrics["test_accuracy"].get<double>(), r.test.accuracy);
        QCOMPARE(metrics["epochs"].get<int>(), 2);
        QVERIFY(std::filesystem::exists(std::filesystem::path(s.outputDir) / "checkpoints" / "last.safetensors"));

        // Loaded back with the model the weights carry: the same outputs for the same samples.
        const std::string weights = (std::filesystem::path(s.outputDir) / "weights.safetensors").string();
        LoadedModel m = loadTrained(resolveTrainedFiles({}, weights), createCpuBackend(1));
        QCOMPARE(m.meta.classNames, bars()->classNames);
        QCOMPARE(m.graph.training["epochs"].get<int>(), 2); // the run's recipe
        const std::vector<int64_t> samples = session.split().test;
        const Tensor fromSession = inspect::batchTensor(*bars(), samples, session.normalization());
        const Tensor fromFile = inspect::batchTensor(*bars(), samples, normalizationOf(m.meta));
        Tensor expected;
        expected.copyFrom(session.network().forward(fromSession, false));
        const Tensor& got = m.network->forward(fromFile, false);
        QCOMPARE(got.shape(), expected.shape());
        for (int64_t i = 0; i < got.size(); ++i)
            QCOMPARE(got[i], expected[i]);
    }

    void outputIsProbabilitiesNeedsAFlatSoftmax()
    {
        ModelGraph g = fixtures::barsCnn();
        QVERIFY(!outputIsProbabilities(g, g.analyze()));
        g.addNode(fixtures::makeNode("sm", "Softmax", { "fc" }));
        QVERIFY(outputIsProbabilities(g, g.analyze()));
        ModelGraph maps;
        maps.addNode(fixtures::makeNode("in", "Input", {}, { { "channels", 1 }, { "height", 4 }, { "width", 4 } }));
        maps.addNode(fixtures::makeNode("sm", "Softmax", { "in" }));
        QVERIFY(!outputIsProbabilities(maps, maps.analyze())); // a Softmax over a 1×4×4 map
    }
};

QTEST_APPLESS_MAIN(TestSession)
#include "test_session.moc"
