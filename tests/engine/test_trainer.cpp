// The Trainer end to end on a synthetic, learnable image task built in memory: learning,
// pause/resume and stop from other threads, early stopping, checkpoints, determinism,
// divergence and live snapshots.
#include "engine/backend/Backend.h"
#include "engine/core/Error.h"
#include "engine/core/Rng.h"
#include "engine/data/Split.h"
#include "engine/graph/ModelGraph.h"
#include "engine/inspect/Inspect.h"
#include "engine/io/Safetensors.h"
#include "engine/train/GradientClipping.h"
#include "engine/train/Trainer.h"

#include "common/Fixtures.h"
#include "common/NetworkChecks.h"
#include "common/WaitFor.h"
#include <QDir>
#include <QTemporaryDir>

#include <QtTest>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

using namespace netcanvas;
using checks::allWeightsFinite;
using checks::sameWeights;

namespace {

using fixtures::barsDataset;
ModelGraph smallCnn()
{
    return fixtures::barsCnn();
}
GraphNode node(const std::string& id, const std::string& type, std::vector<std::string> inputs, nlohmann::json params)
{
    return fixtures::makeNode(id, type, std::move(inputs), std::move(params));
}

// A bigger MLP that can memorize random labels (so validation loss turns up).
ModelGraph mlp()
{
    ModelGraph g;
    g.addNode(node("in", "Input", {}, { { "channels", 1 }, { "height", 8 }, { "width", 8 } }));
    g.addNode(node("flat", "Flatten", { "in" }, nlohmann::json::object()));
    g.addNode(node("fc1", "Dense", { "flat" }, { { "units", 64 } }));
    g.addNode(node("relu", "ReLU", { "fc1" }, nlohmann::json::object()));
    g.addNode(node("fc2", "Dense", { "relu" }, { { "units", 3 } }));
    return g;
}

bool haveLayers()
{
    const auto& r = LayerRegistry::builtin();
    for (const char* t : { "Input", "Conv2D", "ReLU", "MaxPool2D", "Flatten", "Dense" })
        if (!r.find(t))
            return false;
    return true;
}

TrainConfig baseConfig()
{
    TrainConfig c;
    c.epochs = 6;
    c.batchSize = 32;
    c.optimizer.kind = "adam";
    c.optimizer.learningRate = 0.01;
    c.seed = 5;
    c.threads = 1;
    return c;
}

} // namespace

using netcanvas::testing::waitFor;

class TestTrainer : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<Backend> m_backend;
    Dataset m_data;
    DataSplit m_split;

