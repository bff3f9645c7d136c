#include "engine/serve/InferenceServer.h"

#include "engine/core/Error.h"
#include "engine/serve/ImageProbe.h"
#include "engine/serve/TensorBody.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <functional>
#include <numeric>

namespace netcanvas::serve {

namespace {

using Clock = std::chrono::steady_clock;

// A request that cannot be served, with the HTTP status that says why.
struct RequestError {
    int status;
    std::string message;
};

void sendJson(httplib::Response& res, int status, const nlohmann::json& body)
{
    res.status = status;
    res.set_content(body.dump() + "\n", "application/json");
}

void sendError(httplib::Response& res, int status, const std::string& message)
{
    sendJson(res, status, { { "error", message }, { "status", status } });
}

const char* reasonOf(int status)
{
    switch (status) {
    case 400:
        return "bad request";
    case 401:
        return "unauthorized";
    case 404:
        return "no such endpoint (see /v1/model, /v1/predict, /healthz, /readyz, /metrics, /v1/reload)";
    case 405:
        return "method not allowed";
    case 413:
        return "request body too large";
    case 414:
        return "request URI too long";
    case 429:
        return "too many requests";
    case 503:
        return "service unavailable";
    default:
        return "error";
    }
}

// The endpoint a request is counted under: the known paths, everything else "other".
std::string endpointOf(const std::string& path)
{
    for (const char* known : { "/v1/predict", "/v1/model", "/v1/reload", "/healthz", "/readyz", "/metrics" })
        if (path == known)
            return known;
    return "other";
}

// JSON nesting deeper than `limit` (outside strings), checked before parsing.
bool nestsDeeperThan(const std::string& body, int limit)
{
    int depth = 0;
    bool inString = false, escaped = false;
    for (char c : body) {
        if (inString) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                inString = false;
            continue;
        }
        if (c == '"')
            inString = true;
        else if (c == '[' || c == '{') {
            if (++depth > limit)
                return true;
        } else if (c == ']' || c == '}')
            --depth;
    }
    return false;
}

bool constantTimeEquals(const std::string& a, const std::string& b)
{
    unsigned diff = static_cast<unsigned>(a.size() ^ b.size());
    for (size_t i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned>(a[i] ^ b[i % std::max<size_t>(1, b.size())]);
    return diff == 0;
}

// Marks the connections run by the overflow thread: their requests are answered 503.
thread_local bool t_overflow = false;

// httplib's connection queue with a bound: up to `maxConnections` connections are served at
// once by as many threads (a keep-alive connection holds its thread); the ones beyond are
// handed to one overflow thread that answers each request 503 and closes.
class ConnectionPool : public httplib::TaskQueue {
public:
    explicit ConnectionPool(int maxConnections)
        : m_max(static_cast<size_t>(std::max(1, maxConnections)))
    {
        for (size_t i = 0; i < m_max; ++i)
            m_threads.emplace_back([this] { work(m_jobs, false); });
        m_threads.emplace_back([this] { work(m_overflow, true); });
    }
    ~ConnectionPool() override { shutdown(); }

    void enqueue(std::function<void()> fn) override
    {
        {
            std::lock_guard lock(m_mutex);
            if (m_active < m_max) {
                ++m_active;
                m_jobs.push_back(std::move(fn));
            } else {
                m_overflow.push_back(std::move(fn));
            }
        }
        m_wake.notify_all();
    }

    void shutdown() override
    {
        {
            std::lock_guard lock(m_mutex);
            if (m_shutdown)
                return;
            m_shutdown = true;
        }
        m_wake.notify_all();
        for (auto& t : m_threads)
            t.join();
    }

private:
    void work(std::deque<std::function<void()>>& queue, bool overflow)
    {
        t_overflow = overflow;
        for (;;) {
            std::function<void()> fn;
            {
                std::unique_lock lock(m_mutex);
                m_wake.wait(lock, [&] { return m_shutdown || !queue.empty(); });
                if (queue.empty())
                    return;
                fn = std::move(queue.front());
                queue.pop_front();
            }
            fn();
            if (!overflow) {
                std::lock_guard lock(m_mutex);
                --m_active;
            }
        }
    }

    const size_t m_max;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<std::function<void()>> m_jobs, m_overflow;
    size_t m_active = 0;
    bool m_shutdown = false;
    std::vector<std::thread> m_threads;
};

// httplib listens with a backlog of 5 (a compile-time constant of the Debian library): 64 clients
// connecting at once overflow it and wait for SYN retransmits (1 s, 2 s) or fail. Listening
// again on the bound socket raises the backlog (Linux updates it in place).
class Server : public httplib::Server {
public:
    void widenBacklog(int backlog) { ::listen(svr_sock_, backlog); }
};

} // namespace

bool isLoopbackHost(const std::string& host)
{
    return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

struct InferenceServer::Impl {
    Server http;
    std::unique_ptr<Batcher> batcher;
    std::thread listener;
    mutable std::mutex modelMutex;
    std::shared_ptr<ServedModel> model;
    std::mutex reloadMutex;
    std::atomic<bool> draining { false };
    std::atomic<int> inFlight { 0 };
    std::mutex stateMutex;
    std::condition_variable stateChanged;
    bool stopped = false;
    bool shuttingDown = false;

    void predict(InferenceServer& server, const httplib::Request& req, httplib::Response& res);
};

InferenceServer::InferenceServer(ServeOptions options, ModelLoader loader)
    : m_options(std::move(options))
    , m_loader(std::move(loader))
    , m(std::make_unique<Impl>())
{
    const ServeLimits& l = m_options.limits;
    auto positive = [](int64_t v, const char* what) {
        if (v < 1)
            throw FormatError(std::string("serve: ") + what + " must be at least 1, not " + std::to_string(v));
    };
    positive(m_options.maxBatch, "--max-batch");
    positive(m_options.topK, "the default top-k");
    positive(static_cast<int64_t>(l.maxBodyBytes), "--max-body-mb");
    positive(l.maxImageSide, "--max-image-side");
    positive(l.maxImagePixels, "--max-image-pixels");
    positive(l.maxImagesPerRequest, "--max-images");
    positive(l.maxConnections, "--max-connections");
    positive(l.maxQueue, "--max-queue");
    if (m_options.maxDelayMs < 0)
        throw FormatError("serve: --max-delay-ms must not be negative");
    if (m_options.port < 0 || m_options.port > 65535)
        throw FormatError("serve: --port must be in 0..65535, not " + std::to_string(m_options.port));
    if (!isLoopbackHost(m_options.host) && m_options.token.empty() && !m_options.allowUnauthenticatedRemote)
        throw FormatError("serve: refusing to listen on " + m_options.host
            + " without a token: give --token-file FILE (clients send \"Authorization: Bearer TOKEN\"), or "
              "--allow-unauthenticated when another layer (a reverse proxy, a firewall) guards the port");
    if (!m_loader)
        throw FormatError("serve: no model loader");
}

InferenceServer::~InferenceServer()
{
    shutdown();
}

std::shared_ptr<ServedModel> InferenceServer::model() const
{
    std::lock_guard lock(m->modelMutex);
    return m->model;
}

std::string InferenceServer::url() const
{
    const bool v6 = m_options.host.find(':') != std::string::npos;
    return "http://" + (v6 ? "[" + m_options.host + "]" : m_options.host) + ":" + std::to_string(m_port);
}

void InferenceServer::start()
{
    if (m_running)
        return;
    // A client that disconnects while its answer is written must not end the process.
    std::signal(SIGPIPE, SIG_IGN);
    {
        std::shared_ptr<ServedModel> first = m_loader(1);
        std::lock_guard lock(m->modelMutex);
        m->model = std::move(first);
    }
    m->batcher = std::make_unique<Batcher>(m_options.maxBatch,
        std::chrono::microseconds(int64_t(m_options.maxDelayMs) * 1000), m_options.limits.maxQueue, m_metrics);

    Server& http = m->http;
    const ServeOptions& o = m_options;
    const int maxConnections = o.limits.maxConnections;
    http.new_task_queue = [maxConnections] { return new ConnectionPool(maxConnections); };
    http.set_payload_max_length(o.limits.maxBodyBytes);
    http.set_keep_alive_max_count(1000);
    http.set_keep_alive_timeout(5);
    http.set_tcp_nodelay(true);

    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
        if (t_overflow) {
            res.set_header("Connection", "close");
            res.set_header("Retry-After", "1");
            sendError(res, 503,
                "too many connections (limit " + std::to_string(m_options.limits.maxConnections)
                    + ", --max-connections): retry later");
            return httplib::Server::HandlerResponse::Handled;
        }
        if (!m_options.token.empty() && req.path != "/healthz" && req.path != "/readyz") {
            const std::string auth = req.get_header_value("Authorization");
            const std::string prefix = "Bearer ";
            if (auth.rfind(prefix, 0) != 0 || !constantTimeEquals(auth.substr(prefix.size()), m_options.token)) {
                res.set_header("WWW-Authenticate", "Bearer");
                sendError(res, 401, "missing or wrong bearer token (send \"Authorization: Bearer TOKEN\")");
                return httplib::Server::HandlerResponse::Handled;
            }
        }
        if (m->draining && req.path != "/healthz" && req.path != "/readyz" && req.path != "/metrics") {
            res.set_header("Connection", "close");
            sendError(res, 503, "shutting down: not accepting new requests");
            return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
    });
    http.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty())
            return httplib::Server::HandlerResponse::Unhandled;
        std::string message = reasonOf(res.status);
        if (res.status == 413)
            message += " (the limit is set by --max-body-mb)";
        sendError(res, res.status, message);
        return httplib::Server::HandlerResponse::Handled;
    }));
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "internal error";
        try {
            std::rethrow_exception(ep);
        } catch (const std::exception& e) {
            what += std::string(": ") + e.what();
        } catch (...) {
        }
        sendError(res, 500, what);
    });
    http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
        m_metrics.countRequest(endpointOf(req.path), res.status);
    });

    http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
        sendJson(res, 200, { { "status", "ok" } });
    });
    http.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
        const auto current = model();
        if (m->draining || !current)
            sendJson(res, 503, { { "status", "draining" }, { "error", "shutting down" }, { "status_code", 503 } });
        else
            sendJson(res, 200, { { "status", "ready" }, { "generation", current->generation() } });
    });
    http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
        const auto current = model();
        res.set_content(m_metrics.prometheusText(current ? current->generation() : 0), "text/plain; version=0.0.4");
    });
    http.Get("/v1/model", [this](const httplib::Request&, httplib::Response& res) {
        nlohmann::json j = model()->info();
        const ServeLimits& l = m_options.limits;
        j["limits"] = { { "max_body_bytes", l.maxBodyBytes }, { "max_image_side", l.maxImageSide },
            { "max_image_pixels", l.maxImagePixels }, { "max_images_per_request", l.maxImagesPerRequest },
            { "max_connections", l.maxConnections }, { "max_queue", l.maxQueue } };
        j["batching"] = { { "max_batch", m_options.maxBatch }, { "max_delay_ms", m_options.maxDelayMs } };
        j["top_k"] = m_options.topK;
        sendJson(res, 200, j);
    });
    http.Post("/v1/reload", [this](const httplib::Request&, httplib::Response& res) {
        const ReloadResult r = reload();
        if (!r.ok) {
            sendError(res, 500, "reload failed, still serving the previous weights: " + r.message);
            return;
        }
        sendJson(res, 200,
            { { "generation", r.generation }, { "version", r.version }, { "previous_version", r.previousVersion } });
    });
    http.Post(
        "/v1/predict", [this](const httplib::Request& req, httplib::Response& res) { m->predict(*this, req, res); });

    if (o.port == 0) {
        m_port = http.bind_to_any_port(o.host);
        if (m_port <= 0)
            throw IoError("serve: cannot listen on " + o.host + " (any port)");
    } else {
        if (!http.bind_to_port(o.host, o.port))
            throw IoError("serve: cannot listen on " + o.host + ":" + std::to_string(o.port)
                + " (in use, or not an address of this machine)");
        m_port = o.port;
    }
    http.widenBacklog(std::max(128, o.limits.maxConnections));
    m_running = true;
    m->listener = std::thread([this] { m->http.listen_after_bind(); });
}

