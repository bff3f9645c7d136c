#include "Serve.h"

#include "engine/core/Error.h"
#include "engine/io/AtomicFile.h"

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <thread>

namespace netcanvas::cli {

namespace {

// The token: the file's first line, without surrounding white space.
std::string readToken(const std::string& path)
{
    const std::string text = readFile(path);
    const size_t end = text.find_first_of("\r\n");
    std::string token = text.substr(0, end);
    const auto first = token.find_first_not_of(" \t");
    const auto last = token.find_last_not_of(" \t");
    token = first == std::string::npos ? std::string() : token.substr(first, last - first + 1);
    if (token.size() < 16)
        throw FormatError(path + ": the token (its first line) must have at least 16 characters");
    return token;
}

int g_signalPipe[2] = { -1, -1 };

void onSignal(int sig)
{
    const unsigned char byte = static_cast<unsigned char>(sig);
    const int saved = errno;
    [[maybe_unused]] const ssize_t n = write(g_signalPipe[1], &byte, 1);
    errno = saved;
}

} // namespace

int runServe(ServeCliOptions o)
{
    if (!(o.maxBodyMb > 0.0) || o.maxBodyMb > 4096.0)
        throw FormatError("serve: --max-body-mb must be in (0, 4096], not " + std::to_string(o.maxBodyMb));
    o.serve.limits.maxBodyBytes = static_cast<size_t>(o.maxBodyMb * 1024.0 * 1024.0);
    if (!o.tokenFile.empty())
        o.serve.token = readToken(o.tokenFile);

    // Signals: a handler writes the signal's number to a pipe (async-signal-safe, whichever
    // thread it lands on — OpenBLAS starts threads before main), one thread acts on it.
    if (pipe(g_signalPipe) != 0)
        throw IoError("serve: cannot create the signal pipe");
    struct sigaction action { };
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (int sig : { SIGTERM, SIGINT, SIGHUP })
        sigaction(sig, &action, nullptr);
    signal(SIGPIPE, SIG_IGN);

    const std::string path = o.model, modelJson = o.modelJson;
    const int threads = o.threads;
    serve::InferenceServer server(o.serve, [path, modelJson, threads](int64_t generation) {
        return serve::ServedModel::fromFiles(path, modelJson, threads, generation);
    });
    server.start();
    const auto model = server.model();
    std::printf("serving %s (%s, version %s, input %dx%dx%d, %lld classes) at %s\n", path.c_str(),
        model->name().c_str(), model->version().c_str(), model->channels(), model->height(), model->width(),
        static_cast<long long>(model->classes()), server.url().c_str());
    std::printf("  batching up to %lld images or %d ms; SIGHUP or POST /v1/reload reloads, SIGTERM stops\n",
        static_cast<long long>(o.serve.maxBatch), o.serve.maxDelayMs);
    std::fflush(stdout);

    std::thread signalThread([&] {
        for (;;) {
            unsigned char sig = 0;
            const ssize_t got = read(g_signalPipe[0], &sig, 1);
            if (got < 0 && errno == EINTR)
                continue;
            if (got != 1)
                return;
            if (sig == SIGHUP) {
                const serve::ReloadResult r = server.reload();
                if (r.ok)
                    std::printf("reloaded: generation %lld, version %s (was %s)\n",
                        static_cast<long long>(r.generation), r.version.c_str(), r.previousVersion.c_str());
                else
                    std::fprintf(stderr, "netcanvas-cli: reload failed, still serving version %s: %s\n",
                        r.version.c_str(), r.message.c_str());
                std::fflush(stdout);
                continue;
            }
            std::printf("%s: finishing in-flight requests, refusing new ones\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
            std::fflush(stdout);
            server.shutdown();
            return;
        }
    });
    server.wait();
    signalThread.join();
    const serve::MetricsSnapshot s = server.snapshot();
    std::printf("stopped after %lld requests (%lld predictions, %lld errors)\n", static_cast<long long>(s.requests),
        static_cast<long long>(s.predictions), static_cast<long long>(s.errors));
    return 0;
}

} // namespace netcanvas::cli
