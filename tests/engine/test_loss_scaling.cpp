// FP16 mixed precision, the parts that run without a GPU: the precision setting's names, the
// LossScaler's rules (growth, back-off, floor, cap, stop), and the Trainer with loss scaling on
// the CPU — bit-identical to training without it when nothing overflows (power-of-two scales
// are exact in float32), and skipping / backing off / stopping when the scaled gradients overflow.
#include "engine/backend/Backend.h"
#include "engine/backend/Precision.h"
#include "engine/core/Error.h"
#include "engine/data/Split.h"
#include "engine/graph/ModelGraph.h"
#include "engine/layers/LayerRegistry.h"
#include "engine/train/LossScaler.h"
#include "engine/train/Trainer.h"

#include "common/Fixtures.h"
#include "common/NetworkChecks.h"

#include <QtTest>
#include <cmath>
#include <cstring>
#include <vector>

using namespace netcanvas;
using checks::allWeightsFinite;
using checks::sameWeights;

namespace {

ModelGraph cnn()
{
    return fixtures::barsCnn();
}

// Conv → BatchNorm → ReLU → Dropout → Dense: batch norm's backward and dropout's mask are linear
// in the incoming gradient too, so scaling must not change them either.
ModelGraph cnnWithBatchNorm()
{
    using fixtures::makeNode;
    ModelGraph g;
    g.addNode(makeNode("in", "Input", {}, { { "channels", 1 }, { "height", 8 }, { "width", 8 } }));
    g.addNode(makeNode("conv", "Conv2D", { "in" }, { { "filters", 6 }, { "kernel", 3 }, { "padding", "same" } }));
    g.addNode(makeNode("bn", "BatchNorm", { "conv" }));
    g.addNode(makeNode("relu", "ReLU", { "bn" }));
    g.addNode(makeNode("pool", "MaxPool2D", { "relu" }, { { "pool", 2 } }));
    g.addNode(makeNode("flat", "Flatten", { "pool" }));
    g.addNode(makeNode("drop", "Dropout", { "flat" }, { { "rate", 0.25 } }));
    g.addNode(makeNode("fc", "Dense", { "drop" }, { { "units", 3 } }));
    return g;
}

TrainConfig baseConfig()
{
    TrainConfig c;
    c.epochs = 3;
    c.batchSize = 32;
    c.optimizer.kind = "adam";
    c.optimizer.learningRate = 0.01;
    c.seed = 11;
    c.threads = 1;
    return c;
}

// The bars task with raw float features ×scale (normalize off): gradients large enough that a
// loss scale near 2^127 overflows them, while the loss itself stays finite.
Dataset loudBars(const Dataset& bars, float scale)
{
    Dataset d = bars;
    d.features.resize(d.pixels.size());
    for (size_t i = 0; i < d.pixels.size(); ++i)
        d.features[i] = scale * static_cast<float>(d.pixels[i]) / 255.0f;
    d.pixels.clear();
    d.format = "csv-features";
    return d;
}

constexpr float kTwoTo127 = 1.7014118346046923e38f; // 2^127, the largest power of two in float32

} // namespace

class TestLossScaling : public QObject {
    Q_OBJECT
    std::unique_ptr<Backend> m_cpu;
    Dataset m_data;
    DataSplit m_split;

private slots:
    void initTestCase()
    {
        for (const char* t : { "Input", "Conv2D", "BatchNorm", "ReLU", "MaxPool2D", "Flatten", "Dropout", "Dense" })
            QVERIFY2(LayerRegistry::builtin().find(t), t);
        m_cpu = createCpuBackend(1);
        m_data = fixtures::barsDataset(100, 3);
        m_split = splitDataset(m_data, 0.15, 0.15, 5);
    }

    // ---- the precision setting ----------------------------------------------------------

    void precisionNamesRoundTrip()
    {
        for (Precision p : { Precision::Fp32, Precision::Tf32, Precision::Fp16 })
            QCOMPARE(parsePrecision(precisionName(p)), p);
        QCOMPARE(std::string(precisionName(Precision::Fp16)), std::string("fp16"));
        QCOMPARE(std::string(precisionLabel(Precision::Tf32)), std::string("TF32"));
        QCOMPARE(std::string(precisionLabel(Precision::Fp16)), std::string("FP16 mixed precision"));
        try {
            parsePrecision("FP16", "--precision"); // the spelling is lower case
            QFAIL("no error");
        } catch (const FormatError& e) {
            QCOMPARE(std::string(e.what()), std::string("--precision 'FP16': expected fp32, tf32 or fp16"));
        }
        QVERIFY_THROWS_EXCEPTION(FormatError, parsePrecision(""));
        for (LossScaling m : { LossScaling::Auto, LossScaling::On, LossScaling::Off })
            QCOMPARE(parseLossScaling(lossScalingName(m)), m);
        QVERIFY_THROWS_EXCEPTION(FormatError, parseLossScaling("yes"));
        // A CPU backend computes in FP32 whatever is asked for.
        QCOMPARE(m_cpu->mathPrecision(), Precision::Fp32);
        QCOMPARE(TrainConfig {}.precision, Precision::Fp32);
        QCOMPARE(TrainConfig {}.lossScaling, LossScaling::Auto);
    }