private slots:
    void initTestCase()
    {
        if (!haveLayers())
            QSKIP("the layers are not registered yet");
        m_backend = createCpuBackend(1);
        m_data = barsDataset(200, 42);
        m_split = splitDataset(m_data, 0.15, 0.15, 7);
        QVERIFY(!m_split.train.empty() && !m_split.validation.empty() && !m_split.test.empty());
    }

    void gradientClippingBoundsTheNorm()
    {
        // A bound far below the gradients' norm: every step clips, and the gradients the
        // optimizer used (left in the network after the last step; SGD without L1/L2 does not
        // touch them) have exactly the bound as their global norm.
        TrainConfig c = baseConfig();
        c.epochs = 1;
        c.optimizer.kind = "sgd";
        c.optimizer.momentum = 0.0;
        c.clipNorm = 1e-3;
        Trainer trainer(mlp(), c, *m_backend);
        int clipped = 0;
        trainer.setOnBatch([&](const BatchEvent& e) { clipped += e.gradNorm > c.clipNorm ? 1 : 0; });
        const TrainResult r = trainer.fit(m_data, m_split);
        QVERIFY2(!r.diverged && !r.stopped, r.message.c_str());
        QVERIFY(clipped > 0);
        double squares = 0.0;
        for (const auto& p : trainer.network().trainableParameters())
            for (int64_t i = 0; i < p.param->grad.size(); ++i)
                squares += double(p.param->grad[i]) * p.param->grad[i];
        QVERIFY2(std::abs(std::sqrt(squares) - c.clipNorm) < 1e-5 * c.clipNorm,
            qPrintable(QString("norm after clipping %1, bound %2").arg(std::sqrt(squares)).arg(c.clipNorm)));
        // The function itself: within the bound nothing changes; above it the direction is kept.
        std::vector<float> g { 3.0f, 4.0f, 12.0f };
        QCOMPARE(clipGradientNorm(*m_backend, { { g.data(), 2 }, { g.data() + 2, 1 } }, 20.0), 13.0);
        QCOMPARE(g[2], 12.0f);
        QCOMPARE(clipGradientNorm(*m_backend, { { g.data(), 2 }, { g.data() + 2, 1 } }, 6.5), 13.0);
        QVERIFY(std::abs(g[0] - 1.5f) < 1e-5f && std::abs(g[1] - 2.0f) < 1e-5f && std::abs(g[2] - 6.0f) < 1e-5f);
        // The recipe carries it.
        QCOMPARE(trainConfigFromJson(trainConfigToJson(c)).clipNorm, 1e-3);
    }

    void learnsTheTask()
    {
        TrainConfig c = baseConfig();
        c.epochs = 8;
        Trainer trainer(smallCnn(), c, *m_backend);
        int batches = 0, epochs = 0;
        double lastEta = -1.0;
        trainer.setOnBatch([&](const BatchEvent& e) {
            ++batches;
            QVERIFY(std::isfinite(e.loss) && e.samplesPerSecond > 0.0);
            lastEta = e.etaSeconds;
        });
        trainer.setOnEpoch([&](const EpochEvent& e) {
            QCOMPARE(e.epoch, epochs);
            ++epochs;
        });
        const TrainResult r = trainer.fit(m_data, m_split);
        QVERIFY2(!r.stopped && !r.diverged && !r.earlyStopped, r.message.c_str());
        QCOMPARE(r.epochsCompleted, 8);
        QCOMPARE(epochs, 8);
        QCOMPARE(static_cast<int64_t>(batches), 8 * ((static_cast<int64_t>(m_split.train.size()) + 31) / 32));
        QVERIFY(lastEta >= 0.0 && lastEta < 1.0);
        QCOMPARE(r.history.size(), size_t(8));
        QVERIFY(r.history.back().trainLoss < r.history.front().trainLoss);
        QVERIFY(std::isfinite(r.history.back().validationAccuracy));
        QVERIFY(!trainer.normalization().empty());
        QVERIFY(r.bestEpoch >= 0 && std::isfinite(r.bestValidationLoss));

        const EvalResult test = trainer.evaluate(m_data, m_split.test);
        QCOMPARE(test.samples, static_cast<int64_t>(m_split.test.size()));
        QCOMPARE(test.confusion.total(), test.samples);
        QVERIFY2(test.accuracy > 0.98,
            qPrintable(QString("test accuracy %1\n%2")
                           .arg(test.accuracy)
                           .arg(QString::fromStdString(test.confusion.toText(m_data.classNames)))));
        QVERIFY(std::abs(test.confusion.accuracy() - test.accuracy) < 1e-12);
        qInfo("test accuracy %.4f on %lld samples, %.0f samples/s", test.accuracy, static_cast<long long>(test.samples),
            r.samplesPerSecond);
        QVERIFY(std::isnan(trainer.evaluate(m_data, {}).loss));
    }

    void stopFromCallback()
    {
        Trainer trainer(smallCnn(), baseConfig(), *m_backend);
        int events = 0;
        trainer.setOnBatch([&](const BatchEvent& e) {
            ++events;
            if (e.batch == 3)
                trainer.requestStop();
        });
        const TrainResult r = trainer.fit(m_data, m_split);
        QVERIFY(r.stopped);
        QCOMPARE(events, 4);
        QCOMPARE(r.epochsCompleted, 0);
        QVERIFY(!r.message.empty());
        QVERIFY(allWeightsFinite(trainer.network()));
        // The stop flag is cleared: the same trainer can run again.
        int again = 0;
        trainer.setOnBatch([&](const BatchEvent&) { ++again; });
        TrainConfig one = trainer.config();
        QVERIFY(trainer.fit(m_data, m_split).epochsCompleted == one.epochs);
        QVERIFY(again > 4);
    }

    void pauseAndResume()
    {
        TrainConfig c = baseConfig();
        c.epochs = 1000; // stopped by the test
        Trainer trainer(smallCnn(), c, *m_backend);
        std::atomic<int64_t> steps { 0 };
        trainer.setOnBatch([&](const BatchEvent&) { ++steps; });
        TrainResult result;
        const auto fitStarted = std::chrono::steady_clock::now();
        std::thread worker([&] { result = trainer.fit(m_data, m_split); });
        QVERIFY(waitFor([&] { return steps.load() >= 5; }));
        trainer.requestPause(true);
        QVERIFY(trainer.paused());
        std::this_thread::sleep_for(std::chrono::milliseconds(60)); // the running batch finishes
        const int64_t atPause = steps.load();
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        QCOMPARE(steps.load(), atPause); // no progress while paused
        trainer.requestPause(false);
        QVERIFY(waitFor([&] { return steps.load() > atPause + 3; }));
        // Stop works while paused too; the run's time leaves the pauses out.
        trainer.requestPause(true);
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        trainer.requestStop();
        worker.join();
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - fitStarted).count();
        trainer.requestPause(false);
        QVERIFY(result.stopped);
        QVERIFY(result.epochsCompleted < 1000);
        QVERIFY2(result.seconds < wall - 0.4, qPrintable(QString("run %1 s of %2 s").arg(result.seconds).arg(wall)));
        QVERIFY(result.seconds > 0.0);
        QVERIFY(result.message.rfind("stopped in epoch ", 0) == 0); // not "stopped by request"
        QVERIFY(result.message.find("by request") == std::string::npos);
    }

    void stepOutcomes()
    {
        // A normal run: every batch event is a trained step, and so is the last step.
        TrainConfig c = baseConfig();
        c.epochs = 1;
        Trainer trainer(smallCnn(), c, *m_backend);
        int trained = 0, events = 0;
        trainer.setOnBatch([&](const BatchEvent& e) {
            ++events;
            trained += e.outcome == StepOutcome::Trained && !e.skipped ? 1 : 0;
        });
        const TrainResult r = trainer.fit(m_data, m_split);
        QVERIFY(events > 0);
        QCOMPARE(trained, events);
        QVERIFY(r.lastStep.outcome == StepOutcome::Trained);
        QVERIFY(r.lastStep.node.empty() && r.lastStep.parameter.empty() && r.lastStep.message.empty());
        QVERIFY(std::isfinite(r.lastStep.loss));
        QCOMPARE(r.hostOps, std::string()); // the CPU runs every op natively

        // Stopped between batches: the run ends on a Stopped step.
        trainer.setOnBatch([&](const BatchEvent& e) {
            if (e.batch == 1)
                trainer.requestStop();
        });
        const TrainResult s = trainer.fit(m_data, m_split);
        QVERIFY(s.stopped);
        QVERIFY(s.lastStep.outcome == StepOutcome::Stopped);
    }

    void pauseWakesPromptly()
    {
        // A tiny model (a step takes well under a millisecond): the time from requestPause(false)
        // to the end of the next step, and from requestStop() while paused to fit() returning, is
        // the wake-up latency — no polling interval.
        using Clock = std::chrono::steady_clock;
        TrainConfig c = baseConfig();
        c.epochs = 100000; // stopped by the test
        c.batchSize = 8;
        Trainer trainer(mlp(), c, *m_backend);
        std::atomic<int64_t> steps { 0 };
        std::atomic<int64_t> pauseAfter { 3 };
        std::atomic<Clock::rep> lastStepEnd { 0 };
        trainer.setOnBatch([&](const BatchEvent&) {
            lastStepEnd = Clock::now().time_since_epoch().count();
            if (++steps == pauseAfter.load())
                trainer.requestPause(true); // pauses before the next batch
        });
        TrainResult result;
        std::atomic<Clock::rep> fitReturned { 0 };
        std::thread worker([&] {
            result = trainer.fit(m_data, m_split);
            fitReturned = Clock::now().time_since_epoch().count();
        });
        const auto ms = [](Clock::rep from, Clock::rep to) {
            return std::chrono::duration<double, std::milli>(Clock::duration(to - from)).count();
        };
        std::vector<double> resume;
        for (int round = 0; round < 5; ++round) {
            QVERIFY(waitFor([&] { return steps.load() >= pauseAfter.load(); }));
            std::this_thread::sleep_for(std::chrono::milliseconds(30)); // now waiting
            const int64_t atPause = steps.load();
            QCOMPARE(atPause, pauseAfter.load()); // paused: no step ran
            pauseAfter = atPause + 3;
            const Clock::rep t0 = Clock::now().time_since_epoch().count();
            trainer.requestPause(false);
            QVERIFY(waitFor([&] { return steps.load() > atPause; }));
            resume.push_back(ms(t0, lastStepEnd.load()));
        }
        QVERIFY(waitFor([&] { return steps.load() >= pauseAfter.load(); }));
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        const int64_t atStop = steps.load();
        const Clock::rep t0 = Clock::now().time_since_epoch().count();
        trainer.requestStop();
        worker.join();
        const double stop = ms(t0, fitReturned.load());
        trainer.requestPause(false);
        QVERIFY(result.stopped);
        QCOMPARE(steps.load(), atStop); // stopped while paused: no further step
        std::sort(resume.begin(), resume.end());
        qInfo("resume after unpause: %.2f / %.2f / %.2f ms (min / median / max); stop while paused: %.2f ms",
            resume.front(), resume[resume.size() / 2], resume.back(), stop);
        // Prompt: a wake-up, not a polling interval (a loaded machine may delay one of them).
        QVERIFY2(resume.front() < 5.0, qPrintable(QString("fastest resume %1 ms").arg(resume.front())));
        QVERIFY2(resume[resume.size() / 2] < 50.0, qPrintable(QString("median resume %1 ms").arg(resume[2])));
        QVERIFY2(stop < 50.0, qPrintable(QString("stop while paused took %1 ms").arg(stop)));
    }

    void earlyStopping()
    {
        const Dataset noise = barsDataset(100, 9, /*randomLabels=*/true);
        const DataSplit split = splitDataset(noise, 0.3, 0.0, 3);
        TrainConfig c = baseConfig();
        c.epochs = 60;
        c.earlyStoppingPatience = 1;
        c.optimizer.learningRate = 0.01;
        Trainer trainer(mlp(), c, *m_backend);
        const TrainResult r = trainer.fit(noise, split);
        QVERIFY2(r.earlyStopped, r.message.c_str());
        QVERIFY(r.epochsCompleted < 60);
        QVERIFY2(QString::fromStdString(r.message).contains("kept the best weights"), r.message.c_str());
        QCOMPARE(r.weightsEpoch, r.bestEpoch);
        QCOMPARE(r.epochsCompleted, r.bestEpoch + 2); // patience 1: one epoch after the best
        // The network holds the best epoch's weights again.
        const EvalResult v = trainer.evaluate(noise, split.validation);
        QVERIFY2(std::abs(v.loss - r.bestValidationLoss) < 1e-5 * std::max(1.0, r.bestValidationLoss),
            qPrintable(QString("%1 vs %2").arg(v.loss).arg(r.bestValidationLoss)));
        QVERIFY(r.history[static_cast<size_t>(r.bestEpoch)].improved);
        qInfo("%s", r.message.c_str());
    }

    void checkpoints()
    {
        QTemporaryDir dir;
        TrainConfig c = baseConfig();
        c.epochs = 3;
        c.checkpointDir = QDir(dir.path()).filePath("run").toStdString();
        Trainer trainer(smallCnn(), c, *m_backend);
        const TrainResult r = trainer.fit(m_data, m_split);
        QCOMPARE(r.epochsCompleted, 3);
        const QDir run(QString::fromStdString(c.checkpointDir));
        QCOMPARE(run.entryList(QDir::Files | QDir::Hidden, QDir::Name),
            (QStringList { "best.safetensors", "last.safetensors", "resume.safetensors" }));

        // last = the final weights: a fresh network loading it computes identical outputs.
        Network fresh(smallCnn(), *m_backend, 999);
        const WeightsMeta meta = loadWeights(run.filePath("last.safetensors").toStdString(), fresh);
        QCOMPARE(meta.classNames, m_data.classNames);
        QCOMPARE(meta.mean, trainer.normalization().mean);
        QVERIFY(meta.modelJson.find("\"conv\"") != std::string::npos);
        QVERIFY(sameWeights(fresh, trainer.network()));
        Tensor batch({ 4, 1, 8, 8 });
        for (int64_t i = 0; i < batch.size(); ++i)
            batch[i] = static_cast<float>(i % 7) * 0.3f - 0.5f;
        const Tensor expected = trainer.network().forward(batch, false);
        const Tensor& got = fresh.forward(batch, false);
        QVERIFY(std::memcmp(expected.data(), got.data(), static_cast<size_t>(got.size()) * sizeof(float)) == 0);

        Network best(smallCnn(), *m_backend, 998);
        loadWeights(run.filePath("best.safetensors").toStdString(), best);
        QVERIFY(allWeightsFinite(best));
        if (r.bestEpoch == 2)
            QVERIFY(sameWeights(best, trainer.network()));
    }

    void determinism()
    {
        TrainConfig c = baseConfig();
        c.epochs = 2;
        auto run = [&](int threads, std::vector<double>& losses) {
            TrainConfig cc = c;
            cc.threads = threads;
            auto trainer = std::make_unique<Trainer>(smallCnn(), cc, *m_backend);
            trainer->setOnBatch([&](const BatchEvent& e) { losses.push_back(e.loss); });
            trainer->fit(m_data, m_split);
            return trainer;
        };
        std::vector<double> l1, l2, l3;
        auto a = run(1, l1);
        auto b = run(1, l2);
        QCOMPARE(l1.size(), l2.size());
        for (size_t i = 0; i < l1.size(); ++i)
            QCOMPARE(l1[i], l2[i]); // bit-identical
        QVERIFY(sameWeights(a->network(), b->network()));

        auto t2 = run(2, l3);
        m_backend->setThreads(1);
        QCOMPARE(l3.size(), l1.size());
        for (size_t i = 0; i < l1.size(); ++i)
            QVERIFY2(std::abs(l3[i] - l1[i]) <= 1e-3 * std::max(1.0, std::abs(l1[i])),
                qPrintable(QString("batch %1: %2 vs %3").arg(i).arg(l3[i]).arg(l1[i])));
        auto pa = a->network().parameters(), pc = t2->network().parameters();
        for (size_t i = 0; i < pa.size(); ++i)
            for (int64_t k = 0; k < pa[i].param->value.size(); ++k)
                QVERIFY(std::abs(pa[i].param->value[k] - pc[i].param->value[k]) <= 1e-3f);
    }

    void divergenceFromHugeInput()
    {
        // Inputs near FLT_MAX overflow in the first convolution.
        Dataset huge = m_data;
        huge.features.assign(huge.pixels.size(), 0.0f);
        for (size_t i = 0; i < huge.pixels.size(); ++i)
            huge.features[i] = 3e38f * (huge.pixels[i] > 128 ? 1.0f : -1.0f);
        huge.pixels.clear();
        huge.format = "csv-features";
        TrainConfig c = baseConfig();
        c.normalize = false;
        Trainer trainer(smallCnn(), c, *m_backend);
        Network initial(smallCnn(), *m_backend, c.seed);
        const TrainResult r = trainer.fit(huge, m_split);
        QVERIFY(r.diverged);
        QVERIFY2(QString::fromStdString(r.message).contains("epoch 1, batch 1"), r.message.c_str());
        QVERIFY2(
            QString::fromStdString(r.message).contains("first non-finite output at node 'conv'"), r.message.c_str());
        // The step's outcome names the node, apart from the message.
        QVERIFY(r.lastStep.outcome == StepOutcome::Diverged);
        QCOMPARE(r.lastStep.node, std::string("conv"));
        QVERIFY(r.lastStep.parameter.empty());
        QVERIFY2(QString::fromStdString(r.lastStep.message).startsWith("the loss became"), r.lastStep.message.c_str());
        QVERIFY(allWeightsFinite(trainer.network()));
        QVERIFY(sameWeights(trainer.network(), initial)); // never updated: the initial weights
    }

    void divergenceFromLearningRate()
    {
        TrainConfig c = baseConfig();
        c.optimizer.kind = "sgd";
        c.optimizer.learningRate = 1e9;
        c.epochs = 20;
        Trainer trainer(smallCnn(), c, *m_backend);
        int64_t steps = 0;
        trainer.setOnBatch([&](const BatchEvent&) { ++steps; });
        const TrainResult r = trainer.fit(m_data, m_split);
        QVERIFY2(r.diverged, qPrintable(QString("steps %1").arg(steps)));
        QVERIFY2(QString::fromStdString(r.message).contains("node '")
                || QString::fromStdString(r.message).contains("parameter '"),
            r.message.c_str());
        QVERIFY2(QString::fromStdString(r.message).contains("try a lower learning rate"), r.message.c_str());
        QVERIFY(r.lastStep.outcome == StepOutcome::Diverged);
        // Exactly one culprit, and the message names it.
        QVERIFY(r.lastStep.node.empty() != r.lastStep.parameter.empty()
            || r.lastStep.message.find("too large") != std::string::npos);
        const std::string culprit = r.lastStep.node.empty() ? r.lastStep.parameter : r.lastStep.node;
        QVERIFY2(r.message.find("'" + culprit + "'") != std::string::npos, r.message.c_str());
        QVERIFY(allWeightsFinite(trainer.network()));
        qInfo("%s", r.message.c_str());
    }

    void snapshotsWhileTraining()
    {
        TrainConfig c = baseConfig();
        c.epochs = 6;
        Trainer trainer(smallCnn(), c, *m_backend);
        Network viewer(smallCnn(), *m_backend, 77);
        QVERIFY(!trainer.copySnapshot(viewer)); // nothing published yet
        std::atomic<bool> done { false };
        TrainResult result;
        std::thread worker([&] {
            result = trainer.fit(m_data, m_split);
            done = true;
        });
        int copies = 0;
        bool finite = true;
        Normalization norm;
        // What the app's live feature maps do: copy the newest weights (and the input
        // normalization) and run an inspection forward pass on the copy, while training runs.
        // (Run under ThreadSanitizer with the tsan preset: no report.)
        while (!done) {
            if (trainer.copySnapshot(viewer, &norm)) {
                ++copies;
                finite = finite && allWeightsFinite(viewer);
                const inspect::FeatureMaps maps
                    = inspect::featureMaps(viewer, inspect::sampleTensor(m_data, 0, norm), "conv");
                finite = finite
                    && std::all_of(maps.values.begin(), maps.values.end(), [](float v) { return std::isfinite(v); });
                finite = finite && norm.mean.size() == 1; // the run's normalization, one channel
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        worker.join();
        QVERIFY(copies > 0);
        QVERIFY(finite);
        // After the run the snapshot is the final weights.
        QVERIFY(trainer.copySnapshot(viewer));
        QVERIFY(sameWeights(viewer, trainer.network()));
        auto pv = viewer.parameters(), pt = trainer.network().parameters();
        for (size_t i = 0; i < pv.size(); ++i)
            QCOMPARE(pv[i].param->value.shape(), pt[i].param->value.shape());
    }

    void inputMismatchIsAnError()
    {
        Dataset wrong = m_data;
        wrong.classNames.push_back("fourth");
        wrong.classNames.push_back("fifth");
        Trainer trainer(smallCnn(), baseConfig(), *m_backend);
        QVERIFY_THROWS_EXCEPTION(ShapeError, trainer.fit(wrong, m_split));
        DataSplit empty;
        QVERIFY_THROWS_EXCEPTION(DataError, trainer.fit(m_data, empty));
        // A label the model cannot output names the sample.
        Dataset badLabel = m_data;
        badLabel.labels[static_cast<size_t>(m_split.train[5])] = 3;
        try {
            trainer.fit(badLabel, m_split);
            QFAIL("no error");
        } catch (const DataError& e) {
            QVERIFY2(QString(e.what()).contains("label 3"), e.what());
            QVERIFY2(QString(e.what()).contains(
                         QString::fromStdString(m_data.sources[static_cast<size_t>(m_split.train[5])])),
                e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestTrainer)
#include "test_trainer.moc"
