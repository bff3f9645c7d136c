// Data parallelism without MPI: the DataLoader's sharding (each sample once per epoch across
// ranks, equal batch counts, rank r's batch b = its rows of the single-process batch b) and
// the Trainer's GradientSync contract, checked with two Trainers on two threads that
// all-reduce through shared memory: 2 replicas × batch 32 reach the weights of 1 × batch 64.
// (tests/app/test_cli_distributed.cpp checks the same over MPI with mpirun.)
#include "engine/backend/Backend.h"
#include "engine/data/DataLoader.h"
#include "engine/data/Split.h"
#include "engine/session/ProgressLog.h"
#include "engine/train/GradientSync.h"
#include "engine/train/Trainer.h"

#include "common/Fixtures.h"

#include <QtTest>

#include <algorithm>
#include <barrier>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <set>
#include <thread>

using namespace netcanvas;

namespace {

// All-reduce over threads: every replica adds its weighted gradients into its slot, then each
// sums all shares (the same order on every replica, so they agree bit for bit).
struct SharedReduce {
    explicit SharedReduce(int n)
        : barrier(n)
        , shares(static_cast<size_t>(n))
    {
    }
    std::barrier<> barrier;
    std::vector<std::vector<float>> shares;
};

class ThreadSync final : public GradientSync {
public:
    ThreadSync(SharedReduce& shared, int rank, int size)
        : m_shared(shared)
        , m_rank(rank)
        , m_size(size)
    {
    }
    int rank() const override { return m_rank; }
    int size() const override { return m_size; }
    void attach(
        Network& network, const std::vector<NamedParameter>& trainable, const std::vector<NamedParameter>&) override
    {
        m_network = &network;
        m_params.clear();
        for (const auto& p : trainable)
            if (p.param->trainable && p.param->grad.size() == p.param->value.size())
                m_params.push_back(p);
        network.setBackwardObserver([this](const std::string& id) { layerDone(id); });
        ++attached;
    }
    void beginStep(int64_t local, int64_t global) override
    {
        m_weight = static_cast<float>(local) / static_cast<float>(global);
        globalSizes.push_back(global);
        localSizes.push_back(local);
        m_inStep = true;
    }
    void layerDone(const std::string& id) override
    {
        if (m_inStep && steps == 0)
            firstStepNodes.push_back(id);
    }
    void finishGradients() override { reduce(false); }
    void abandonStep() override { reduce(true); }
    void afterUpdate() override { ++steps; }
    void detach() override
    {
        m_network->setBackwardObserver({});
        ++detached;
    }

    int attached = 0, detached = 0, steps = 0;
    std::vector<int64_t> globalSizes, localSizes;
    std::vector<std::string> firstStepNodes; // layerDone() calls of the first step, in order

private:
    void reduce(bool poison)
    {
        m_inStep = false;
        std::vector<float>& mine = m_shared.shares[static_cast<size_t>(m_rank)];
        mine.clear();
        for (const auto& p : m_params)
            for (int64_t k = 0; k < p.param->grad.size(); ++k)
                mine.push_back(poison ? std::numeric_limits<float>::quiet_NaN() : m_weight * p.param->grad.data()[k]);
        m_shared.barrier.arrive_and_wait();
        size_t o = 0;
        for (const auto& p : m_params)
            for (int64_t k = 0; k < p.param->grad.size(); ++k, ++o) {
                float sum = 0.0f;
                for (const auto& slot : m_shared.shares)
                    sum += slot[o];
                p.param->grad.data()[k] = sum;
            }
        m_shared.barrier.arrive_and_wait(); // nobody refills a slot before all have read it
    }

    SharedReduce& m_shared;
    int m_rank, m_size;
    Network* m_network = nullptr;
    std::vector<NamedParameter> m_params;
    float m_weight = 1.0f;
    bool m_inStep = false;
};

TrainConfig config(int64_t batch)
{
    TrainConfig c;
    c.epochs = 2;
    c.batchSize = batch;
    c.optimizer.kind = "sgd";
    c.optimizer.momentum = 0.9;
    c.optimizer.learningRate = 0.05;
    c.seed = 9;
    c.threads = 1;
    return c;
}

std::vector<std::vector<int64_t>> epochBatches(DataLoader& loader, int epoch, std::vector<int64_t>* globals = nullptr)
{
    std::vector<std::vector<int64_t>> out;
    loader.startEpoch(epoch);
    Batch b;
    while (loader.next(b)) {
        out.push_back(b.indices);
        if (b.images.shape()[0] != b.size()) // the image tensor holds exactly the batch
            out.push_back({ -1 });
        if (globals)
            globals->push_back(b.globalSize);
    }
    return out;
}

} // namespace