    // ---- LossScaler ---------------------------------------------------------------------

    void scalerDefaults()
    {
        const LossScalerOptions o;
        QCOMPARE(o.initialScale, 65536.0f);
        QCOMPARE(o.maxScale, 16777216.0f);
        QCOMPARE(o.minScale, 1.0f);
        QCOMPARE(o.growthInterval, 2000);
        QCOMPARE(o.maxConsecutiveSkips, 50);
        // 2^16 doubles every 2000 good steps up to the cap 2^24, then stays.
        LossScaler s;
        for (int i = 0; i < 1999; ++i)
            QCOMPARE(s.update(true), LossScaler::Verdict::Step);
        QCOMPARE(s.scale(), 65536.0f);
        QCOMPARE(s.update(true), LossScaler::Verdict::Step);
        QCOMPARE(s.scale(), 131072.0f);
        for (int i = 0; i < 2000 * 10; ++i)
            s.update(true);
        QCOMPARE(s.scale(), 16777216.0f);
        QCOMPARE(s.skippedSteps(), int64_t(0));
        QCOMPARE(formatLossScale(65536.0f), std::string("65536 (2^16)"));
    }

    void scalerGrowsAfterGoodSteps()
    {
        LossScalerOptions o;
        o.initialScale = 4.0f;
        o.maxScale = 16.0f;
        o.growthInterval = 3;
        LossScaler s(o);
        s.update(true);
        s.update(true);
        QCOMPARE(s.goodStepsInARow(), 2);
        QCOMPARE(s.scale(), 4.0f);
        s.update(true);
        QCOMPARE(s.scale(), 8.0f);
        QCOMPARE(s.goodStepsInARow(), 0); // counting starts again after a growth
        for (int i = 0; i < 3; ++i)
            s.update(true);
        QCOMPARE(s.scale(), 16.0f);
        for (int i = 0; i < 9; ++i)
            s.update(true);
        QCOMPARE(s.scale(), 16.0f); // the cap
    }

    void scalerBacksOffOnOverflow()
    {
        LossScalerOptions o;
        o.growthInterval = 3;
        LossScaler s(o);
        QCOMPARE(s.update(false), LossScaler::Verdict::Skip);
        QCOMPARE(s.scale(), 32768.0f);
        QCOMPARE(s.skippedSteps(), int64_t(1));
        QCOMPARE(s.consecutiveSkips(), 1);
        QVERIFY(s.stopReason().empty());
        // A skip restarts the growth count: two good steps, an overflow, two good steps: no growth.
        s.update(true);
        s.update(true);
        QCOMPARE(s.update(false), LossScaler::Verdict::Skip);
        QCOMPARE(s.scale(), 16384.0f);
        QCOMPARE(s.consecutiveSkips(), 1);
        s.update(true);
        s.update(true);
        QCOMPARE(s.scale(), 16384.0f);
        QCOMPARE(s.consecutiveSkips(), 0);
        s.update(true);
        QCOMPARE(s.scale(), 32768.0f);
        QCOMPARE(s.skippedSteps(), int64_t(2));
    }

    void scalerFloorStops()
    {
        LossScalerOptions o;
        o.initialScale = 4.0f;
        LossScaler s(o);
        QCOMPARE(s.update(false), LossScaler::Verdict::Skip);
        QCOMPARE(s.scale(), 2.0f);
        QCOMPARE(s.update(false), LossScaler::Verdict::Skip);
        QCOMPARE(s.scale(), 1.0f); // the floor
        QCOMPARE(s.update(false), LossScaler::Verdict::Stop);
        QCOMPARE(s.scale(), 1.0f); // never below
        QCOMPARE(s.skippedSteps(), int64_t(3));
        QVERIFY2(s.stopReason().find("non-finite even with the loss scale backed off to 1 (2^0)") != std::string::npos,
            s.stopReason().c_str());
        // Finite again: the run could go on, and the reason is cleared.
        QCOMPARE(s.update(true), LossScaler::Verdict::Step);
        QVERIFY(s.stopReason().empty());
    }

