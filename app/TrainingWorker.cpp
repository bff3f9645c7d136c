#include "app/TrainingWorker.h"

#include "engine/backend/DeviceManager.h"
#include "engine/core/Error.h"

#include <chrono>

namespace netcanvas::app {

void TrainingWorker::run(std::shared_ptr<TrainingJob> job)
{
    const int runId = job->runId;
    std::vector<BatchEvent> pending;
    auto lastEmit = std::chrono::steady_clock::now() - std::chrono::hours(1);
    const auto interval = std::chrono::milliseconds(job->batchIntervalMs);
    auto flush = [&] {
        if (pending.empty())
            return;
        emit batchesFinished(runId, pending);
        pending.clear();
        lastEmit = std::chrono::steady_clock::now();
    };
    try {
        if (job->computeSplit) { // stratified split of a large dataset: not on the UI thread
            DataSplit split
                = splitDataset(*job->data, job->config.validationFraction, job->config.testFraction, job->config.seed);
            std::lock_guard lock(job->mutex); // the inspection thread reads it
            job->split = std::move(split);
        }
        BackendOptions options;
        options.precision = job->config.precision;
        CreatedBackend created = createBackend(job->config.device, job->config.threads, options);
        if (!created.note.empty())
            emit deviceNote(runId, QString::fromStdString(created.note));
        auto backend = std::move(created.backend);
        auto trainer = std::make_unique<Trainer>(job->graph, job->config, *backend);
        if (job->initialWeights) { // fine-tuning: start from the given weights, not fresh ones
            auto host = createCpuBackend(1);
            Network start(job->graph, *host);
            if (!job->initialWeights->loadInto(start))
                throw GraphError(
                    "cannot fine-tune: the model changed since its weights were trained (train from scratch)");
            trainer->network().copyWeightsFrom(start);
            if (!job->initialWeights->normalization.empty() && job->config.normalize)
                trainer->setNormalization(job->initialWeights->normalization);
        }
        Trainer* t = trainer.get();
        {
            std::lock_guard lock(job->mutex);
            job->backend = std::move(backend);
            job->trainer = std::move(trainer);
            if (job->stop)
                t->requestStop();
            t->requestPause(job->pause);
        }
        pending.reserve(64);
        t->setOnBatch([&](const BatchEvent& e) {
            pending.push_back(e);
            const bool lastOfEpoch = e.batch + 1 >= e.batchesPerEpoch;
            if (lastOfEpoch || std::chrono::steady_clock::now() - lastEmit >= interval)
                flush();
        });
        t->setOnEpoch([&](const EpochEvent& e) {
            flush();
            emit epochFinished(runId, e);
        });
        const TrainResult r = t->fit(*job->data, job->split);
        t->setOnBatch({}); // the callbacks refer to this function's locals
        t->setOnEpoch({});
        flush();

        widgets::TrainingSummary s;
        s.epochsCompleted = r.epochsCompleted;
        s.stopped = r.stopped;
        s.earlyStopped = r.earlyStopped;
        s.diverged = r.diverged;
        s.message = QString::fromStdString(r.message);
        s.seconds = r.seconds;
        s.samplesPerSecond = r.samplesPerSecond;
        s.bestEpoch = r.bestEpoch;
        s.bestValidationLoss = r.bestValidationLoss;
        s.skippedSteps = r.skippedSteps;
        bool shuttingDown = false;
        {
            std::lock_guard lock(job->mutex);
            shuttingDown = job->shuttingDown;
        }
        if (!r.diverged && !shuttingDown && !job->split.test.empty()) {
            const EvalResult test = t->evaluate(*job->data, job->split.test);
            s.testLoss = test.loss;
            s.testAccuracy = test.accuracy;
            s.testSamples = test.samples;
            s.testConfusion = test.confusion;
        }
        emit finished(runId, s);
    } catch (const BackendError& e) { // a GPU out of memory: which batch size, what to try
        flush();
        emit failed(runId,
            QString::fromStdString(withOutOfMemoryAdvice(e.what(), job->config.batchSize, "the CPU (Device: CPU)")));
    } catch (const std::exception& e) {
        flush();
        emit failed(runId, QString::fromStdString(e.what()));
    } catch (...) {
        flush();
        emit failed(runId, tr("training failed with an unknown error"));
    }
}

} // namespace netcanvas::app
