#include "engine/core/ThreadPool.h"

#include "engine/core/Error.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <system_error>

namespace netcanvas {

namespace {

thread_local bool t_insideTask = false;

constexpr uint64_t kField = (uint64_t(1) << 24) - 1;

uint64_t generationOf(uint64_t state)
{
    return state >> 48;
}

inline void cpuRelax()
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

// Spins until done() or `micros` have passed; true when done() became true.
template <class Done> bool spinUntil(Done done, int micros)
{
    if (micros <= 0)
        return done();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(micros);
    for (;;) {
        for (int k = 0; k < 32; ++k) {
            if (done())
                return true;
            cpuRelax();
        }
        if (std::chrono::steady_clock::now() >= deadline)
            return done();
    }
}

int defaultSpin()
{
    if (const char* v = std::getenv("NETCANVAS_SPIN_US")) {
        char* end = nullptr;
        const long us = std::strtol(v, &end, 10);
        if (end != v && *end == '\0' && us >= 0 && us <= 100000)
            return static_cast<int>(us);
    }
    return 100;
}

} // namespace

ThreadPool::ThreadPool(int threads, int spinMicros)
    : m_spinMicros(spinMicros >= 0 ? spinMicros : defaultSpin())
{
    try {
        for (int i = 1; i < threads; ++i)
            m_workers.emplace_back([this] { workerLoop(); });
    } catch (const std::system_error& e) {
        // The system refused a thread (a process or memory limit): the workers already
        // started are stopped and joined, and the caller gets an error instead of a pool
        // that waits forever.
        const size_t started = m_workers.size();
        stopWorkers();
        throw BackendError("cannot start " + std::to_string(threads - 1) + " worker threads (the system refused after "
            + std::to_string(started) + ": " + e.what() + "); use fewer --threads");
    }
}

ThreadPool::~ThreadPool()
{
    stopWorkers();
}

void ThreadPool::stopWorkers()
{
    m_quit.store(true);
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_wake.notify_all();
    }
    for (auto& t : m_workers)
        t.join();
    m_workers.clear();
}

void ThreadPool::run(int n, const std::function<void(int)>& fn)
{
    if (n <= 0)
        return;
    if (n == 1 || m_workers.empty() || t_insideTask) {
        for (int i = 0; i < n; ++i)
            fn(i);
        return;
    }
    if (static_cast<uint64_t>(n) > kField) { // beyond the word's count field: in pieces
        for (int b = 0; b < n; b += static_cast<int>(kField))
            run(std::min(static_cast<int>(kField), n - b), [&](int i) { fn(b + i); });
        return;
    }
    std::lock_guard<std::mutex> runLock(m_runMutex);
    m_task = &fn;
    m_pending.store(n, std::memory_order_relaxed);
    const uint64_t generation = (generationOf(m_state.load(std::memory_order_relaxed)) + 1) & 0xFFFF;
    // Publishes m_task and m_pending with the new (generation, count, next = 0). A claim by a
    // late worker of the previous run that lands after this store is a claim of this run's
    // task, made after seeing this store: valid.
    m_state.store((generation << 48) | (static_cast<uint64_t>(n) << 24));
    // Sleeping workers count themselves before checking the word (both sequentially
    // consistent): either this load sees a sleeper, or the sleeper saw the new word.
    if (m_sleepers.load() > 0) {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_wake.notify_all();
    }
    t_insideTask = true; // the caller works too
    work();
    t_insideTask = false;
    auto finished = [this] { return m_pending.load(std::memory_order_acquire) == 0; };
    if (!spinUntil(finished, m_spinMicros)) {
        std::unique_lock<std::mutex> lock(m_mutex);
        m_done.wait(lock, finished);
    }
    m_task = nullptr;
}

void ThreadPool::work()
{
    for (;;) {
        const uint64_t v = m_state.fetch_add(1, std::memory_order_acq_rel);
        const uint64_t count = (v >> 24) & kField, index = v & kField;
        if (index >= count)
            return;
        // A claimed index belongs to the run whose word this was; that run cannot finish
        // (nor m_task change) before this task is counted off.
        (*m_task)(static_cast<int>(index));
        finishOne();
    }
}

void ThreadPool::finishOne()
{
    if (m_pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_done.notify_all();
    }
}

void ThreadPool::workerLoop()
{
    t_insideTask = true;
    uint64_t seen = generationOf(m_state.load());
    auto woken = [&] { return m_quit.load() || generationOf(m_state.load()) != seen; };
    for (;;) {
        if (!spinUntil(woken, m_spinMicros)) {
            std::unique_lock<std::mutex> lock(m_mutex);
            m_sleepers.fetch_add(1);
            m_wake.wait(lock, woken);
            m_sleepers.fetch_sub(1);
        }
        if (m_quit.load())
            return;
        seen = generationOf(m_state.load());
        work();
    }
}

} // namespace netcanvas