    void scalerStopsAfterTooManySkips()
    {
        LossScalerOptions o;
        o.initialScale = 1048576.0f; // 2^20: far from the floor
        o.maxScale = 1048576.0f;
        o.maxConsecutiveSkips = 5;
        LossScaler s(o);
        for (int i = 0; i < 4; ++i)
            QCOMPARE(s.update(false), LossScaler::Verdict::Skip);
        s.update(true); // a good step resets the count
        for (int i = 0; i < 4; ++i)
            QCOMPARE(s.update(false), LossScaler::Verdict::Skip);
        QCOMPARE(s.update(false), LossScaler::Verdict::Stop);
        QCOMPARE(s.consecutiveSkips(), 5);
        QCOMPARE(s.scale(), 2048.0f); // 2^20 halved 4 + 5 times
        QVERIFY2(s.stopReason().find("5 steps in a row had non-finite gradients (loss scale now 2048 (2^11))")
                != std::string::npos,
            s.stopReason().c_str());
    }

    void scalerRejectsBadOptions()
    {
        auto message = [](LossScalerOptions o) {
            try {
                LossScaler s(o);
            } catch (const FormatError& e) {
                return std::string(e.what());
            }
            return std::string();
        };
        LossScalerOptions o;
        o.initialScale = 3.0f;
        QVERIFY(message(o).find("initialScale must be a power of two") != std::string::npos);
        o = {};
        o.minScale = 0.0f;
        QVERIFY(message(o).find("minScale") != std::string::npos);
        o = {};
        o.maxScale = std::numeric_limits<float>::infinity();
        QVERIFY(message(o).find("maxScale") != std::string::npos);
        o = {};
        o.initialScale = 2.0f * o.maxScale;
        QVERIFY(message(o).find("minScale <= initialScale <= maxScale") != std::string::npos);
        o = {};
        o.growthInterval = 0;
        QVERIFY(message(o).find("growthInterval") != std::string::npos);
        o = {};
        o.maxConsecutiveSkips = 0;
        QVERIFY(message(o).find("maxConsecutiveSkips") != std::string::npos);
        // A Trainer with such options fails at construction, before any data is read.
        TrainConfig c = baseConfig();
        c.lossScaling = LossScaling::On;
        c.lossScaler.initialScale = 3.0f;
        QVERIFY_THROWS_EXCEPTION(FormatError, Trainer(cnn(), c, *m_cpu));
    }

    // ---- the Trainer --------------------------------------------------------------------

    void autoIsOffOnTheCpu()
    {
        TrainConfig c = baseConfig();
        c.precision = Precision::Fp16; // asked for, but the CPU computes in FP32
        QVERIFY(!Trainer(cnn(), c, *m_cpu).lossScaler());
        c.lossScaling = LossScaling::On;
        QVERIFY(Trainer(cnn(), c, *m_cpu).lossScaler());
        c.lossScaling = LossScaling::Off;
        QVERIFY(!Trainer(cnn(), c, *m_cpu).lossScaler());
    }