class TestDataParallel : public QObject {
    Q_OBJECT

private slots:
    // 3 shards of batch 4 (global 12): rank r's batch b is rows [r·R/3, (r+1)·R/3) of the
    // single-process batch b of 12; every sample once; a last global batch under 3 samples
    // is dropped, one of 3 or more is split.
    void shardsPartitionEachGlobalBatch()
    {
        const Dataset data = fixtures::barsDataset(20, 3); // 60 samples
        for (const int count : { 53, 50, 48 }) {
            std::vector<int64_t> indices(static_cast<size_t>(count));
            std::iota(indices.begin(), indices.end(), 0);
            LoaderOptions whole;
            whole.batchSize = 12;
            whole.seed = 4;
            DataLoader single(data, indices, whole);
            const auto reference = epochBatches(single, 1);
            const int64_t expectedBatches = count / 12 + (count % 12 >= 3 ? 1 : 0);
            std::multiset<int64_t> seen;
            for (int r = 0; r < 3; ++r) {
                LoaderOptions opt = whole;
                opt.batchSize = 4;
                opt.shardCount = 3;
                opt.shardRank = r;
                DataLoader shard(data, indices, opt);
                QCOMPARE(shard.batchesPerEpoch(), expectedBatches);
                std::vector<int64_t> globals;
                const auto batches = epochBatches(shard, 1, &globals);
                QCOMPARE(static_cast<int64_t>(batches.size()), expectedBatches);
                for (size_t b = 0; b < batches.size(); ++b) {
                    const auto& ref = reference[b];
                    const size_t R = ref.size();
                    QCOMPARE(globals[b], static_cast<int64_t>(R));
                    const std::vector<int64_t> rows(ref.begin() + static_cast<std::ptrdiff_t>(R * r / 3),
                        ref.begin() + static_cast<std::ptrdiff_t>(R * (r + 1) / 3));
                    QCOMPARE(batches[b], rows);
                    QVERIFY(!batches[b].empty());
                    seen.insert(batches[b].begin(), batches[b].end());
                }
            }
            const size_t dropped = count % 12 < 3 ? static_cast<size_t>(count % 12) : 0;
            QCOMPARE(seen.size(), static_cast<size_t>(count) - dropped);
            QCOMPARE(std::set<int64_t>(seen.begin(), seen.end()).size(), seen.size()); // no sample twice
        }
    }

    // progress.jsonl: what rank 0 writes, the app reads back — including a line still being
    // written (left for later) and lines that are not JSON or of an unknown type (skipped).
    void progressLogRoundTrip()
    {
        BatchEvent b;
        b.epoch = 1;
        b.batch = 7;
        b.batchesPerEpoch = 20;
        b.globalStep = 27;
        b.totalSteps = 40;
        b.loss = 0.5;
        b.accuracy = 0.75;
        b.learningRate = 0.04;
        b.samplesPerSecond = 1234.5;
        EpochEvent e;
        e.epoch = 1;
        e.trainLoss = 0.4;
        e.trainAccuracy = 0.8;
        e.validationLoss = std::numeric_limits<double>::quiet_NaN(); // none: written as null
        e.validationAccuracy = std::numeric_limits<double>::quiet_NaN();
        e.improved = true;
        const nlohmann::json metrics { { "epochs", 2 }, { "test_accuracy", 0.9 }, { "diverged", false },
            { "best_epoch", 2 } };
        std::string text = progressStartLine(2, "node7", 2, 100.0).dump() + "\n" + progressBatchLine(b, 101.0).dump()
            + "\nnot json at all\n{\"type\": \"future\"}\n" + progressEpochLine(e, 102.0).dump() + "\n";
        const std::string end = progressEndLine(metrics, { { "ranks", 2 } }, 103.0).dump() + "\n";
        text += end.substr(0, 10); // the writer is mid-line
        ProgressLogState s;
        readProgressLog(text, s);
        QVERIFY(s.started);
        QCOMPARE(s.ranks, 2);
        QCOMPARE(s.host, std::string("node7"));
        QCOMPARE(s.newBatches.size(), size_t(1));
        QCOMPARE(s.newBatches[0].globalStep, int64_t(27));
        QCOMPARE(s.newBatches[0].loss, 0.5);
        QCOMPARE(s.newBatches[0].samplesPerSecond, 1234.5);
        QCOMPARE(s.newEpochs.size(), size_t(1));
        QCOMPARE(s.newEpochs[0].trainAccuracy, 0.8);
        QVERIFY(std::isnan(s.newEpochs[0].validationLoss));
        QVERIFY(s.newEpochs[0].improved);
        QVERIFY(!s.ended);
        QCOMPARE(s.lastTime, 102.0);
        s.newBatches.clear();
        s.newEpochs.clear();
        text += end.substr(10);
        readProgressLog(text, s);
        QVERIFY(s.ended);
        QVERIFY(s.newBatches.empty());
        QCOMPARE(s.summary.epochsCompleted, 2);
        QCOMPARE(s.summary.testAccuracy, 0.9);
        QCOMPARE(s.summary.bestEpoch, 1);
        QCOMPARE(s.distributed["ranks"].get<int>(), 2);
        QCOMPARE(s.consumed, text.size());
    }

