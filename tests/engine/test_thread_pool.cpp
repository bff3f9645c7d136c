// ThreadPool: every index of every run exactly once, whichever thread claims it; runs back
// to back (workers still spinning, late workers of the previous run racing the next one),
// after the workers fell asleep, with spinning off, nested runs inline, several outside
// threads sharing one pool, and a pool destroyed while its workers sleep or spin.
#include "engine/core/ThreadPool.h"

#include <QtTest>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

using namespace netcanvas;

namespace {

// Runs `runs` parallel regions of n tasks each; returns how often each (run, index) ran.
std::vector<int> countRuns(ThreadPool& pool, int runs, int n)
{
    std::vector<std::atomic<int>> hits(static_cast<size_t>(runs * n));
    for (int r = 0; r < runs; ++r)
        pool.run(n, [&](int i) { hits[static_cast<size_t>(r * n + i)].fetch_add(1); });
    std::vector<int> out;
    for (auto& h : hits)
        out.push_back(h.load());
    return out;
}

} // namespace

class TestThreadPool : public QObject {
    Q_OBJECT

private slots:
    void everyIndexExactlyOnce_data()
    {
        QTest::addColumn<int>("threads");
        QTest::addColumn<int>("spin");
        QTest::addColumn<int>("n");
        QTest::newRow("2 threads, spin, n = 2") << 2 << 100 << 2;
        QTest::newRow("2 threads, spin, n = 7") << 2 << 100 << 7;
        QTest::newRow("2 threads, no spin, n = 2") << 2 << 0 << 2;
        QTest::newRow("4 threads, spin, n = 3") << 4 << 100 << 3;
        QTest::newRow("4 threads, short spin, n = 33") << 4 << 5 << 33;
        QTest::newRow("1 thread, n = 5") << 1 << 100 << 5;
    }
    void everyIndexExactlyOnce()
    {
        QFETCH(int, threads);
        QFETCH(int, spin);
        QFETCH(int, n);
        ThreadPool pool(threads, spin);
        QCOMPARE(pool.threads(), threads);
        QCOMPARE(pool.spinMicros(), spin);
        // Many short runs back to back: late workers of one run meet the next.
        const std::vector<int> hits = countRuns(pool, 20000, n);
        for (size_t k = 0; k < hits.size(); ++k)
            QVERIFY2(hits[k] == 1,
                ("run " + std::to_string(k / n) + " index " + std::to_string(k % n) + " ran " + std::to_string(hits[k])
                    + " times")
                    .c_str());
    }

    void workersShareTheWork()
    {
        ThreadPool pool(2, 100);
        // Tasks long enough that the caller cannot finish both before the worker joins.
        std::set<std::thread::id> ids;
        std::mutex m;
        for (int r = 0; r < 50; ++r)
            pool.run(2, [&](int) {
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
                std::lock_guard<std::mutex> lock(m);
                ids.insert(std::this_thread::get_id());
            });
        QCOMPARE(ids.size(), size_t(2));
    }

    void wakesSleepingWorkers()
    {
        ThreadPool pool(3, 10);
        for (int round = 0; round < 5; ++round) {
            // Long enough past the spin for every worker to be asleep.
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            std::atomic<int> sum { 0 };
            std::set<std::thread::id> ids;
            std::mutex m;
            pool.run(6, [&](int i) {
                sum += i + 1;
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
                std::lock_guard<std::mutex> lock(m);
                ids.insert(std::this_thread::get_id());
            });
            QCOMPARE(sum.load(), 21);
            QVERIFY2(ids.size() >= 2, "no sleeping worker joined the run");
        }
    }

    void nestedRunIsInline()
    {
        ThreadPool pool(2, 100);
        std::atomic<int> inner { 0 }, elsewhere { 0 };
        pool.run(4, [&](int) {
            const auto self = std::this_thread::get_id();
            pool.run(3, [&](int) {
                if (std::this_thread::get_id() != self)
                    elsewhere.fetch_add(1);
                inner.fetch_add(1);
            });
        });
        QCOMPARE(inner.load(), 12);
        QCOMPARE(elsewhere.load(), 0);
    }

    void outsideThreadsShareOnePool()
    {
        ThreadPool pool(2, 50);
        std::atomic<long> total { 0 };
        auto client = [&](int base) {
            for (int r = 0; r < 3000; ++r)
                pool.run(3, [&](int i) { total.fetch_add(base + i); });
        };
        std::thread a(client, 0), b(client, 100);
        a.join();
        b.join();
        // Each client: 3000 runs × (3·base + 0 + 1 + 2).
        QCOMPARE(total.load(), 3000L * 3 + 3000L * (300 + 3));
    }

    void emptyAndSingleRuns()
    {
        ThreadPool pool(2, 100);
        int calls = 0;
        pool.run(0, [&](int) { ++calls; });
        pool.run(-3, [&](int) { ++calls; });
        QCOMPARE(calls, 0);
        pool.run(1, [&](int i) { calls += 1 + i; });
        QCOMPARE(calls, 1);
    }

    void destroyedWhileSpinningOrAsleep()
    {
        for (int k = 0; k < 50; ++k) {
            ThreadPool spinning(3, 1000);
            std::atomic<int> n { 0 };
            spinning.run(3, [&](int) { n.fetch_add(1); });
            QCOMPARE(n.load(), 3);
        } // destroyed right after a run: workers are spinning
        ThreadPool sleeping(3, 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }

    void spinFromEnvironment()
    {
        qputenv("NETCANVAS_SPIN_US", "7");
        QCOMPARE(ThreadPool(2).spinMicros(), 7);
        qputenv("NETCANVAS_SPIN_US", "lots");
        QCOMPARE(ThreadPool(2).spinMicros(), 100); // not a number: the default
        qunsetenv("NETCANVAS_SPIN_US");
        QCOMPARE(ThreadPool(2).spinMicros(), 100);
    }
};

QTEST_GUILESS_MAIN(TestThreadPool)
#include "test_thread_pool.moc"
