#include "engine/serve/ServeMetrics.h"

#include <algorithm>
#include <cstdio>

namespace netcanvas::serve {

namespace {

constexpr size_t kRecent = 2048;

std::string num(double v)
{
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

template <size_t N> size_t bucketOf(const std::array<double, N>& bounds, double v)
{
    return static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin());
}

template <size_t N, size_t M>
void histogram(std::string& out, const std::string& name, const std::array<double, N>& bounds,
    const std::array<int64_t, M>& counts, double sum, int64_t count)
{
    int64_t cumulative = 0;
    for (size_t i = 0; i < N; ++i) {
        cumulative += counts[i];
        out += name + "_bucket{le=\"" + num(bounds[i]) + "\"} " + std::to_string(cumulative) + "\n";
    }
    out += name + "_bucket{le=\"+Inf\"} " + std::to_string(count) + "\n";
    out += name + "_sum " + num(sum) + "\n";
    out += name + "_count " + std::to_string(count) + "\n";
}

} // namespace

void ServeMetrics::countRequest(const std::string& endpoint, int status)
{
    std::lock_guard lock(m_mutex);
    ++m_requests[{ endpoint, status }];
}

void ServeMetrics::observePrediction(double seconds, int64_t images)
{
    std::lock_guard lock(m_mutex);
    ++m_latency[bucketOf(kLatencyBuckets, seconds)];
    m_latencySum += seconds;
    ++m_latencyCount;
    m_images += images;
    const float ms = static_cast<float>(seconds * 1e3);
    if (m_recent.size() < kRecent)
        m_recent.push_back(ms);
    else
        m_recent[m_recentNext] = ms;
    m_recentNext = (m_recentNext + 1) % kRecent;
}

void ServeMetrics::observeBatch(int64_t size)
{
    std::lock_guard lock(m_mutex);
    ++m_batch[bucketOf(kBatchBuckets, static_cast<double>(size))];
    m_batchSum += size;
    ++m_batchCount;
}

void ServeMetrics::countReload(bool ok)
{
    std::lock_guard lock(m_mutex);
    ++(ok ? m_reloadsOk : m_reloadsFailed);
}

void ServeMetrics::setQueueDepth(int64_t images)
{
    std::lock_guard lock(m_mutex);
    m_queueDepth = images;
}

void ServeMetrics::addInFlight(int64_t delta)
{
    std::lock_guard lock(m_mutex);
    m_inFlight += delta;
}

MetricsSnapshot ServeMetrics::snapshot() const
{
    std::vector<float> recent;
    MetricsSnapshot s;
    {
        std::lock_guard lock(m_mutex);
        for (const auto& [key, count] : m_requests) {
            s.requests += count;
            if (key.second >= 400)
                s.errors += count;
            if (key.first == "/v1/predict" && key.second == 200)
                s.predictions += count;
        }
        s.images = m_images;
        s.batches = m_batchCount;
        s.meanBatch = m_batchCount ? static_cast<double>(m_batchSum) / static_cast<double>(m_batchCount) : 0.0;
        s.queueDepth = m_queueDepth;
        s.inFlight = m_inFlight;
        s.reloads = m_reloadsOk;
        recent = m_recent;
    }
    if (!recent.empty()) {
        auto at = [&](double q) {
            const size_t k = std::min(recent.size() - 1, static_cast<size_t>(q * static_cast<double>(recent.size())));
            std::nth_element(recent.begin(), recent.begin() + static_cast<std::ptrdiff_t>(k), recent.end());
            return static_cast<double>(recent[k]);
        };
        s.p50Ms = at(0.50);
        s.p99Ms = at(0.99);
    }
    return s;
}

std::string ServeMetrics::prometheusText(int64_t generation) const
{
    std::lock_guard lock(m_mutex);
    std::string out;
    out += "# HELP netcanvas_http_requests_total HTTP requests answered, by endpoint and status code.\n"
           "# TYPE netcanvas_http_requests_total counter\n";
    for (const auto& [key, count] : m_requests)
        out += "netcanvas_http_requests_total{endpoint=\"" + key.first + "\",code=\"" + std::to_string(key.second)
            + "\"} " + std::to_string(count) + "\n";
    out += "# HELP netcanvas_predict_latency_seconds Time from a predict request's arrival to its answer (200s).\n"
           "# TYPE netcanvas_predict_latency_seconds histogram\n";
    histogram(out, "netcanvas_predict_latency_seconds", kLatencyBuckets, m_latency, m_latencySum, m_latencyCount);
    out += "# HELP netcanvas_batch_size Images per batch the model ran.\n"
           "# TYPE netcanvas_batch_size histogram\n";
    histogram(out, "netcanvas_batch_size", kBatchBuckets, m_batch, static_cast<double>(m_batchSum), m_batchCount);
    out += "# HELP netcanvas_queue_depth Images waiting for the batcher.\n# TYPE netcanvas_queue_depth gauge\n"
           "netcanvas_queue_depth "
        + std::to_string(m_queueDepth) + "\n";
    out += "# HELP netcanvas_inflight_requests Predict requests being handled.\n"
           "# TYPE netcanvas_inflight_requests gauge\nnetcanvas_inflight_requests "
        + std::to_string(m_inFlight) + "\n";
    out += "# HELP netcanvas_images_total Images predicted.\n# TYPE netcanvas_images_total counter\n"
           "netcanvas_images_total "
        + std::to_string(m_images) + "\n";
    out += "# HELP netcanvas_reloads_total Model reloads, by result.\n# TYPE netcanvas_reloads_total counter\n"
           "netcanvas_reloads_total{result=\"ok\"} "
        + std::to_string(m_reloadsOk) + "\nnetcanvas_reloads_total{result=\"failed\"} "
        + std::to_string(m_reloadsFailed) + "\n";
    out += "# HELP netcanvas_model_generation Loads of the model so far (1 after start).\n"
           "# TYPE netcanvas_model_generation gauge\nnetcanvas_model_generation "
        + std::to_string(generation) + "\n";
    return out;
}

} // namespace netcanvas::serve
