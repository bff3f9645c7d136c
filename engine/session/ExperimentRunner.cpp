#include "engine/session/ExperimentRunner.h"

#include "engine/core/Error.h"
#include "engine/core/Limits.h"
#include "engine/inspect/Inspect.h"
#include "engine/session/ModelWeights.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <thread>

namespace netcanvas {

const char* stateName(VariantOutcome::State state)
{
    switch (state) {
    case VariantOutcome::State::Queued:
        return "queued";
    case VariantOutcome::State::Running:
        return "running";
    case VariantOutcome::State::Finished:
        return "finished";
    case VariantOutcome::State::Stopped:
        return "stopped";
    case VariantOutcome::State::Diverged:
        return "diverged";
    case VariantOutcome::State::Failed:
        return "failed";
    }
    return "?";
}

void flagOverfitting(VariantOutcome& o)
{
    o.gap = 0.0;
    o.overfitting = false;
    if (o.history.empty())
        return;
    const EpochEvent& last = o.history.back();
    if (!std::isfinite(last.validationAccuracy))
        return;
    o.gap = last.trainAccuracy - last.validationAccuracy;
    double bestLoss = last.validationLoss;
    double trainAtBest = last.trainLoss;
    for (const EpochEvent& e : o.history)
        if (std::isfinite(e.validationLoss) && e.validationLoss < bestLoss) {
            bestLoss = e.validationLoss;
            trainAtBest = e.trainLoss;
        }
    const bool lossRose = last.validationLoss >= 1.1 * bestLoss && last.trainLoss < trainAtBest;
    o.overfitting = o.gap > 0.10 || lossRose;
}

ExperimentRunner::ExperimentRunner(
    std::vector<Variant> variants, std::shared_ptr<const Dataset> data, ExperimentOptions options)
    : m_variants(std::move(variants))
    , m_data(std::move(data))
    , m_options(std::move(options))
{
    if (m_variants.empty())
        throw FormatError("experiment: no variants to run");
    if (!m_data)
        throw DataError("experiment: no dataset");
    const int cores = m_options.cores > 0 ? m_options.cores : limits::resolveThreads(0);
    m_plan = planParallelism(cores, static_cast<int>(m_variants.size()), m_options.maxParallel);
    const TrainConfig& c = m_variants.front().config;
    m_split = splitDataset(*m_data, c.validationFraction, c.testFraction, c.seed);
}

ExperimentRunner::~ExperimentRunner()
{
    requestStop();
}

void ExperimentRunner::requestStop()
{
    m_stop = true;
    std::lock_guard lock(m_mutex);
    for (TrainingSession* s : m_running)
        s->requestStop();
}

std::vector<VariantOutcome> ExperimentRunner::run(const ExperimentHooks& hooks)
{
    const int n = static_cast<int>(m_variants.size());
    std::vector<VariantOutcome> outcomes(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
        outcomes[static_cast<size_t>(i)].label = m_variants[static_cast<size_t>(i)].label;
        outcomes[static_cast<size_t>(i)].value = m_variants[static_cast<size_t>(i)].value;
    }
    std::atomic<int> next { 0 };
    auto worker = [&] {
        for (int i = next++; i < n; i = next++) {
            if (m_stop) {
                outcomes[static_cast<size_t>(i)].state = VariantOutcome::State::Stopped;
                outcomes[static_cast<size_t>(i)].message = "not started: the experiment was stopped";
                continue;
            }
            outcomes[static_cast<size_t>(i)] = runOne(i, hooks);
            if (hooks.onFinish)
                hooks.onFinish(i, outcomes[static_cast<size_t>(i)]);
        }
    };
    std::vector<std::thread> threads;
    for (int t = 1; t < m_plan.parallel; ++t)
        threads.emplace_back(worker);
    worker();
    for (std::thread& t : threads)
        t.join();
    return outcomes;
}

namespace {

double spread(const inspect::Histogram& h)
{
    return h.counts.empty() ? 0.0 : h.stddev;
}

std::vector<LayerSummary> summarizeLayers(TrainingSession& session, const DataSplit& split)
{
    std::vector<int64_t> indices = split.validation.empty() ? split.train : split.validation;
    if (indices.size() > 256)
        indices.resize(256);
    if (indices.empty())
        return {};
    const Dataset& data = *session.dataset();
    std::vector<int32_t> labels;
    for (int64_t i : indices)
        labels.push_back(data.labels[static_cast<size_t>(i)]);
    const Tensor batch = inspect::batchTensor(data, indices, session.normalization());
    std::vector<LayerSummary> out;
    for (const inspect::LayerStats& s : inspect::layerStatistics(session.network(), batch, labels, 20)) {
        LayerSummary l;
        l.node = s.node;
        l.type = s.type;
        l.saturatedFraction = s.saturatedFraction;
        l.deadFraction = s.deadFraction;
        l.activationStd = spread(s.activations);
        l.gradientStd = spread(s.gradients);
        out.push_back(std::move(l));
    }
    return out;
}

} // namespace

VariantOutcome ExperimentRunner::runOne(int index, const ExperimentHooks& hooks)
{
    const Variant& v = m_variants[static_cast<size_t>(index)];
    VariantOutcome o;
    o.label = v.label;
    o.value = v.value;
    o.parameters = v.graph.analyze().totalParams;
    o.state = VariantOutcome::State::Running;
    o.bestValidationAccuracy = o.bestValidationLoss = std::nan("");
    if (hooks.onStart)
        hooks.onStart(index);
    try {
        SessionSettings settings;
        settings.config = v.config;
        settings.config.threads = m_plan.threadsEach;
        settings.config.device = m_options.device;
        settings.config.checkpointDir.clear();
        if (!m_options.outputDir.empty())
            settings.outputDir
                = (std::filesystem::path(m_options.outputDir) / ("variant-" + std::to_string(index + 1))).string();
        TrainingSession session(v.graph, m_data, std::move(settings));
        session.setSplit(m_split);
        session.prepare();
        {
            std::lock_guard lock(m_mutex);
            m_running.push_back(&session);
            if (m_stop)
                session.requestStop();
        }
        struct Unregister {
            ExperimentRunner* self;
            TrainingSession* s;
            ~Unregister()
            {
                std::lock_guard lock(self->m_mutex);
                self->m_running.erase(
                    std::remove(self->m_running.begin(), self->m_running.end(), s), self->m_running.end());
            }
        } unregister { this, &session };
        SessionHooks sh;
        if (hooks.onBatch)
            sh.onBatch = [&](const BatchEvent& e) { hooks.onBatch(index, e); };
        sh.onEpoch = [&](const EpochEvent& e) {
            o.history.push_back(e);
            if (hooks.onEpoch)
                hooks.onEpoch(index, e);
        };
        const SessionResult result = session.run(sh);
        const TrainResult& r = result.train;
        o.history = r.history;
        o.epochs = r.epochsCompleted;
        o.seconds = r.seconds;
        o.samplesPerSecond = r.samplesPerSecond;
        o.message = r.message;
        o.state = r.diverged ? VariantOutcome::State::Diverged
            : r.stopped      ? VariantOutcome::State::Stopped
                             : VariantOutcome::State::Finished;
        o.bestValidationLoss = std::numeric_limits<double>::infinity();
        for (size_t e = 0; e < o.history.size(); ++e) {
            const EpochEvent& ev = o.history[e];
            if (std::isfinite(ev.validationAccuracy)
                && (o.bestEpoch < 0 || ev.validationAccuracy > o.bestValidationAccuracy)) {
                o.bestValidationAccuracy = ev.validationAccuracy;
                o.bestEpoch = static_cast<int>(e);
            }
            if (std::isfinite(ev.validationLoss))
                o.bestValidationLoss = std::min(o.bestValidationLoss, ev.validationLoss);
        }
        if (!std::isfinite(o.bestValidationLoss))
            o.bestValidationLoss = std::nan("");
        if (o.bestEpoch < 0)
            o.bestValidationAccuracy = std::nan("");
        if (!o.history.empty()) {
            const EpochEvent& last = o.history.back();
            o.finalTrainAccuracy = last.trainAccuracy;
            o.finalTrainLoss = last.trainLoss;
            o.finalValidationAccuracy = last.validationAccuracy;
            o.finalValidationLoss = last.validationLoss;
        }
        flagOverfitting(o);
        if (result.tested) {
            o.tested = true;
            o.testAccuracy = result.test.accuracy;
            o.testLoss = result.test.loss;
            o.confusion = result.test.confusion;
        }
        if (!r.diverged) {
            o.layers = summarizeLayers(session, m_split);
            if (m_options.keepWeights)
                o.weights = ModelWeights::capture(
                    session.graph(), session.network(), session.normalization(), m_data->classNames);
        }
        if (!session.settings().outputDir.empty())
            session.saveRunFolder(result);
    } catch (const std::exception& e) {
        o.state = VariantOutcome::State::Failed;
        o.message = e.what();
    }
    return o;
}

std::vector<int> rankOutcomes(const std::vector<VariantOutcome>& outcomes)
{
    auto tier = [](const VariantOutcome& o) {
        switch (o.state) {
        case VariantOutcome::State::Finished:
            return 0;
        case VariantOutcome::State::Stopped:
            return o.history.empty() ? 2 : 1;
        default:
            return 2;
        }
    };
    std::vector<int> order(outcomes.size());
    for (size_t i = 0; i < order.size(); ++i)
        order[i] = static_cast<int>(i);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        const VariantOutcome& x = outcomes[static_cast<size_t>(a)];
        const VariantOutcome& y = outcomes[static_cast<size_t>(b)];
        if (tier(x) != tier(y))
            return tier(x) < tier(y);
        const double ax = std::isfinite(x.bestValidationAccuracy) ? x.bestValidationAccuracy : -1.0;
        const double ay = std::isfinite(y.bestValidationAccuracy) ? y.bestValidationAccuracy : -1.0;
        if (ax != ay)
            return ax > ay;
        const double lx = std::isfinite(x.bestValidationLoss) ? x.bestValidationLoss : 1e300;
        const double ly = std::isfinite(y.bestValidationLoss) ? y.bestValidationLoss : 1e300;
        return lx < ly;
    });
    return order;
}

} // namespace netcanvas
