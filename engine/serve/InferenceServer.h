#pragma once
// InferenceServer: a trained model behind HTTP/1.1 (cpp-httplib) — the service of
// `netcanvas-cli serve` and of the app's Deploy ▸ Serve This Model (docs/serving.md).
//
//   POST /v1/predict   raw image bytes, multipart/form-data with one image per part, or JSON
//                      ({"inputs": [tensor, ...]} or a bare array) → top-k classes with
//                      probabilities per image (?top_k=N or "top_k" in the JSON)
//   GET  /v1/model     name, version, input shape, classes, normalization, limits
//   GET  /healthz      the process answers;   GET /readyz  a model is loaded and not draining
//   GET  /metrics      Prometheus text: requests by endpoint and code, latency and batch-size
//                      histograms, queue depth, in-flight requests, reloads
//   POST /v1/reload    loads the model again (new weights at the same path) without dropping
//                      requests: requests keep the generation they were prepared for
//
// Limits (ServeLimits): body size → 413; an image's width, height or pixel count, read from its
// header before decoding → 413; images per request → 413; queued images → 429; connections
// beyond maxConnections and requests while draining → 503. Every error is JSON
// {"error": message, "status": code}; bad input (not an image, truncated, wrong tensor shape,
// malformed JSON) is 400 naming the image and the fault. With a token every endpoint but
// /healthz and /readyz needs "Authorization: Bearer TOKEN" (401 otherwise).
//
// Threads: start() binds and returns; HTTP connections run on a pool of maxConnections
// threads, inference on the Batcher's thread. reload(), shutdown(), snapshot() and url() are
// safe from any thread (a signal-handling thread, the app's UI through a worker).
#include "engine/serve/Batcher.h"
#include "engine/serve/ServeMetrics.h"
#include "engine/serve/ServedModel.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace netcanvas::serve {

struct ServeLimits {
    size_t maxBodyBytes = 16u << 20; // 16 MiB
    int64_t maxImageSide = 8192; // width and height
    int64_t maxImagePixels = 16'777'216; // width × height (16 MP)
    int64_t maxImagesPerRequest = 64;
    int maxConnections = 128; // served at once; more get 503
    int64_t maxQueue = 1024; // images waiting for the batcher; more get 429
};

struct ServeOptions {
    std::string host = "127.0.0.1";
    int port = 8080; // 0: any free port (see InferenceServer::port())
    int64_t maxBatch = 64;
    int maxDelayMs = 2; // the longest a queued request waits for others to join its batch
    int topK = 5; // default of top_k
    std::string token; // non-empty: bearer token required
    bool allowUnauthenticatedRemote = false; // bind a non-loopback address without a token
    std::chrono::milliseconds drainTimeout { 30000 }; // shutdown waits this long for in-flight requests
    ServeLimits limits;
};

// Whether `host` is a loopback address ("127.x.x.x", "::1", "localhost").
bool isLoopbackHost(const std::string& host);

struct ReloadResult {
    bool ok = false;
    std::string message; // the error when !ok
    int64_t generation = 0;
    std::string version, previousVersion;
};

class InferenceServer {
public:
    // Checks the options (FormatError naming the option: a non-loopback host without a token
    // and without allowUnauthenticatedRemote, a limit < 1) — nothing is loaded or bound yet.
    InferenceServer(ServeOptions options, ModelLoader loader);
    ~InferenceServer(); // shutdown()

    // Loads the model (generation 1) and binds; sets SIGPIPE to ignored for the process (a
    // client that hangs up while its answer is written must not end it); throws the loader's errors, or IoError naming
    // host:port when it cannot bind. Returns once requests are being accepted.
    void start();
    int port() const { return m_port; }
    std::string url() const; // "http://host:port"

    ReloadResult reload();
    // Graceful stop: /readyz and new predict requests answer 503, in-flight requests finish
    // (up to drainTimeout), then the listener and the batcher stop. Idempotent.
    void shutdown();
    // Blocks until shutdown() has finished (from another thread).
    void wait();
    bool running() const { return m_running.load(); }

    std::shared_ptr<ServedModel> model() const;
    MetricsSnapshot snapshot() const { return m_metrics.snapshot(); }
    const ServeOptions& options() const { return m_options; }

private:
    struct Impl;
    ServeOptions m_options;
    ModelLoader m_loader;
    ServeMetrics m_metrics;
    std::unique_ptr<Impl> m;
    std::atomic<bool> m_running { false };
    int m_port = 0;
};

} // namespace netcanvas::serve
