#include "Progress.h"

#include <cmath>
#include <cstdio>
#include <unistd.h>

namespace netcanvas::cli {

Progress::Progress(bool quiet)
    : m_tty(::isatty(STDERR_FILENO) != 0)
    , m_quiet(quiet)
{
}

std::string Progress::formatDuration(double s)
{
    if (!std::isfinite(s) || s < 0)
        return "--:--";
    const long t = std::lround(s);
    char buf[32];
    if (t >= 3600)
        std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
    else
        std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
    return buf;
}

std::string Progress::formatCount(int64_t n)
{
    std::string digits = std::to_string(n < 0 ? -n : n);
    std::string out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0)
            out += ',';
        out += digits[i];
    }
    return (n < 0 ? "-" : "") + out;
}

std::string Progress::formatRate(double v)
{
    char buf[32];
    if (v >= 1e6)
        std::snprintf(buf, sizeof buf, "%.2fM", v / 1e6);
    else if (v >= 1e4)
        std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
    else
        std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
}

void Progress::clearLine()
{
    if (m_tty && m_lineOpen) {
        std::fputs("\r\033[K", stderr);
        m_lineOpen = false;
    }
}

void Progress::batch(int epoch, int epochs, int64_t batch, int64_t batches, double loss, double accuracy,
    double samplesPerSecond, double etaSeconds)
{
    if (m_quiet)
        return;
    const auto now = std::chrono::steady_clock::now();
    const bool last = batch + 1 == batches;
    // A negative accuracy: none (regression).
    char acc[32] = "";
    if (accuracy >= 0.0)
        std::snprintf(acc, sizeof acc, "  acc %5.1f%%", 100.0 * accuracy);
    if (m_tty) {
        if (!last && now - m_last < std::chrono::milliseconds(100))
            return;
        m_last = now;
        const int width = 24;
        const int filled = batches > 0 ? static_cast<int>(width * (batch + 1) / batches) : 0;
        std::string bar;
        for (int i = 0; i < width; ++i)
            bar += i < filled ? "\u2588" : "\u00b7";
        std::fprintf(stderr, "\r\033[Kepoch %d/%d %s %lld/%lld  loss %.4f%s  %s samples/s  ETA %s", epoch + 1, epochs,
            bar.c_str(), static_cast<long long>(batch + 1), static_cast<long long>(batches), loss, acc,
            formatRate(samplesPerSecond).c_str(), formatDuration(etaSeconds).c_str());
        std::fflush(stderr);
        m_lineOpen = true;
    } else {
        if (m_last.time_since_epoch().count() != 0 && now - m_last < std::chrono::seconds(10))
            return;
        m_last = now;
        std::fprintf(stderr, "epoch %d/%d batch %lld/%lld loss %.4f%s %s samples/s ETA %s\n", epoch + 1, epochs,
            static_cast<long long>(batch + 1), static_cast<long long>(batches), loss, acc,
            formatRate(samplesPerSecond).c_str(), formatDuration(etaSeconds).c_str());
    }
}

void Progress::epoch(const std::string& summary)
{
    if (m_quiet)
        return;
    clearLine();
    std::fprintf(stderr, "%s\n", summary.c_str());
    std::fflush(stderr);
}

void Progress::message(const std::string& text)
{
    if (m_quiet)
        return;
    clearLine();
    std::fprintf(stderr, "%s\n", text.c_str());
    std::fflush(stderr);
}

} // namespace netcanvas::cli
