#pragma once
// ProgressLog: a run's progress as JSON lines in its run folder (progress.jsonl) — written by
// rank 0 of a distributed run (`netcanvas-cli train --distributed`), read by the app, which
// follows a run it launched on several processes or hosts without being part of it: it can
// close and reopen, and attach again (docs/distributed.md, "The app").
//
// Lines, one JSON object each, by "type":
//   start  {ranks, host, epochs, time}
//   batch  {epoch, batch, batches_per_epoch, step, total_steps, loss, accuracy, learning_rate,
//           samples_per_second, eta_seconds, time}          (at most 4 a second, and each epoch's last)
//   epoch  {epoch, train_loss, train_accuracy, validation_loss, validation_accuracy (null when
//           none), learning_rate, seconds, samples_per_second, improved, time}
//   end    {metrics (metrics.json's content), distributed (distributed.json's), time}
// "time" is wall-clock seconds since 1970. A line that is not complete JSON (the writer is
// mid-line) is left for the next read; unknown types are ignored.
#include "engine/session/RunRecord.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace netcanvas {

nlohmann::json progressStartLine(int ranks, const std::string& host, int epochs, double time);
nlohmann::json progressBatchLine(const BatchEvent& e, double time);
nlohmann::json progressEpochLine(const EpochEvent& e, double time);
nlohmann::json progressEndLine(const nlohmann::json& metrics, const nlohmann::json& distributed, double time);

// What has been read of a progress log so far.
struct ProgressLogState {
    size_t consumed = 0; // bytes of the file parsed (whole lines)
    bool started = false;
    int ranks = 0;
    int epochs = 0;
    std::string host;
    double lastTime = 0.0; // "time" of the last line
    std::vector<BatchEvent> newBatches; // since the last read (the reader takes them)
    std::vector<EpochEvent> newEpochs;
    bool ended = false;
    RunSummary summary; // from the end line's metrics
    nlohmann::json distributed; // the end line's report
};

// Parses the complete lines of `text` (the whole file) after state.consumed, appending to
// state.newBatches / newEpochs; a partial last line stays for the next call.
void readProgressLog(const std::string& text, ProgressLogState& state);

} // namespace netcanvas
