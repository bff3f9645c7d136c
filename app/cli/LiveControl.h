#pragma once
// LiveControl: run control from the command line. A `train` process watches its run folder for
// a control request (control.json, written atomically by `netcanvas-cli control RUN_DIR`) and
// hands each change to its TrainingSession (applied at the next step boundary), then removes
// the file. It also writes the per-layer stats of `--layer-stats N` to <run>/layer-stats.jsonl.
#include "engine/session/TrainingSession.h"

#include <chrono>
#include <fstream>
#include <optional>
#include <string>

namespace netcanvas::cli {

struct ControlOptions {
    std::string runDir;
    std::optional<double> lr;
    std::optional<int> epochs;
    bool augmentOff = false;
    bool augmentOn = false;
};

// `netcanvas-cli control RUN_DIR [--lr X] [--epochs N] [--augment off|on]`: writes the request.
int runControl(const ControlOptions& options);

// The request file of a run folder.
std::string controlFileOf(const std::string& runDir);

// Polls a run folder's control file at most every `interval` (from the training thread's batch
// hook: one stat() a second costs nothing).
class ControlWatcher {
public:
    // An empty runDir watches nothing (poll() returns 0).
    explicit ControlWatcher(std::string runDir, std::chrono::milliseconds interval = std::chrono::milliseconds(500));
    // Posts the changes of a request found to `session`; returns how many. A malformed request
    // is reported on stderr (naming the file) and removed.
    int poll(TrainingSession& session);

private:
    std::string m_file;
    std::chrono::milliseconds m_interval;
    std::chrono::steady_clock::time_point m_next {};
};

// Appends layer-stats events as JSON lines to <runDir>/layer-stats.jsonl (a log: truncated for a
// new run, appended to when resuming).
class LayerStatsLog {
public:
    LayerStatsLog(const std::string& runDir, bool append);
    void write(const LayerStatsEvent& event);
    const std::string& path() const { return m_path; }

private:
    std::string m_path;
    std::ofstream m_out;
};

} // namespace netcanvas::cli