    void scalingIsExact_data()
    {
        QTest::addColumn<QString>("optimizer");
        QTest::addColumn<bool>("batchNorm");
        QTest::newRow("adam") << QString("adam") << false;
        QTest::newRow("adamw + weight decay, batch norm, dropout") << QString("adamw") << true;
        QTest::newRow("sgd momentum + L1 + L2 + weight decay") << QString("sgd") << false;
        QTest::newRow("rmsprop, batch norm, dropout") << QString("rmsprop") << true;
    }
    void scalingIsExact()
    {
        // Power-of-two scales are exact in float32 barring overflow: the scaled backward pass
        // computes S·g exactly, the unscale gives g back, so every weight is bit-identical to a
        // run without loss scaling — whatever the optimizer adds to the gradients afterwards.
        QFETCH(QString, optimizer);
        QFETCH(bool, batchNorm);
        TrainConfig c = baseConfig();
        c.optimizer.kind = optimizer.toStdString();
        if (optimizer == "sgd") {
            c.optimizer.learningRate = 0.05;
            c.optimizer.l1 = 1e-4;
            c.optimizer.l2 = 1e-3;
            c.optimizer.weightDecay = 1e-3;
        }
        if (optimizer == "adamw")
            c.optimizer.weightDecay = 0.01;
        const ModelGraph g = batchNorm ? cnnWithBatchNorm() : cnn();
        std::vector<double> plainLosses, scaledLosses, scales;

        TrainConfig plainConfig = c;
        plainConfig.lossScaling = LossScaling::Off;
        Trainer plain(g, plainConfig, *m_cpu);
        plain.setOnBatch([&](const BatchEvent& e) { plainLosses.push_back(e.loss); });
        const TrainResult rp = plain.fit(m_data, m_split);

        TrainConfig scaledConfig = c;
        scaledConfig.lossScaling = LossScaling::On;
        scaledConfig.lossScaler.growthInterval = 4; // the scale changes during the run: 2^16 → 2^20
        scaledConfig.lossScaler.maxScale = 1048576.0f;
        Trainer scaled(g, scaledConfig, *m_cpu);
        scaled.setOnBatch([&](const BatchEvent& e) {
            scaledLosses.push_back(e.loss);
            scales.push_back(e.lossScale);
            QVERIFY(!e.skipped);
        });
        const TrainResult rs = scaled.fit(m_data, m_split);

        QVERIFY(!rp.diverged && !rs.diverged);
        QCOMPARE(rs.epochsCompleted, c.epochs);
        QCOMPARE(rs.skippedSteps, int64_t(0));
        QCOMPARE(rp.lossScale, 0.0); // no loss scaling
        QCOMPARE(rs.lossScale, 1048576.0);
        QVERIFY(scales.size() > 16);
        QCOMPARE(scales.front(), 65536.0);
        QCOMPARE(scales.back(), 1048576.0);
        QCOMPARE(scaledLosses.size(), plainLosses.size());
        for (size_t i = 0; i < plainLosses.size(); ++i) // bit-identical, batch after batch (QCOMPARE is fuzzy)
            QVERIFY2(scaledLosses[i] == plainLosses[i],
                qPrintable(QString("batch %1: %2 vs %3")
                               .arg(i)
                               .arg(scaledLosses[i], 0, 'g', 17)
                               .arg(plainLosses[i], 0, 'g', 17)));
        QVERIFY(sameWeights(scaled.network(), plain.network()));
        QVERIFY(rs.history.back().trainLoss == rp.history.back().trainLoss);
        QCOMPARE(rs.history.back().lossScale, 1048576.0);
        QCOMPARE(rs.history.back().skippedSteps, int64_t(0));
    }

    void overflowSkipsBacksOffAndRecovers()
    {
        // Start at 2^127: the scaled gradients overflow float32 (the loss itself is finite). Each
        // such step is skipped — the weights do not move — and the scale halves until the
        // gradients fit; then training proceeds and ends with finite weights.
        const Dataset loud = loudBars(m_data, 50.0f);
        TrainConfig c = baseConfig();
        c.normalize = false;
        c.optimizer.learningRate = 0.001;
        c.lossScaling = LossScaling::On;
        c.lossScaler.initialScale = kTwoTo127;
        c.lossScaler.maxScale = kTwoTo127;
        Trainer trainer(cnn(), c, *m_cpu);
        Network initial(cnn(), *m_cpu, c.seed);
        std::vector<BatchEvent> events;
        bool unchangedWhileSkipping = true;
        trainer.setOnBatch([&](const BatchEvent& e) {
            events.push_back(e);
            bool allSkipped = true;
            for (const BatchEvent& seen : events)
                allSkipped = allSkipped && seen.skipped;
            if (allSkipped)
                unchangedWhileSkipping = unchangedWhileSkipping && sameWeights(trainer.network(), initial);
        });
        const TrainResult r = trainer.fit(loud, m_split);

        QVERIFY2(!r.diverged, r.message.c_str());
        QCOMPARE(r.epochsCompleted, c.epochs);
        QVERIFY(!events.empty());
        QVERIFY2(events.front().skipped, "the first step at 2^127 must overflow");
        for (const BatchEvent& e : events) // the step's outcome says the same as the flag
            QVERIFY(e.outcome == (e.skipped ? StepOutcome::SkippedByLossScaling : StepOutcome::Trained));
        QCOMPARE(events.front().lossScale, double(kTwoTo127));
        QVERIFY(unchangedWhileSkipping);
        // The skips come first, each at half the previous scale; the steps after them all count.
        size_t firstStep = 0;
        while (firstStep < events.size() && events[firstStep].skipped)
            ++firstStep;
        QVERIFY2(firstStep < events.size(), "the scale never backed off far enough");
        for (size_t i = 1; i <= firstStep; ++i)
            QCOMPARE(events[i].lossScale, events[i - 1].lossScale / 2.0);
        int64_t skipped = 0;
        for (const BatchEvent& e : events)
            skipped += e.skipped ? 1 : 0;
        QCOMPARE(r.skippedSteps, skipped);
        QVERIFY(r.skippedSteps >= int64_t(firstStep));
        QVERIFY(r.skippedSteps < int64_t(events.size()) / 2);
        int64_t perEpoch = 0;
        for (const EpochEvent& e : r.history)
            perEpoch += e.skippedSteps;
        QCOMPARE(perEpoch, r.skippedSteps);
        QVERIFY(r.lossScale < double(kTwoTo127));
        QCOMPARE(trainer.lossScaler()->skippedSteps(), r.skippedSteps);
        QVERIFY(allWeightsFinite(trainer.network()));
        QVERIFY(!sameWeights(trainer.network(), initial)); // it did train
        QVERIFY(std::isfinite(r.history.back().trainLoss));
        qInfo("%lld of %zu steps skipped; the scale ended at %s", static_cast<long long>(r.skippedSteps), events.size(),
            formatLossScale(static_cast<float>(r.lossScale)).c_str());
    }

