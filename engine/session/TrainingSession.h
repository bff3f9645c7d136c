#pragma once
// TrainingSession: the one training workflow of NetCanvas, shared by `netcanvas-cli train`
// and the app's TrainingWorker — model graph + dataset + settings → backend (DeviceManager,
// with its one-line device note) → Trainer → fresh or fine-tune weights → fit() with hooks →
// test-split evaluation → result; then the weights (with class names, normalization and the
// model JSON carrying the run's recipe) and the run folder's files can be saved.
//
// Threads. One thread owns a session: it calls prepareSplit(), prepare(), run(), evaluate(),
// network() and the save functions, in that order, never two at once. Any thread may call,
// at any time (before prepare() too, and while run() trains): requestStop(),
// requestPause(), cancel(), isPrepared(), split(), copySnapshot() — the flags are kept and
// applied to the Trainer as soon as it exists, the snapshot is the Trainer's lock-protected
// copy. graph(), dataset() and settings() never change after construction and may be read
// from any thread.
//
// Ensures: run() evaluates the test split unless the run diverged, was cancelled or has no
// test samples. A stopped (not cancelled) run is still evaluated: its weights are the last
// good ones. Fine-tuning weights that do not fit the graph throw GraphError naming the
// parameter that differs (WeightsLoading::Strict); loaded by name (WeightsLoading::ByName) they
// throw only when not one tensor matches, and weightsLoadReport() says what was loaded.
#include "engine/data/Split.h"
#include "engine/graph/ModelGraph.h"
#include "engine/io/Safetensors.h"
#include "engine/session/RunRecord.h"
#include "engine/train/TrainConfig.h"
#include "engine/train/Trainer.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace netcanvas {

struct ModelWeights;
struct WeightsLoadReport;

// How initial weights are loaded.
enum class WeightsLoading {
    Strict, // the same model: every tensor, or GraphError naming the first that differs (resume)
    ByName, // another graph: tensors whose key and shape match, the rest initialized (fine-tune)
};

struct SessionSettings {
    // The recipe and the machine's settings: device, precision, threads, loss scaling,
    // checkpointDir (when empty and outputDir is set: <outputDir>/checkpoints).
    TrainConfig config;
    std::shared_ptr<const ModelWeights> initialWeights; // fine-tune from these ...
    std::string initialWeightsFile; // ... or from this weights file (when no initialWeights)
    WeightsLoading weightsLoading = WeightsLoading::Strict;
    // ByName: nodes that keep their initialization even where the weights have their tensors
    // (a replaced head: `train --fit-output`); reported as new.
    std::vector<std::string> freshNodes;
    std::string outputDir; // the run folder (saveRunFolder); empty: none
    // Data-parallel training (engine/distributed): the Trainer synchronizes through it (not
    // owned; must outlive the session's run()). Null: this process trains alone.
    GradientSync* gradientSync = nullptr;
    // Resume: continue the run of this resume checkpoint (RunResume.h) instead of starting
    // one; the graph and recipe must be the run's. The output folder's files are then updated
    // in place (not moved to previous-N). Not with initial weights.
    std::string resumeFrom;
    // The client's description of the run, kept in its resume checkpoint ("netcanvas.run":
    // the dataset path and how it was opened) so that a resume knows what to open.
    nlohmann::json runInfo;
};

struct SessionHooks {
    std::function<void(const BatchEvent&)> onBatch; // on the owner thread, after every batch
    std::function<void(const EpochEvent&)> onEpoch; // after every epoch
    std::function<void(const ChangeEvent&)> onChange; // a live change was applied (RunControl.h)
    std::function<void(const LayerStatsEvent&)> onLayerStats; // every config.layerStatsEvery steps
};

struct SessionResult {
    // When settings().outputDir held an earlier run, the folder its files were moved to
    // (<outputDir>/previous-N) before this run wrote anything; empty otherwise.
    std::string keptEarlierRun;
    TrainResult train;
    bool tested = false; // the test split was evaluated (then `test` holds it)
    EvalResult test;
    RunSummary summary() const { return summarize(train, tested ? &test : nullptr); }
};

class TrainingSession {
public:
    // Requires: data is not null. Nothing heavy happens here (no backend, no split).
    // Throws IoError when settings.outputDir names something that is not a folder.
    TrainingSession(ModelGraph graph, std::shared_ptr<const Dataset> data, SessionSettings settings);
    ~TrainingSession();
    TrainingSession(const TrainingSession&) = delete;
    TrainingSession& operator=(const TrainingSession&) = delete;

