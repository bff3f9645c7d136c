#pragma once
// ThreadPool: the engine's one pool of worker threads for data-parallel loops.
// run(n, fn) calls fn(i) for every i in [0, n) — on the calling thread and the workers, each
// index exactly once — and returns when all are done. A run() issued from inside a running
// task executes inline (no nested parallelism, no deadlock); run() calls from several
// outside threads are serialized.
//
// Waking. A training step issues a few dozen parallel regions of 20–200 µs each, with short
// serial stretches between them. Workers that went to sleep after every region would each
// time take a futex wake-up (tens of µs, longer on a loaded machine) to join the next one,
// and the caller would often finish the work alone first. So an idle worker spins for a
// while (spinMicros, default 100 µs, environment NETCANVAS_SPIN_US) watching one atomic word
// before it sleeps on a condition variable, and run() only notifies when a worker sleeps.
// Past the spin the pool costs nothing while idle, unlike OpenMP's long default spin.
//
// The tasks of a run are claimed from one 64-bit word holding (generation, count, next
// index), so a worker that arrives late from an earlier run can never claim an index of a
// later one.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace netcanvas {

class ThreadPool {
public:
    // threads includes the caller: threads − 1 workers are started. When the system refuses a
    // thread, the ones started are joined and BackendError is thrown (never a hang).
    explicit ThreadPool(int threads, int spinMicros = -1); // −1: NETCANVAS_SPIN_US or 100
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int threads() const { return static_cast<int>(m_workers.size()) + 1; }
    int spinMicros() const { return m_spinMicros; }
    // Runs fn(0) … fn(n-1), in parallel across the pool; fn must not throw.
    void run(int n, const std::function<void(int)>& fn);

private:
    void workerLoop();
    void stopWorkers();
    // Claims and runs tasks of the current run until none is left.
    void work();
    void finishOne();

    std::vector<std::thread> m_workers;
    int m_spinMicros = 100;
    // [generation:16 | count:24 | next:24]
    std::atomic<uint64_t> m_state { 0 };
    std::atomic<int> m_pending { 0 }; // tasks of the current run not yet finished
    const std::function<void(int)>* m_task = nullptr;
    std::atomic<int> m_sleepers { 0 };
    std::atomic<bool> m_quit { false };
    std::mutex m_mutex; // guards the sleeps, with m_wake and m_done
    std::condition_variable m_wake;
    std::condition_variable m_done;
    std::mutex m_runMutex; // one run() at a time from outside threads
};

} // namespace netcanvas