namespace {

// The inputs of a predict request, prepared for `model`: images × sampleSize values.
struct PreparedInputs {
    std::vector<float> values;
    std::vector<std::string> names; // per image: the multipart file name, or empty
    int64_t images = 0;
    int topK = 0; // from the JSON body; 0 = not given
};

void checkImage(const ImageInfo& info, const std::string& what, const ServeLimits& l)
{
    if (!info.ok())
        throw RequestError { 400, what + ": " + info.error };
    if (info.width > l.maxImageSide || info.height > l.maxImageSide)
        throw RequestError { 413,
            what + ": " + std::to_string(info.width) + "x" + std::to_string(info.height) + " pixels; the limit is "
                + std::to_string(l.maxImageSide) + " on each side (--max-image-side)" };
    if (info.width * info.height > l.maxImagePixels)
        throw RequestError { 413,
            what + ": " + std::to_string(info.width) + "x" + std::to_string(info.height) + " = "
                + std::to_string(info.width * info.height) + " pixels; the limit is " + std::to_string(l.maxImagePixels)
                + " (--max-image-pixels)" };
}

void checkCount(int64_t n, const ServeLimits& l)
{
    if (n > l.maxImagesPerRequest)
        throw RequestError { 413,
            std::to_string(n) + " images in one request; the limit is " + std::to_string(l.maxImagesPerRequest)
                + " (--max-images)" };
}

void prepareImageBytes(const ServedModel& model, const std::string& bytes, const std::string& what,
    const ServeLimits& l, PreparedInputs& in)
{
    const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
    checkImage(probeImage(data, bytes.size()), what, l);
    try {
        model.prepareImage(data, bytes.size(), what, in.values);
    } catch (const Error& e) {
        throw RequestError { 400, e.what() };
    }
    ++in.images;
}

PreparedInputs prepareInputs(const ServedModel& model, const httplib::Request& req, const ServeLimits& l)
{
    PreparedInputs in;
    if (req.is_multipart_form_data()) {
        checkCount(static_cast<int64_t>(req.files.size()), l);
        if (req.files.empty())
            throw RequestError { 400, "the multipart body has no parts: send one image per part" };
        int i = 0;
        for (const auto& [field, part] : req.files) {
            const std::string name = part.filename.empty() ? field : part.filename;
            prepareImageBytes(model, part.content, "image " + std::to_string(i++) + " (" + name + ")", l, in);
            in.names.push_back(name);
        }
        return in;
    }
    const std::string type = req.get_header_value("Content-Type");
    if (type.rfind(kTensorContentType, 0) == 0) {
        bool normalize = true;
        if (req.has_param("normalize")) {
            const std::string v = req.get_param_value("normalize");
            if (v != "true" && v != "false")
                throw RequestError { 400, "normalize must be true or false, not '" + v + "'" };
            normalize = v == "true";
        }
        try {
            const TensorBodyView body
                = parseTensorBody(reinterpret_cast<const uint8_t*>(req.body.data()), req.body.size());
            checkCount(body.n, l);
            model.prepareTensorBody(body, normalize, in.values);
            in.images = body.n;
        } catch (const Error& e) {
            throw RequestError { 400, e.what() };
        }
        in.names.resize(static_cast<size_t>(in.images));
        return in;
    }
    if (type.rfind("application/json", 0) == 0) {
        if (nestsDeeperThan(req.body, 8))
            throw RequestError { 400, "JSON nested deeper than 8 levels: a tensor is at most C\u00d7H\u00d7W" };
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(req.body);
        } catch (const nlohmann::json::exception& e) {
            throw RequestError { 400, std::string("malformed JSON: ") + e.what() };
        }
        bool normalize = true;
        nlohmann::json inputs = j;
        if (j.is_object()) {
            if (!j.contains("inputs") || !j["inputs"].is_array())
                throw RequestError { 400, "JSON body: expected {\"inputs\": [tensor, ...]} or an array of tensors" };
            inputs = j["inputs"];
            if (j.contains("normalize")) {
                if (!j["normalize"].is_boolean())
                    throw RequestError { 400, "JSON body: \"normalize\" must be true or false" };
                normalize = j["normalize"].get<bool>();
            }
            if (j.contains("top_k")) {
                if (!j["top_k"].is_number_integer() || j["top_k"].get<int64_t>() < 1)
                    throw RequestError { 400, "JSON body: \"top_k\" must be a positive integer" };
                in.topK = static_cast<int>(std::min<int64_t>(j["top_k"].get<int64_t>(), 1 << 20));
            }
        } else if (!j.is_array()) {
            throw RequestError { 400, "JSON body: expected {\"inputs\": [tensor, ...]} or an array of tensors" };
        }
        if (inputs.empty())
            throw RequestError { 400, "JSON body: no tensors" };
        checkCount(static_cast<int64_t>(inputs.size()), l);
        for (size_t i = 0; i < inputs.size(); ++i) {
            try {
                model.prepareTensor(inputs[i], normalize, "tensor " + std::to_string(i), in.values);
            } catch (const Error& e) {
                throw RequestError { 400, e.what() };
            }
            ++in.images;
            in.names.emplace_back();
        }
        return in;
    }
    if (req.body.empty())
        throw RequestError { 400,
            "empty body: send image bytes, multipart/form-data with images, or JSON {\"inputs\": [...]}" };
    prepareImageBytes(model, req.body, "image", l, in);
    in.names.emplace_back();
    return in;
}

} // namespace

