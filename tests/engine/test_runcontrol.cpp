// Run control in the engine: resume (stop → restoreState → fit continues with the same steps,
// losses and curves), extending a finished run, live changes (learning rate at the very next
// step, epochs, augmentation off), early stopping and checkpoint selection settings, per-layer
// stats, and the resume checkpoint's malformed-input errors.
#include "common/Fixtures.h"
#include "common/NetworkChecks.h"
#include "engine/backend/Backend.h"
#include "engine/core/Error.h"
#include "engine/data/DataLoader.h"
#include "engine/data/Split.h"
#include "engine/io/AtomicFile.h"
#include "engine/io/Safetensors.h"
#include "engine/layers/LayerRegistry.h"
#include "engine/session/RunResume.h"
#include "engine/train/TrainState.h"
#include "engine/train/Trainer.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

using namespace netcanvas;

namespace {

// Conv → ReLU → Dropout → Dense: dropout draws from the network's generator, so an exact resume
// needs that generator's state too.
ModelGraph dropoutCnn()
{
    ModelGraph g = fixtures::barsCnn();
    g.removeNode("fc");
    g.addNode(fixtures::makeNode("drop", "Dropout", { "flat" }, { { "rate", 0.3 } }));
    g.addNode(fixtures::makeNode("fc", "Dense", { "drop" }, { { "units", 3 } }));
    return g;
}

TrainConfig config(const std::string& dir)
{
    TrainConfig c;
    c.epochs = 4;
    c.batchSize = 32;
    c.optimizer.kind = "adam";
    c.optimizer.learningRate = 0.005;
    c.seed = 11;
    c.threads = 1;
    c.augmentation.maxShift = 1; // drawn per (seed, epoch, batch)
    c.checkpointDir = dir;
    return c;
}

struct Recorded {
    std::vector<double> losses, lrs;
    std::vector<int64_t> steps;
};

void record(Trainer& t, Recorded& r)
{
    t.setOnBatch([&r](const BatchEvent& e) {
        r.losses.push_back(e.loss);
        r.lrs.push_back(e.learningRate);
        r.steps.push_back(e.globalStep);
    });
}

// Epoch curves equal bit for bit (times differ).
void compareHistories(const std::vector<EpochEvent>& a, const std::vector<EpochEvent>& b)
{
    QCOMPARE(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
        QCOMPARE(a[i].epoch, b[i].epoch);
        QCOMPARE(a[i].trainLoss, b[i].trainLoss);
        QCOMPARE(a[i].trainAccuracy, b[i].trainAccuracy);
        QCOMPARE(a[i].validationLoss, b[i].validationLoss);
        QCOMPARE(a[i].validationAccuracy, b[i].validationAccuracy);
        QCOMPARE(a[i].improved, b[i].improved);
    }
}

} // namespace

class TestRunControl : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<Backend> m_backend;
    Dataset m_data;
    DataSplit m_split;

