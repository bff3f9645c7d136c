#pragma once
// RunControl: changes made to a run while it trains — the learning rate, the number of epochs,
// augmentation on or off. Any thread posts a RunChange to the Trainer's ControlChannel
// (Trainer::requestChange); the training thread takes them at the next step boundary, before
// the next step computes its learning rate, and records each as a ChangeEvent (what changed,
// from what to what, at which step) that the charts mark and a resumed run keeps.
//
// Semantics (docs/run-control.md):
//  - LearningRate: the schedule's base learning rate becomes `value`; the schedule keeps its
//    shape (constant: the next step runs at `value`; step/cosine/warm-up scale it as before).
//  - Epochs: the run's planned epochs become `value`, at least the epoch in progress (it
//    ends after that epoch); the schedule's total and the ETA follow.
//  - Augmentation: 0 switches augmentation off from the next batch, 1 back to the recipe's.
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace netcanvas {

enum class RunChangeKind { LearningRate, Epochs, Augmentation };

const char* runChangeKindName(RunChangeKind kind); // "learning_rate" | "epochs" | "augmentation"
// Throws FormatError for another name.
RunChangeKind runChangeKindFromName(const std::string& name);

struct RunChange {
    RunChangeKind kind = RunChangeKind::LearningRate;
    double value = 0.0;
};

// A change as applied: at the step boundary before `globalStep` (0-based), i.e. batch `batch`
// of epoch `epoch` is the first to run with it.
struct ChangeEvent {
    RunChangeKind kind = RunChangeKind::LearningRate;
    double from = 0.0, to = 0.0;
    int64_t globalStep = 0;
    int epoch = 0;
    int64_t batch = 0;
    // "lr 0.01 → 0.001", "epochs 5 → 8", "augmentation off": the chart's marker label.
    std::string label() const;
};

nlohmann::json changeToJson(const ChangeEvent& change);
// Throws FormatError naming the key at fault.
ChangeEvent changeFromJson(const nlohmann::json& j);

// A queue of requested changes: post() from any thread, take() on the training thread. Never
// blocks for longer than a vector push; pending() is a lock-free check for every step.
class ControlChannel {
public:
    void post(const RunChange& change);
    bool pending() const { return m_pending.load(std::memory_order_acquire); }
    std::vector<RunChange> take();

private:
    mutable std::mutex m_mutex;
    std::vector<RunChange> m_changes;
    std::atomic<bool> m_pending { false };
};

} // namespace netcanvas
