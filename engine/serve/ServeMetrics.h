#pragma once
// ServeMetrics: what an InferenceServer counts — requests by endpoint and status, the latency
// of predictions (a histogram, plus the last 2048 for exact recent percentiles), batch sizes,
// queue depth, images, reloads — and its Prometheus text exposition.
//
// Thread-safe: every method may be called from any thread at any time (one mutex; the
// counting calls are a few additions under it, far below a request's cost).
#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace netcanvas::serve {

// A value copy of the figures a dashboard shows (the app's serve dialog).
struct MetricsSnapshot {
    int64_t requests = 0; // every request answered, all endpoints
    int64_t predictions = 0; // POST /v1/predict answered 200
    int64_t errors = 0; // answered with a 4xx or 5xx status
    int64_t images = 0; // images (tensors) predicted
    int64_t batches = 0;
    double meanBatch = 0.0;
    double p50Ms = 0.0, p99Ms = 0.0; // over the last 2048 successful predictions; 0 when none
    int64_t queueDepth = 0; // images waiting for the batcher
    int64_t inFlight = 0; // predict requests being handled
    int64_t reloads = 0;
};

class ServeMetrics {
public:
    // Latency histogram buckets (seconds) and batch-size buckets: Prometheus `le` bounds.
    static constexpr std::array<double, 14> kLatencyBuckets { 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2,
        0.5, 1.0, 2.0, 5.0, 10.0 };
    static constexpr std::array<double, 10> kBatchBuckets { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512 };

    void countRequest(const std::string& endpoint, int status);
    void observePrediction(double seconds, int64_t images);
    void observeBatch(int64_t size);
    void countReload(bool ok);
    void setQueueDepth(int64_t images);
    void addInFlight(int64_t delta);

    MetricsSnapshot snapshot() const;
    // The Prometheus text format (version 0.0.4); `generation` is the model's reload count.
    std::string prometheusText(int64_t generation) const;

private:
    mutable std::mutex m_mutex;
    std::map<std::pair<std::string, int>, int64_t> m_requests;
    std::array<int64_t, kLatencyBuckets.size() + 1> m_latency {}; // +Inf last
    double m_latencySum = 0.0;
    int64_t m_latencyCount = 0;
    std::array<int64_t, kBatchBuckets.size() + 1> m_batch {};
    int64_t m_batchSum = 0, m_batchCount = 0;
    int64_t m_images = 0;
    int64_t m_reloadsOk = 0, m_reloadsFailed = 0;
    int64_t m_queueDepth = 0, m_inFlight = 0;
    std::vector<float> m_recent; // ring of recent latencies (ms)
    size_t m_recentNext = 0;
};

} // namespace netcanvas::serve