    void stopsWhenTheFloorOverflows()
    {
        // With the floor at 2^127 the first overflow cannot back off: the run stops as diverged,
        // naming the step, with the weights of before it.
        const Dataset loud = loudBars(m_data, 50.0f);
        TrainConfig c = baseConfig();
        c.normalize = false;
        c.lossScaling = LossScaling::On;
        c.lossScaler.initialScale = kTwoTo127;
        c.lossScaler.minScale = kTwoTo127;
        c.lossScaler.maxScale = kTwoTo127;
        Trainer trainer(cnn(), c, *m_cpu);
        Network initial(cnn(), *m_cpu, c.seed);
        const TrainResult r = trainer.fit(loud, m_split);
        QVERIFY(r.diverged);
        QCOMPARE(r.epochsCompleted, 0);
        QCOMPARE(r.skippedSteps, int64_t(1));
        const QString m = QString::fromStdString(r.message);
        QVERIFY2(m.contains("training stopped at epoch 1, batch 1: the gradients are non-finite even with the loss "
                            "scale backed off to 1.70141183e+38 (2^127)"),
            r.message.c_str());
        QVERIFY2(m.contains("try FP32 math or a lower learning rate"), r.message.c_str());
        QVERIFY(r.lastStep.outcome == StepOutcome::Diverged);
        QVERIFY(r.lastStep.updateSkipped);
        QVERIFY(r.lastStep.node.empty() && r.lastStep.parameter.empty());
        QVERIFY(sameWeights(trainer.network(), initial));
    }

    void stopsAfterTooManySkips()
    {
        const Dataset loud = loudBars(m_data, 50.0f);
        TrainConfig c = baseConfig();
        c.normalize = false;
        c.lossScaling = LossScaling::On;
        c.lossScaler.initialScale = kTwoTo127;
        c.lossScaler.maxScale = kTwoTo127;
        c.lossScaler.maxConsecutiveSkips = 2;
        Trainer trainer(cnn(), c, *m_cpu);
        Network initial(cnn(), *m_cpu, c.seed);
        const TrainResult r = trainer.fit(loud, m_split);
        QVERIFY(r.diverged);
        QCOMPARE(r.skippedSteps, int64_t(2));
        QVERIFY2(QString::fromStdString(r.message).contains(
                     "epoch 1, batch 2: 2 steps in a row had non-finite gradients (loss scale now "),
            r.message.c_str());
        QVERIFY2(QString::fromStdString(r.message).contains("(2^125))"), r.message.c_str());
        QVERIFY(sameWeights(trainer.network(), initial));
    }

    void nanLossStillStopsFirst()
    {
        // A NaN/Inf loss is a divergence whatever the loss scaling: the Trainer stops on it before
        // the backward pass, with its own message, and the scaler is not asked.
        Dataset huge = loudBars(m_data, 3e38f);
        TrainConfig c = baseConfig();
        c.normalize = false;
        c.lossScaling = LossScaling::On;
        Trainer trainer(cnn(), c, *m_cpu);
        const TrainResult r = trainer.fit(huge, m_split);
        QVERIFY(r.diverged);
        QVERIFY2(QString::fromStdString(r.message).contains("the loss became"), r.message.c_str());
        QCOMPARE(r.skippedSteps, int64_t(0));
        QCOMPARE(trainer.lossScaler()->skippedSteps(), int64_t(0));
        QVERIFY(allWeightsFinite(trainer.network()));
    }
};

QTEST_GUILESS_MAIN(TestLossScaling)
#include "test_loss_scaling.moc"
