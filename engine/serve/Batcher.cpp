#include "engine/serve/Batcher.h"

#include <algorithm>
#include <cstring>

namespace netcanvas::serve {

Batcher::Batcher(int64_t maxBatch, std::chrono::microseconds maxDelay, int64_t maxQueue, ServeMetrics& metrics)
    : m_maxBatch(std::max<int64_t>(1, maxBatch))
    , m_maxDelay(maxDelay)
    , m_maxQueue(std::max<int64_t>(1, maxQueue))
    , m_metrics(metrics)
    , m_thread([this] { loop(); })
{
}

Batcher::~Batcher()
{
    stop();
}

std::future<BatchResult> Batcher::submit(std::shared_ptr<ServedModel> model, std::vector<float> inputs, int64_t images)
{
    Job job;
    job.model = std::move(model);
    job.inputs = std::move(inputs);
    job.images = images;
    job.arrived = std::chrono::steady_clock::now();
    std::future<BatchResult> result = job.done.get_future();
    {
        std::lock_guard lock(m_mutex);
        if (m_stopping || m_queuedImages + images > m_maxQueue)
            return {};
        m_queuedImages += images;
        m_queue.push_back(std::move(job));
        m_metrics.setQueueDepth(m_queuedImages);
    }
    m_wake.notify_all();
    return result;
}

void Batcher::arriving(int delta)
{
    {
        std::lock_guard lock(m_mutex);
        m_arriving += delta;
    }
    if (delta < 0)
        m_wake.notify_all();
}

int64_t Batcher::queued() const
{
    std::lock_guard lock(m_mutex);
    return m_queuedImages;
}

void Batcher::stop()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable())
        m_thread.join();
}

void Batcher::loop()
{
    std::vector<Job> batch;
    for (;;) {
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [&] { return m_stopping || !m_queue.empty(); });
            if (m_queue.empty())
                return; // stopping, nothing left
            // Wait for more only while the batch is not full and other requests are on their way.
            const auto deadline = m_queue.front().arrived + m_maxDelay;
            auto sameModelImages = [&] {
                int64_t n = 0;
                for (const Job& j : m_queue)
                    if (j.model == m_queue.front().model)
                        n += j.images;
                return n;
            };
            while (!m_stopping && m_arriving > 0 && sameModelImages() < m_maxBatch
                && std::chrono::steady_clock::now() < deadline)
                m_wake.wait_until(lock, deadline);
            // Take jobs of the first job's model, in order, up to maxBatch images (at least one job).
            const std::shared_ptr<ServedModel> model = m_queue.front().model;
            int64_t images = 0;
            for (auto it = m_queue.begin(); it != m_queue.end();) {
                if (it->model != model) {
                    ++it;
                    continue;
                }
                if (!batch.empty() && images + it->images > m_maxBatch)
                    break;
                images += it->images;
                batch.push_back(std::move(*it));
                it = m_queue.erase(it);
            }
            m_queuedImages -= images;
            m_metrics.setQueueDepth(m_queuedImages);
        }
        runBatch(batch);
        batch.clear();
    }
}

void Batcher::runBatch(std::vector<Job>& jobs)
{
    ServedModel& model = *jobs.front().model;
    const int64_t sample = model.sampleSize(), classes = model.classes();
    int64_t total = 0;
    for (const Job& j : jobs)
        total += j.images;
    m_inputs.resize(static_cast<size_t>(total * sample));
    m_probabilities.resize(static_cast<size_t>(total * classes));
    int64_t at = 0;
    for (const Job& j : jobs) {
        std::memcpy(m_inputs.data() + at * sample, j.inputs.data(), j.inputs.size() * sizeof(float));
        at += j.images;
    }
    std::string error;
    try {
        for (int64_t start = 0; start < total; start += m_maxBatch) {
            const int64_t n = std::min(m_maxBatch, total - start);
            model.run(m_inputs.data() + start * sample, n, m_probabilities.data() + start * classes);
            m_metrics.observeBatch(n);
        }
    } catch (const std::exception& e) {
        error = e.what();
    }
    at = 0;
    for (Job& j : jobs) {
        BatchResult r;
        r.model = j.model;
        r.error = error;
        if (error.empty())
            r.probabilities.assign(
                m_probabilities.begin() + at * classes, m_probabilities.begin() + (at + j.images) * classes);
        at += j.images;
        j.done.set_value(std::move(r));
    }
}

} // namespace netcanvas::serve
