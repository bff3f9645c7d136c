#pragma once
// ThreadPool: the engine's one pool of worker threads for data-parallel loops.
// run(n, fn) calls fn(i) for every i in [0, n) — i = 0 on the calling thread, the others on
// workers — and returns when all are done. Idle workers sleep on a condition variable
// (after a very short spin), so an oversubscribed machine (a GUI, a data loader, other
// programs) costs little, unlike OpenMP's spinning barriers. A run() issued from inside a
// running task executes inline (no nested parallelism, no deadlock).
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace netcanvas {

class ThreadPool {
public:
    explicit ThreadPool(int threads);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int threads() const { return static_cast<int>(m_workers.size()) + 1; }
    // Runs fn(0) … fn(n-1), in parallel across the pool; fn must not throw.
    void run(int n, const std::function<void(int)>& fn);

private:
    void workerLoop(int index);

    std::vector<std::thread> m_workers;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_done;
    std::mutex m_runMutex; // one run() at a time from outside threads
    const std::function<void(int)>* m_task = nullptr;
    int m_taskCount = 0;
    int m_next = 0;       // next task index to claim
    int m_pending = 0;    // tasks not yet finished
    uint64_t m_generation = 0;
    bool m_quit = false;
};

} // namespace netcanvas
