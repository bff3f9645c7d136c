#pragma once
// Progress: the CLI's training progress display. On a terminal, one line redrawn in place
// (bar, batch, loss, accuracy, samples/s, ETA); otherwise plain lines at most every few
// seconds and at each epoch end, so logs stay readable.
#include <chrono>
#include <cstdint>
#include <string>

namespace netcanvas::cli {

class Progress {
public:
    explicit Progress(bool quiet);
    void batch(int epoch, int epochs, int64_t batch, int64_t batches, double loss, double accuracy,
        double samplesPerSecond, double etaSeconds);
    // Ends the current line with an epoch summary.
    void epoch(const std::string& summary);
    void message(const std::string& text);

    static std::string formatDuration(double seconds);
    static std::string formatCount(int64_t n); // 61,706
    static std::string formatRate(double perSec); // 12.3k

private:
    void clearLine();
    bool m_tty = false;
    bool m_quiet = false;
    bool m_lineOpen = false;
    std::chrono::steady_clock::time_point m_last {};
};

} // namespace netcanvas::cli
