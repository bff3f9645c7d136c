#pragma once
// Batcher: dynamic batching on a thread of its own. Request threads submit prepared samples
// (a Job: one request's images, all prepared for one ServedModel generation) and wait on its
// future; the batcher thread gathers queued jobs into one batch of up to `maxBatch` images and
// runs it, so that concurrent requests share a forward pass.
//
// When to run: as soon as a batch is full, or when no other request is on its way — the
// server tells the batcher how many predict requests are still reading or decoding their
// inputs (arriving()) — or when the first queued job has waited `maxDelay`. A lone request
// therefore runs at once, as a batch of 1, and under load a batch fills while the previous
// one runs. Jobs of different model generations (around a reload) never share a batch: each
// runs on the model its inputs were prepared for.
//
// Limits: submit() refuses a job (returns an invalid future) when the queue would hold more
// than `maxQueue` images — the server answers 429. A job larger than maxBatch runs alone in
// chunks of maxBatch.
//
// Threads: submit(), arriving(), queued() and stop() are safe from any thread. stop() runs
// what is queued, then ends the thread (jobs submitted after stop() are refused).
#include "engine/serve/ServeMetrics.h"
#include "engine/serve/ServedModel.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace netcanvas::serve {

struct BatchResult {
    std::vector<float> probabilities; // images × classes of `model`
    std::shared_ptr<ServedModel> model;
    std::string error; // non-empty: the batch failed (the model threw)
};

class Batcher {
public:
    Batcher(int64_t maxBatch, std::chrono::microseconds maxDelay, int64_t maxQueue, ServeMetrics& metrics);
    ~Batcher(); // stop()

    // `inputs` holds images × model->sampleSize() values.
    std::future<BatchResult> submit(std::shared_ptr<ServedModel> model, std::vector<float> inputs, int64_t images);
    // A predict request started (+1) or stopped (-1) preparing its inputs.
    void arriving(int delta);
    int64_t queued() const;
    void stop();

private:
    struct Job {
        std::shared_ptr<ServedModel> model;
        std::vector<float> inputs;
        int64_t images = 0;
        std::chrono::steady_clock::time_point arrived;
        std::promise<BatchResult> done;
    };
    void loop();
    void runBatch(std::vector<Job>& jobs);

    const int64_t m_maxBatch;
    const std::chrono::microseconds m_maxDelay;
    const int64_t m_maxQueue;
    ServeMetrics& m_metrics;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Job> m_queue;
    int64_t m_queuedImages = 0;
    int m_arriving = 0;
    bool m_stopping = false;
    std::vector<float> m_inputs, m_probabilities; // the batch's, reused
    std::thread m_thread;
};

} // namespace netcanvas::serve
