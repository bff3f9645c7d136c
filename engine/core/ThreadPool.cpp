#include "engine/core/ThreadPool.h"

namespace netcanvas {

namespace {
thread_local bool t_insideTask = false;
}

ThreadPool::ThreadPool(int threads)
{
    for (int i = 1; i < threads; ++i)
        m_workers.emplace_back([this, i] { workerLoop(i); });
}

ThreadPool::~ThreadPool()
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_quit = true;
    }
    m_wake.notify_all();
    for (auto& t : m_workers)
        t.join();
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
    std::lock_guard<std::mutex> runLock(m_runMutex);
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_task = &fn;
        m_taskCount = n;
        m_next = 0;
        m_pending = n;
        ++m_generation;
    }
    m_wake.notify_all();
    // The caller works too.
    t_insideTask = true;
    for (;;) {
        int i;
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            if (m_next >= m_taskCount)
                break;
            i = m_next++;
        }
        fn(i);
        std::lock_guard<std::mutex> lock(m_mutex);
        if (--m_pending == 0)
            m_done.notify_all();
    }
    t_insideTask = false;
    std::unique_lock<std::mutex> lock(m_mutex);
    m_done.wait(lock, [this] { return m_pending == 0; });
    m_task = nullptr;
}

void ThreadPool::workerLoop(int)
{
    uint64_t seen = 0;
    t_insideTask = true;
    std::unique_lock<std::mutex> lock(m_mutex);
    for (;;) {
        m_wake.wait(lock, [&] { return m_quit || (m_generation != seen && m_next < m_taskCount); });
        if (m_quit)
            return;
        seen = m_generation;
        while (m_next < m_taskCount) {
            const int i = m_next++;
            const auto* task = m_task;
            lock.unlock();
            (*task)(i);
            lock.lock();
            if (--m_pending == 0)
                m_done.notify_all();
        }
    }
}

} // namespace netcanvas