    void badShardIsAnError()
    {
        const Dataset data = fixtures::barsDataset(2, 3);
        LoaderOptions opt;
        opt.shardCount = 2;
        opt.shardRank = 2;
        QVERIFY_THROWS_EXCEPTION(DataError, DataLoader(data, { 0, 1, 2 }, opt));
    }

    // Two replicas × batch 32 through ThreadSync = one Trainer × batch 64, after every step of
    // two epochs (including a last, uneven global batch).
    void twoReplicasEqualOneWithTheGlobalBatch()
    {
        const Dataset data = fixtures::barsDataset(50, 8); // 150 samples
        const DataSplit split = splitDataset(data, 0.1, 0.0, 2); // 135 train: 64 + 64 + 7
        auto backend = createCpuBackend(1);
        Trainer single(fixtures::barsCnn(), config(64), *backend);
        single.fit(data, split);

        SharedReduce shared(2);
        std::vector<std::unique_ptr<Backend>> backends;
        std::vector<std::unique_ptr<Trainer>> replicas;
        std::vector<std::unique_ptr<ThreadSync>> syncs;
        for (int r = 0; r < 2; ++r) {
            backends.push_back(createCpuBackend(1));
            // The same seed: the same initial weights (ThreadSync broadcasts nothing).
            replicas.push_back(std::make_unique<Trainer>(fixtures::barsCnn(), config(32), *backends.back()));
            syncs.push_back(std::make_unique<ThreadSync>(shared, r, 2));
            replicas.back()->setGradientSync(syncs.back().get());
        }
        std::vector<TrainResult> results(2);
        std::vector<std::thread> threads;
        for (int r = 0; r < 2; ++r)
            threads.emplace_back(
                [&, r] { results[static_cast<size_t>(r)] = replicas[static_cast<size_t>(r)]->fit(data, split); });
        for (auto& t : threads)
            t.join();

        for (int r = 0; r < 2; ++r) {
            const ThreadSync& s = *syncs[static_cast<size_t>(r)];
            QCOMPARE(s.attached, 1);
            QCOMPARE(s.detached, 1);
            QCOMPARE(s.steps, 6); // 3 global batches × 2 epochs
            QCOMPARE(s.globalSizes, (std::vector<int64_t> { 64, 64, 7, 64, 64, 7 }));
            QCOMPARE(s.localSizes[2], r == 0 ? int64_t(3) : int64_t(4));
            // Every trainable node reported its backward, the last one first.
            QCOMPARE(s.firstStepNodes.front(), std::string("fc"));
            QVERIFY(std::find(s.firstStepNodes.begin(), s.firstStepNodes.end(), "conv") != s.firstStepNodes.end());
        }
        auto ps = single.network().parameters();
        for (int r = 0; r < 2; ++r) {
            auto pr = replicas[static_cast<size_t>(r)]->network().parameters();
            QCOMPARE(pr.size(), ps.size());
            double worst = 0.0;
            for (size_t i = 0; i < ps.size(); ++i)
                for (int64_t k = 0; k < ps[i].param->value.size(); ++k)
                    worst = std::max(
                        worst, std::fabs(double(pr[i].param->value.data()[k]) - double(ps[i].param->value.data()[k])));
            QVERIFY2(worst < 1e-5, qPrintable(QString("replica %1 differs by %2").arg(r).arg(worst)));
        }
        // The replicas agree bit for bit (the same sums in the same order).
        auto p0 = replicas[0]->network().parameters(), p1 = replicas[1]->network().parameters();
        for (size_t i = 0; i < p0.size(); ++i)
            QVERIFY(std::memcmp(p0[i].param->value.data(), p1[i].param->value.data(),
                        sizeof(float) * static_cast<size_t>(p0[i].param->value.size()))
                == 0);
    }
};

QTEST_GUILESS_MAIN(TestDataParallel)
#include "test_data_parallel.moc"