    // Uses this split instead of computing one (before prepareSplit()).
    void setSplit(DataSplit split);
    // The split: the given one, else computed from the config (validation and test fraction,
    // seed; a bad fraction throws). Computed once.
    const DataSplit& prepareSplit();
    // Creates the backend (config.device, precision, threads), the Trainer and the initial
    // weights (fine-tuning). Also prepares the split. Idempotent.
    void prepare();
    // fit() with the hooks, then the test evaluation (see Ensures). Requires prepare() (called
    // when not done). The hooks are released before it returns. An earlier run in the output
    // folder is never overwritten: its files move to <outputDir>/previous-N first
    // (keepEarlierRun), and partial files left by a killed run are removed.
    SessionResult run(const SessionHooks& hooks = {});
    // Throws IoError when `outputDir` exists and is not a folder (checked before any work).
    static void checkOutputFolder(const std::string& outputDir);
    // Moves the run files of `outputDir` (weights, model, history, metrics, checkpoints) to a
    // new <outputDir>/previous-N and returns that folder; empty when there were none. Removes
    // leftover partial files (*.tmp-N) of a killed run first.
    static std::string keepEarlierRun(const std::string& outputDir);

    // Any thread.
    void requestStop();
    void requestPause(bool paused);
    // Stop, and skip the test evaluation (the app is closing).
    void cancel();
    // A live change (RunControl.h), applied at the next step boundary; before run(), at its
    // start (how a resume extends the epochs or sets a new learning rate).
    void requestChange(const RunChange& change);
    bool isPrepared() const;
    DataSplit split() const;
    // The latest published weights into `target` (a network of graph()) and their
    // normalization; false before the first publication.
    bool copySnapshot(Network& target, Normalization* normalization = nullptr);

    const ModelGraph& graph() const { return m_graph; }
    const std::shared_ptr<const Dataset>& dataset() const { return m_data; }
    const SessionSettings& settings() const { return m_settings; }

    // Owner thread, after prepare(). What loading the initial weights by name did; null with
    // no initial weights or in the strict mode.
    const WeightsLoadReport* weightsLoadReport() const { return m_loadReport.get(); }
    // Empty, or why the requested device or precision is not the one used (DeviceManager).
    const std::string& deviceNote() const { return m_deviceNote; }
    bool gpuPresent() const { return m_gpuPresent; }
    Backend& backend();
    Network& network();
    bool lossScaling() const;
    // The normalization the network's inputs get (computed by fit(), or the fine-tuned one's).
    Normalization normalization() const;
    EvalResult evaluate(const std::vector<int64_t>& indices);
    // Evaluation of trained weights: replaces the network's weights and normalization by those
    // of a weights file of this graph (FormatError naming the tensor when one does not fit).
    // Returns the file's metadata.
    WeightsMeta loadWeightsFile(const std::string& path);

    // The model with this run's recipe (the training settings) as its "training" object.
    ModelGraph graphWithRecipe() const;
    WeightsMeta weightsMeta() const;
    // Writes the trained weights with weightsMeta() (atomically). Not while run() trains.
    void saveWeights(const std::string& path);
    // metrics.json's content (README, "The command line"): epochs, speed, how it ended,
    // validation and test.
    nlohmann::json metricsJson(const SessionResult& result) const;
    // Writes weights.safetensors, model.json, history.csv and metrics.json into
    // settings().outputDir (created). Returns metricsJson(result).
    nlohmann::json saveRunFolder(const SessionResult& result);

private:
    void loadInitialWeights(Trainer& trainer);

    const ModelGraph m_graph;
    const std::shared_ptr<const Dataset> m_data;
    const SessionSettings m_settings;
    TrainConfig m_config; // m_settings.config with the checkpoint folder resolved
    std::string m_deviceNote;
    bool m_gpuPresent = false;
    std::shared_ptr<const WeightsLoadReport> m_loadReport;

    mutable std::mutex m_mutex; // guards the fields below (the Trainer's own calls are thread-safe)
    std::optional<DataSplit> m_split;
    std::unique_ptr<Backend> m_backend; // outlives m_trainer (declared first, destroyed last)
    std::unique_ptr<Trainer> m_trainer;
    bool m_stop = false;
    bool m_pause = false;
    bool m_cancelled = false;
    std::vector<RunChange> m_changes; // requested before the Trainer existed
};

// A confusion matrix as metrics.json and `netcanvas-cli eval` write it: class names, the
// matrix (rows: true class) and per-class precision, recall, F1 and support.
nlohmann::json confusionJson(const ConfusionMatrix& confusion, const std::vector<std::string>& classNames);

} // namespace netcanvas
