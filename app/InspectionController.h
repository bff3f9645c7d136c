#pragma once
// InspectionController: the engine behind the Inspect views. It keeps a private Network of
// the trained model on its own single-threaded CPU backend — never the training thread's —
// and fills its weights from the run's TrainingSession (copySnapshot: the weights of the
// last batch while training, the final ones after) or from a weights file.
//
// Requests (feature maps of a node for a sample or an image file, an explanation, the
// evaluation of the test split, layer statistics) run on a worker thread one at a time;
// a request of a kind already waiting replaces it (latest wins), so dragging through
// images or layers never queues up work. Results come back on the UI thread as signals
// carrying values. Live mode re-requests the pinned feature maps every liveInterval()
// while a run trains (a few times a second): the trainer is never waited on beyond the
// copy of its snapshot under its own lock.
//
// Requires: the TrainingController outlives this object. Ensures: the destructor waits
// for the request in flight; no signal is emitted after it.
#include "engine/data/Dataset.h"
#include "engine/data/Split.h"
#include "engine/graph/ModelGraph.h"
#include "engine/inspect/Inspect.h"

#include <QObject>
#include <QString>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>

class QTimer;
class QFutureWatcherBase;

namespace netcanvas::app {

class TrainingController;

// What the inspected samples come from: the run's dataset and its test samples.
struct InspectionData {
    std::shared_ptr<const Dataset> dataset;
    std::vector<int64_t> testIndices;
    Normalization normalization;
    // Real-valued targets: the normalization the run trained them in (from its training split);
    // empty for a weights file (its predictions are then shown in the stored units).
    Normalization targetNormalization;
    std::vector<std::string> classNames;
};

struct FeatureMapsResult {
    int64_t sampleIndex = -1; // -1: an image file
    QString imagePath;
    std::vector<float> input; // the sample as C×H×W in [0, 1] (before normalization)
    int channels = 0, height = 0, width = 0;
    inspect::FeatureMaps maps;
    std::vector<inspect::ClassScore> scores; // top 3
    bool live = false;
};

struct ExplainResult {
    int64_t sampleIndex = -1;
    QString imagePath;
    std::vector<float> input;
    int channels = 0, height = 0, width = 0;
    std::vector<inspect::ClassScore> scores; // top 5
    int explainedClass = 0;
    inspect::Heatmap saliency, gradCam;
    QString gradCamNode;
};

struct RecurrentGatesResult {
    int64_t sampleIndex = -1;
    inspect::RecurrentGates gates;
};

struct StatsResult {
    std::vector<inspect::LayerStats> layers;
    int batchSize = 0;
};

class InspectionController : public QObject {
    Q_OBJECT
public:
    explicit InspectionController(TrainingController* training, QObject* parent = nullptr);
    ~InspectionController() override;

    // The model being inspected (its weights come from the next source). Rebuilds lazily.
    void setModel(const ModelGraph& graph);
    // Weights from a safetensors file (e.g. the project's), with `data` to inspect.
    // Returns an error message or empty.
    QString useWeightsFile(const QString& path, std::shared_ptr<const Dataset> data);
    // Weights from the training run (live while it trains). The data is the run's.
    void useTrainingRun();
    bool hasSource() const;
    InspectionData data() const;

    void requestFeatureMaps(int64_t sampleIndex, const QString& nodeId);
    void requestFeatureMapsForImage(const QString& imagePath, const QString& nodeId);
    // cls < 0: the predicted class.
    void requestExplain(int64_t sampleIndex, int cls = -1, const QString& gradCamNode = {});
    void requestExplainImage(const QString& imagePath, int cls = -1, const QString& gradCamNode = {});
    void requestFilters(const QString& nodeId);
    void requestEvaluation(int topK = 5);
    void requestStats(int batchSize = 256);
    // A recurrent node's hidden state, gates and per-step gradient norm for one sample
    // (nodeId empty: the first recurrent node; direction 1: a bidirectional layer's backward one).
    void requestRecurrentGates(int64_t sampleIndex, const QString& nodeId, int direction = 0);
    void cancelEvaluation();

    // Live mode: while training runs, the last feature-maps request is repeated every
    // interval with the newest weights.
    void setLive(bool live);
    bool isLive() const { return m_live; }
    void setLiveInterval(int ms);
    int liveRefreshes() const { return m_liveRefreshes; }
    bool isBusy() const;

signals:
    void featureMapsReady(const FeatureMapsResult& result);
    void explainReady(const ExplainResult& result);
    void evaluationReady(const inspect::Evaluation& evaluation);
    void evaluationProgress(int64_t done, int64_t total);
    void statsReady(const StatsResult& stats);
    void recurrentGatesReady(const RecurrentGatesResult& result);
    void filtersReady(const inspect::Filters& filters);
    // A request could not be served (named node missing, unreadable image, no weights …).
    void failed(const QString& message);
    void sourceChanged();

private:
    enum class Kind { FeatureMaps, Filters, Explain, Evaluation, Stats, Recurrent, Count };
    struct Context; // worker-side state: backend, network, weights source
    using Work = std::function<std::function<void()>(Context&)>; // runs on the worker, returns the UI-side delivery

    void submit(Kind kind, Work work);
    void startNext();
    // Worker side: builds the network if needed and refreshes its weights from the source.
    static void prepare(Context& c);

    TrainingController* m_training;
    std::shared_ptr<Context> m_ctx;
    std::optional<Work> m_pending[static_cast<int>(Kind::Count)];
    bool m_running = false;
    bool m_live = false;
    int m_liveRefreshes = 0;
    QTimer* m_liveTimer;
    std::function<void()> m_lastMapsRequest;
    std::shared_ptr<std::atomic<bool>> m_cancelEvaluation;
    QFutureWatcherBase* m_watcher = nullptr;
};

} // namespace netcanvas::app