void InferenceServer::Impl::predict(InferenceServer& server, const httplib::Request& req, httplib::Response& res)
{
    const auto started = Clock::now();
    const ServeOptions& o = server.m_options;
    ++inFlight;
    server.m_metrics.addInFlight(1);
    batcher->arriving(1);
    bool arriving = true;
    auto endArriving = [&] {
        if (arriving)
            batcher->arriving(-1);
        arriving = false;
    };
    try {
        int topK = o.topK;
        if (req.has_param("top_k")) {
            const std::string v = req.get_param_value("top_k");
            char* end = nullptr;
            const long k = std::strtol(v.c_str(), &end, 10);
            if (v.empty() || *end != '\0' || k < 1)
                throw RequestError { 400, "top_k must be a positive integer, not '" + v + "'" };
            topK = static_cast<int>(std::min<long>(k, 1 << 20));
        }
        std::shared_ptr<ServedModel> current = server.model();
        PreparedInputs in = prepareInputs(*current, req, o.limits);
        if (in.topK > 0)
            topK = in.topK;
        std::future<BatchResult> pending = batcher->submit(current, std::move(in.values), in.images);
        endArriving();
        if (!pending.valid()) {
            res.set_header("Retry-After", "1");
            throw RequestError { 429,
                "the queue is full (" + std::to_string(batcher->queued()) + " images waiting; limit "
                    + std::to_string(o.limits.maxQueue) + ", --max-queue): retry later" };
        }
        const BatchResult r = pending.get();
        if (!r.error.empty())
            throw RequestError { 500, "inference failed: " + r.error };
        const ServedModel& m = *r.model;
        const int64_t classes = m.classes();
        const int k = static_cast<int>(std::min<int64_t>(topK, classes));
        nlohmann::json predictions = nlohmann::json::array();
        std::vector<int> order(static_cast<size_t>(classes));
        for (int64_t i = 0; i < in.images; ++i) {
            const float* p = r.probabilities.data() + i * classes;
            std::iota(order.begin(), order.end(), 0);
            std::partial_sort(order.begin(), order.begin() + k, order.end(),
                [&](int a, int b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
            nlohmann::json top = nlohmann::json::array();
            for (int t = 0; t < k; ++t)
                top.push_back({ { "class", m.className(order[static_cast<size_t>(t)]) },
                    { "index", order[static_cast<size_t>(t)] }, { "probability", p[order[static_cast<size_t>(t)]] } });
            nlohmann::json one = { { "top", top } };
            if (!in.names[static_cast<size_t>(i)].empty())
                one["name"] = in.names[static_cast<size_t>(i)];
            predictions.push_back(one);
        }
        sendJson(res, 200,
            { { "model", { { "name", m.name() }, { "version", m.version() }, { "generation", m.generation() } } },
                { "predictions", predictions } });
        server.m_metrics.observePrediction(std::chrono::duration<double>(Clock::now() - started).count(), in.images);
    } catch (const RequestError& e) {
        endArriving();
        sendError(res, e.status, e.message);
    } catch (const std::exception& e) {
        endArriving();
        sendError(res, 500, std::string("internal error: ") + e.what());
    }
    server.m_metrics.addInFlight(-1);
    {
        std::lock_guard lock(stateMutex);
        --inFlight;
    }
    stateChanged.notify_all();
}

ReloadResult InferenceServer::reload()
{
    std::lock_guard reloading(m->reloadMutex);
    ReloadResult r;
    const std::shared_ptr<ServedModel> previous = model();
    r.previousVersion = previous ? previous->version() : std::string();
    const int64_t generation = previous ? previous->generation() + 1 : 1;
    try {
        std::shared_ptr<ServedModel> next = m_loader(generation);
        r.ok = true;
        r.generation = generation;
        r.version = next->version();
        std::lock_guard lock(m->modelMutex);
        m->model = std::move(next);
    } catch (const std::exception& e) {
        r.message = e.what();
        r.generation = previous ? previous->generation() : 0;
        r.version = r.previousVersion;
    }
    m_metrics.countReload(r.ok);
    return r;
}

void InferenceServer::shutdown()
{
    {
        std::unique_lock lock(m->stateMutex);
        if (!m_running || m->shuttingDown) {
            m->stateChanged.wait(lock, [&] { return m->stopped || !m_running; });
            return;
        }
        m->shuttingDown = true;
        m->draining = true;
        // In-flight requests finish; new ones get 503 from the pre-routing handler.
        m->stateChanged.wait_for(lock, m_options.drainTimeout, [&] { return m->inFlight.load() == 0; });
    }
    m->http.stop();
    if (m->listener.joinable())
        m->listener.join();
    if (m->batcher)
        m->batcher->stop();
    {
        std::lock_guard lock(m->stateMutex);
        m->stopped = true;
        m_running = false;
    }
    m->stateChanged.notify_all();
}

void InferenceServer::wait()
{
    std::unique_lock lock(m->stateMutex);
    m->stateChanged.wait(lock, [&] { return m->stopped || !m_running; });
}

} // namespace netcanvas::serve
