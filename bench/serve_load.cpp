// bench_serve_load: a load generator for `netcanvas-cli serve` (bench/serve-load.sh runs it).
// N client threads, each on its own keep-alive connection, POST to /v1/predict for a fixed
// time; prints throughput (images and requests per second), latency percentiles and errors per
// concurrency level as one JSON line each, and samples the server's resident memory.
// A request is one encoded image (--image), or with --tensor-batch B a binary tensor body
// (application/x-netcanvas-tensor) of B uint8 samples at the model's input shape (the pixels
// of a fixed pseudo-random pattern: the speed does not depend on them).
//
//   bench_serve_load --port P (--image FILE | --tensor-batch B) [--concurrency 1,8,64]
//                    [--seconds 10] [--pid SERVER_PID] [--top-k K] [--sample-every SECONDS]
// --sample-every S also prints a line {"t": seconds, "rss_mb": ...} every S seconds (memory runs).
#include "engine/serve/TensorBody.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double rssMb(int pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0)
            return std::strtod(line.c_str() + 6, nullptr) / 1024.0;
    return -1.0;
}

double percentile(std::vector<double>& v, double q)
{
    if (v.empty())
        return 0.0;
    const size_t k = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

} // namespace

int main(int argc, char** argv)
{
    int port = 0, pid = 0, tensorBatch = 0, topK = 5;
    double seconds = 10, sampleEvery = 0;
    std::string image, levels = "1,8,64", host = "127.0.0.1";
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i], v = argv[i + 1];
        if (a == "--port")
            port = std::atoi(v.c_str());
        else if (a == "--pid")
            pid = std::atoi(v.c_str());
        else if (a == "--seconds")
            seconds = std::atof(v.c_str());
        else if (a == "--tensor-batch")
            tensorBatch = std::atoi(v.c_str());
        else if (a == "--top-k")
            topK = std::atoi(v.c_str());
        else if (a == "--sample-every")
            sampleEvery = std::atof(v.c_str());
        else if (a == "--image")
            image = v;
        else if (a == "--concurrency")
            levels = v;
        else {
            std::fprintf(stderr, "bench_serve_load: unknown option %s\n", a.c_str());
            return 2;
        }
    }
    std::string body, contentType = "application/octet-stream";
    int perRequest = 1;
    if (tensorBatch > 0 && port > 0) {
        httplib::Client info(host, port);
        auto r = info.Get("/v1/model");
        if (!r || r->status != 200) {
            std::fprintf(stderr, "bench_serve_load: GET /v1/model failed\n");
            return 1;
        }
        const auto shape = nlohmann::json::parse(r->body)["input_shape"].get<std::vector<int64_t>>();
        const size_t values = static_cast<size_t>(tensorBatch * shape[0] * shape[1] * shape[2]);
        std::vector<uint8_t> pixels(values);
        uint32_t x = 12345;
        for (auto& p : pixels) {
            x = x * 1664525u + 1013904223u;
            p = static_cast<uint8_t>(x >> 24);
        }
        body = netcanvas::serve::encodeTensorBody(
            netcanvas::serve::TensorDType::UInt8, tensorBatch, shape[0], shape[1], shape[2], pixels.data());
        contentType = netcanvas::serve::kTensorContentType;
        perRequest = tensorBatch;
    } else if (!image.empty()) {
        std::ifstream in(image, std::ios::binary);
        body.assign((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    }
    if (port <= 0 || body.empty()) {
        std::fprintf(stderr,
            "usage: bench_serve_load --port P (--image FILE | --tensor-batch B) [--concurrency 1,8,64] "
            "[--seconds S] [--pid SERVER_PID] [--top-k K] [--sample-every S]\n");
        return 2;
    }
    const std::string path = "/v1/predict?top_k=" + std::to_string(topK);
    std::stringstream list(levels);
    std::string level;
    while (std::getline(list, level, ',')) {
        const int clients = std::atoi(level.c_str());
        std::atomic<bool> stop { false };
        std::vector<std::vector<double>> latencies(static_cast<size_t>(clients));
        std::vector<int64_t> errors(static_cast<size_t>(clients), 0);
        std::vector<std::string> firstError(static_cast<size_t>(clients));
        std::vector<std::thread> threads;
        const auto start = Clock::now();
        for (int t = 0; t < clients; ++t)
            threads.emplace_back([&, t] {
                httplib::Client c(host, port);
                c.set_keep_alive(true);
                c.set_tcp_nodelay(true);
                c.set_read_timeout(30, 0);
                auto& mine = latencies[static_cast<size_t>(t)];
                while (!stop) {
                    const auto t0 = Clock::now();
                    auto r = c.Post(path, body, contentType);
                    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
                    if (r && r->status == 200) {
                        mine.push_back(ms);
                    } else {
                        if (errors[static_cast<size_t>(t)]++ == 0)
                            firstError[static_cast<size_t>(t)]
                                = r ? std::to_string(r->status) + " " + r->body : httplib::to_string(r.error());
                    }
                }
            });
        double rssMin = 1e30, rssMax = 0, rssFirst = -1, rssLast = -1, nextSample = 0;
        while (std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
            if (pid > 0) {
                const double r = rssMb(pid);
                const double t = std::chrono::duration<double>(Clock::now() - start).count();
                if (sampleEvery > 0 && t >= nextSample) {
                    std::printf("{\"t\": %.1f, \"rss_mb\": %.1f}\n", t, r);
                    std::fflush(stdout);
                    nextSample += sampleEvery;
                }
                rssMin = std::min(rssMin, r);
                rssMax = std::max(rssMax, r);
                if (rssFirst < 0)
                    rssFirst = r;
                rssLast = r;
            }
        }
        stop = true;
        for (auto& th : threads)
            th.join();
        const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
        std::vector<double> all;
        int64_t errorCount = 0;
        std::string anError;
        for (int t = 0; t < clients; ++t) {
            all.insert(all.end(), latencies[static_cast<size_t>(t)].begin(), latencies[static_cast<size_t>(t)].end());
            errorCount += errors[static_cast<size_t>(t)];
            if (anError.empty())
                anError = firstError[static_cast<size_t>(t)];
        }
        for (char& ch : anError)
            if (ch == '"' || ch == '\\' || ch == '\n' || ch == '\r')
                ch = ' ';
        const size_t ok = all.size();
        std::printf("{\"concurrency\": %d, \"images_per_request\": %d, \"seconds\": %.2f, \"ok\": %zu, \"errors\": "
                    "%lld, \"requests_per_s\": %.1f, \"images_per_s\": %.1f, "
                    "\"p50_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f, \"rss_mb_first\": %.1f, \"rss_mb_last\": "
                    "%.1f, \"rss_mb_min\": %.1f, \"rss_mb_max\": %.1f, \"first_error\": \"%s\"}\n",
            clients, perRequest, elapsed, ok, static_cast<long long>(errorCount), static_cast<double>(ok) / elapsed,
            static_cast<double>(ok) * perRequest / elapsed, percentile(all, 0.5), percentile(all, 0.99),
            all.empty() ? 0.0 : *std::max_element(all.begin(), all.end()), rssFirst, rssLast, pid > 0 ? rssMin : -1.0,
            rssMax, anError.substr(0, 80).c_str());
        std::fflush(stdout);
    }
    return 0;
}