private slots:
    void initTestCase()
    {
        m_backend = createCpuBackend(1);
        m_data = fixtures::barsDataset(120, 42);
        m_split = splitDataset(m_data, 0.15, 0.15, 7);
    }

    // Stopped mid-epoch, resumed by a new Trainer from resume.safetensors: the same per-batch
    // losses, learning rates and epoch curves as a run that never stopped, bit for bit (the CPU
    // backend with a fixed thread count is deterministic; data order and augmentation are
    // functions of (seed, epoch, batch); optimizer moments, dropout generator and the partial
    // epoch's sums are restored).
    void resumeAfterStopMatchesUninterrupted()
    {
        QTemporaryDir a, b;
        Recorded full;
        Trainer whole(dropoutCnn(), config(a.path().toStdString()), *m_backend);
        record(whole, full);
        const TrainResult ra = whole.fit(m_data, m_split);
        QCOMPARE(ra.epochsCompleted, 4);

        const int64_t stopAt = 17; // mid-epoch (8 batches per epoch)
        int64_t perEpoch = 0;
        Recorded first;
        {
            Trainer t(dropoutCnn(), config(b.path().toStdString()), *m_backend);
            t.setOnBatch([&](const BatchEvent& e) {
                perEpoch = e.batchesPerEpoch;
                first.losses.push_back(e.loss);
                first.lrs.push_back(e.learningRate);
                if (e.globalStep == stopAt)
                    t.requestStop();
            });
            const TrainResult r = t.fit(m_data, m_split);
            QVERIFY(r.stopped);
        }
        const std::string resumeFile = (std::filesystem::path(b.path().toStdString()) / kResumeFile).string();
        Recorded second;
        Trainer resumed(dropoutCnn(), config(b.path().toStdString()), *m_backend);
        const TrainProgress& p = resumed.restoreState(resumeFile);
        QCOMPARE(p.globalStep, stopAt + 1);
        QVERIFY(p.batchInEpoch > 0);
        record(resumed, second);
        const TrainResult rb = resumed.fit(m_data, m_split);
        QVERIFY((stopAt + 1) % perEpoch != 0);
        QCOMPARE(rb.resumedAtEpoch, static_cast<int>((stopAt + 1) / perEpoch));
        QCOMPARE(rb.resumedAtBatch, (stopAt + 1) % perEpoch);
        QCOMPARE(second.steps.front(), stopAt + 1); // the curve joins without a gap

        std::vector<double> joined = first.losses;
        joined.insert(joined.end(), second.losses.begin(), second.losses.end());
        QCOMPARE(joined.size(), full.losses.size());
        for (size_t i = 0; i < joined.size(); ++i)
            QCOMPARE(joined[i], full.losses[i]);
        compareHistories(rb.history, ra.history);
        QVERIFY(checks::sameWeights(resumed.network(), whole.network()));
    }

    // A finished run of 2 epochs extended to 4 equals a run of 4 (constant schedule: the
    // schedule's total does not shape the learning rate).
    void extendFinishedRun()
    {
        QTemporaryDir a, b;
        TrainConfig c4 = config(a.path().toStdString());
        Recorded full;
        Trainer whole(dropoutCnn(), c4, *m_backend);
        record(whole, full);
        const TrainResult ra = whole.fit(m_data, m_split);

        TrainConfig c2 = config(b.path().toStdString());
        c2.epochs = 2;
        Recorded first, second;
        {
            Trainer t(dropoutCnn(), c2, *m_backend);
            record(t, first);
            QCOMPARE(t.fit(m_data, m_split).epochsCompleted, 2);
        }
        Trainer more(dropoutCnn(), c2, *m_backend);
        QVERIFY(more.restoreState((std::filesystem::path(b.path().toStdString()) / kResumeFile).string()).finished());
        more.requestChange({ RunChangeKind::Epochs, 4 });
        record(more, second);
        const TrainResult rb = more.fit(m_data, m_split);
        QCOMPARE(rb.epochsCompleted, 4);
        QCOMPARE(rb.epochsPlanned, 4);
        QCOMPARE(rb.changes.size(), size_t(1));
        QCOMPARE(rb.changes[0].label(), std::string("epochs 2 \u2192 4"));
        std::vector<double> joined = first.losses;
        joined.insert(joined.end(), second.losses.begin(), second.losses.end());
        QCOMPARE(joined.size(), full.losses.size());
        for (size_t i = 0; i < joined.size(); ++i)
            QCOMPARE(joined[i], full.losses[i]);
        compareHistories(rb.history, ra.history);
        QVERIFY(checks::sameWeights(more.network(), whole.network()));
    }

    // A learning-rate change posted from another thread during step k takes effect at step k+1:
    // the recorded learning rate, and the optimizer's actual step — plain SGD moves each
    // layer by lr·‖g‖ exactly, which the layer stats measure.
    void learningRateChangeTakesEffectAtNextStep()
    {
        TrainConfig c = config("");
        c.optimizer.kind = "sgd";
        c.optimizer.momentum = 0.0;
        c.optimizer.learningRate = 0.01;
        c.epochs = 2;
        c.layerStatsEvery = 1;
        Trainer t(fixtures::barsCnn(), c, *m_backend);
        Recorded r;
        const int64_t changeAt = 5;
        t.setOnBatch([&](const BatchEvent& e) {
            r.lrs.push_back(e.learningRate);
            if (e.globalStep == changeAt) // the UI thread's part: post, never wait
                std::thread([&t] { t.requestChange({ RunChangeKind::LearningRate, 0.001 }); }).join();
        });
        std::vector<LayerStatsEvent> stats;
        t.setOnLayerStats([&](const LayerStatsEvent& e) { stats.push_back(e); });
        std::vector<ChangeEvent> changes;
        t.setOnChange([&](const ChangeEvent& e) { changes.push_back(e); });
        const TrainResult res = t.fit(m_data, m_split);
        QCOMPARE(changes.size(), size_t(1));
        QCOMPARE(changes[0].globalStep, changeAt + 1);
        QCOMPARE(changes[0].from, 0.01);
        QCOMPARE(changes[0].to, 0.001);
        QCOMPARE(res.changes.size(), size_t(1));
        for (size_t i = 0; i < r.lrs.size(); ++i)
            QCOMPARE(r.lrs[i], static_cast<int64_t>(i) <= changeAt ? 0.01 : 0.001);
        QCOMPARE(stats.size(), r.lrs.size());
        for (const LayerStatsEvent& e : stats) {
            const double lr = e.globalStep <= changeAt ? 0.01 : 0.001;
            QCOMPARE(e.layers.size(), size_t(2)); // conv, fc
            for (const LayerStat& s : e.layers) {
                QVERIFY(s.gradNorm > 0.0);
                QVERIFY2(std::abs(s.updateNorm / s.gradNorm - lr) < 1e-3 * lr,
                    qPrintable(QString("step %1 %2: ‖Δw‖/‖g‖ = %3, lr %4")
                                   .arg(e.globalStep)
                                   .arg(QString::fromStdString(s.node))
                                   .arg(s.updateNorm / s.gradNorm)
                                   .arg(lr)));
                QVERIFY(s.ratio() > 0.0 && s.ratio() < 1.0);
            }
        }
    }

    // Epochs shortened mid-run end the run after the epoch in progress; lengthened, it goes on.
    void epochsChange()
    {
        TrainConfig c = config("");
        c.epochs = 5;
        Trainer t(fixtures::barsCnn(), c, *m_backend);
        t.setOnBatch([&](const BatchEvent& e) {
            if (e.globalStep == 3)
                t.requestChange({ RunChangeKind::Epochs, 2 });
            if (e.globalStep == 12)
                t.requestChange({ RunChangeKind::Epochs, 1 }); // below the epoch in progress (2)
        });
        const TrainResult r = t.fit(m_data, m_split);
        QCOMPARE(r.epochsCompleted, 2);
        QCOMPARE(r.epochsPlanned, 2);
        QCOMPARE(r.changes.size(), size_t(1)); // "2 → 2" is no change
        QCOMPARE(r.changes[0].label(), std::string("epochs 5 \u2192 2"));
    }

    // Augmentation switched off mid-epoch: from the next batch on, the loader gives the batches a
    // loader without augmentation gives (same order), and the trainer records the change.
    void augmentationOff()
    {
        LoaderOptions with;
        with.batchSize = 16;
        with.seed = 3;
        with.augmentation.maxShift = 2;
        with.augmentation.flipHorizontal = true;
        LoaderOptions without = with;
        without.augmentation = Augmentation {};
        DataLoader a(m_data, m_split.train, with), b(m_data, m_split.train, without);
        a.startEpoch(1);
        Batch x, y;
        QVERIFY(a.next(x) && a.next(x));
        a.setAugmentation(Augmentation {});
        a.startEpoch(1, 2);
        b.startEpoch(1);
        QVERIFY(b.next(y) && b.next(y));
        for (int k = 0; k < 3; ++k) {
            QVERIFY(a.next(x) && b.next(y));
            QCOMPARE(x.indices, y.indices);
            QVERIFY(std::memcmp(x.images.data(), y.images.data(), sizeof(float) * x.images.size()) == 0);
        }

        TrainConfig c = config("");
        c.epochs = 1;
        Trainer t(fixtures::barsCnn(), c, *m_backend);
        t.setOnBatch([&](const BatchEvent& e) {
            if (e.globalStep == 2)
                t.requestChange({ RunChangeKind::Augmentation, 0 });
        });
        const TrainResult r = t.fit(m_data, m_split);
        QCOMPARE(r.changes.size(), size_t(1));
        QCOMPARE(r.changes[0].label(), std::string("augmentation off"));
        QCOMPARE(r.changes[0].globalStep, int64_t(3));
    }

    // monitor, min delta and result weights.
    void earlyStoppingSettings()
    {
        const Dataset noise = fixtures::barsDataset(60, 9, /*randomLabels=*/true);
        const DataSplit split = splitDataset(noise, 0.3, 0.0, 3);
        TrainConfig c = config("");
        c.augmentation = {};
        c.epochs = 12;
        c.optimizer.learningRate = 0.01;
        // No later epoch beats the first by a whole unit of loss: stop after 1 + patience.
        c.earlyStoppingPatience = 2;
        c.earlyStoppingMinDelta = 1.0;
        {
            Trainer t(fixtures::barsCnn(), c, *m_backend);
            const TrainResult r = t.fit(noise, split);
            QVERIFY(r.earlyStopped);
            QCOMPARE(r.epochsCompleted, 3);
            QCOMPARE(r.bestEpoch, 0);
            QCOMPARE(r.weightsEpoch, 0); // auto with early stopping: the best
        }
        c.resultWeights = "last";
        {
            Trainer t(fixtures::barsCnn(), c, *m_backend);
            const TrainResult r = t.fit(noise, split);
            QCOMPARE(r.weightsEpoch, -1);
            QVERIFY(!QString::fromStdString(r.message).contains("kept the best"));
        }
        // Best of validation accuracy, no early stopping: the network ends with that epoch's weights.
        c.earlyStoppingPatience = 0;
        c.earlyStoppingMinDelta = 0.0;
        c.monitor = "val_accuracy";
        c.resultWeights = "best";
        c.epochs = 6;
        Trainer t(fixtures::barsCnn(), c, *m_backend);
        const TrainResult r = t.fit(noise, split);
        QCOMPARE(r.epochsCompleted, 6);
        double best = -1.0;
        int bestEpoch = -1;
        for (const EpochEvent& e : r.history)
            if (e.validationAccuracy > best) {
                best = e.validationAccuracy;
                bestEpoch = e.epoch;
            }
        QCOMPARE(r.bestEpoch, bestEpoch);
        if (bestEpoch != 5)
            QCOMPARE(r.weightsEpoch, bestEpoch);
        QCOMPARE(t.evaluate(noise, split.validation).accuracy, best);

        // The recipe carries the settings; bad values name the key.
        const TrainConfig back = trainConfigFromJson(trainConfigToJson(c));
        QCOMPARE(back.monitor, std::string("val_accuracy"));
        QCOMPARE(back.resultWeights, std::string("best"));
        QCOMPARE(back.earlyStoppingMinDelta, 0.0);
        for (const auto& [bad, key] :
            std::vector<std::pair<nlohmann::json, QString>> { { { { "monitor", "val_f1" } }, "training.monitor" },
                { { { "result_weights", "first" } }, "training.result_weights" },
                { { { "early_stopping_min_delta", -1 } }, "training.early_stopping_min_delta" } }) {
            try {
                trainConfigFromJson(bad);
                QFAIL("accepted a bad value");
            } catch (const FormatError& e) {
                QVERIFY2(QString(e.what()).startsWith(key), e.what());
            }
        }
    }

    // Layer stats every N steps: the count, the nodes, finite healthy-looking values.
    void layerStatsEveryN()
    {
        TrainConfig c = config("");
        c.epochs = 1;
        c.layerStatsEvery = 4;
        Trainer t(fixtures::barsCnn(), c, *m_backend);
        std::vector<LayerStatsEvent> stats;
        int64_t steps = 0;
        t.setOnBatch([&](const BatchEvent&) { ++steps; });
        t.setOnLayerStats([&](const LayerStatsEvent& e) { stats.push_back(e); });
        t.fit(m_data, m_split);
        QCOMPARE(static_cast<int64_t>(stats.size()), (steps + 3) / 4);
        for (const LayerStatsEvent& e : stats) {
            QCOMPARE(e.globalStep % 4, int64_t(0));
            QCOMPARE(e.layers.size(), size_t(2));
            QCOMPARE(e.layers[0].node, std::string("conv"));
            QCOMPARE(e.layers[1].node, std::string("fc"));
            for (const LayerStat& s : e.layers)
                QVERIFY(std::isfinite(s.ratio()) && s.ratio() > 0.0 && s.paramNorm > 0.0 && s.gradNorm > 0.0);
        }
        const nlohmann::json j = layerStatsToJson(stats.front());
        QCOMPARE(j["layers"][0]["node"].get<std::string>(), std::string("conv"));
        QVERIFY(j["layers"][0].contains("ratio"));
    }

    // The resume checkpoint's errors name the file and what is wrong, before anything changes.
    void malformedResumeCheckpoints()
    {
        QTemporaryDir dir;
        TrainConfig c = config(dir.path().toStdString());
        c.epochs = 1;
        {
            Trainer t(fixtures::barsCnn(), c, *m_backend);
            t.fit(m_data, m_split);
        }
        const std::string good = (std::filesystem::path(dir.path().toStdString()) / kResumeFile).string();
        auto expectError = [&](const std::string& path, const QString& needle, const ModelGraph& g) {
            Trainer t(g, c, *m_backend);
            try {
                t.restoreState(path);
                QFAIL(qPrintable("accepted " + QString::fromStdString(path)));
            } catch (const Error& e) {
                QVERIFY2(QString(e.what()).contains(QString::fromStdString(path)), e.what());
                QVERIFY2(QString(e.what()).contains(needle), e.what());
            }
        };
        // Truncated.
        const std::string bytes = readFile(good);
        const std::string truncated = dir.filePath("truncated.safetensors").toStdString();
        writeFileAtomic(truncated, bytes.substr(0, bytes.size() / 2));
        expectError(truncated, "", fixtures::barsCnn());
        // A weights file is not a resume checkpoint.
        expectError(dir.filePath("last.safetensors").toStdString(), "not a resume checkpoint", fixtures::barsCnn());
        // Another model: the tensor that does not fit is named.
        expectError(good, "param/fc.weight", fixtures::barsCnn(5));
        // A broken progress object names its key.
        TensorFile f = loadSafetensors(good);
        nlohmann::json state = nlohmann::json::parse(f.metadata["netcanvas.resume"]);
        state["progress"].erase("global_step");
        f.metadata["netcanvas.resume"] = state.dump();
        const std::string broken = dir.filePath("broken.safetensors").toStdString();
        saveSafetensors(broken, f);
        expectError(broken, "global_step", fixtures::barsCnn());
        // A run folder without a checkpoint.
        try {
            readResumeInfo(dir.filePath("nowhere").toStdString());
            QFAIL("no error for a missing checkpoint");
        } catch (const IoError& e) {
            QVERIFY2(QString(e.what()).contains("no resume checkpoint"), e.what());
        }
        // The progress JSON round-trips.
        const ResumeInfo info = readResumeInfo(dir.path().toStdString());
        const TrainProgress back = progressFromJson(progressToJson(info.progress));
        QCOMPARE(back.globalStep, info.progress.globalStep);
        QCOMPARE(back.history.size(), size_t(1));
        QCOMPARE(back.history[0].trainLoss, info.progress.history[0].trainLoss);
        QVERIFY(info.progress.finished());
    }
};

QTEST_GUILESS_MAIN(TestRunControl)
#include "test_runcontrol.moc"
