#include "app/TrainingWorker.h"

#include "engine/backend/DeviceManager.h"
#include "engine/core/Error.h"
#include "engine/session/ModelWeights.h"

#include <chrono>

namespace netcanvas::app {

void TrainingWorker::run(const TrainingJob& job)
{
    const int runId = job.runId;
    TrainingSession& session = *job.session;
    std::vector<BatchEvent> pending;
    pending.reserve(64);
    auto lastEmit = std::chrono::steady_clock::now() - std::chrono::hours(1);
    const auto interval = std::chrono::milliseconds(job.batchIntervalMs);
    auto flush = [&] {
        if (pending.empty())
            return;
        emit batchesFinished(runId, pending);
        pending.clear();
        lastEmit = std::chrono::steady_clock::now();
    };
    try {
        session.prepare(); // the split of a large dataset, the backend, fine-tuning weights
        if (!session.deviceNote().empty())
            emit deviceNote(runId, QString::fromStdString(session.deviceNote()));
        if (const WeightsLoadReport* report = session.weightsLoadReport()) {
            QStringList lines;
            for (const std::string& line : report->lines())
                lines << QString::fromStdString(line);
            emit weightsNote(runId, lines.join(QLatin1Char('\n')));
        }
        SessionHooks hooks;
        hooks.onBatch = [&](const BatchEvent& e) {
            pending.push_back(e);
            const bool lastOfEpoch = e.batch + 1 >= e.batchesPerEpoch;
            if (lastOfEpoch || std::chrono::steady_clock::now() - lastEmit >= interval)
                flush();
        };
        hooks.onEpoch = [&](const EpochEvent& e) {
            flush();
            emit epochFinished(runId, e);
        };
        hooks.onChange = [&](const ChangeEvent& c) {
            flush();
            emit changeApplied(runId, c);
        };
        hooks.onLayerStats = [&](const LayerStatsEvent& e) { emit layerStats(runId, e); };
        const SessionResult r = session.run(hooks);
        flush();
        if (!r.train.hostOps.empty()) // ops the device does not have yet ran on the host
            emit deviceNote(runId, QString::fromStdString(session.backend().name() + ": " + r.train.hostOps));
        emit finished(runId, r.summary());
    } catch (const BackendError& e) { // a GPU out of memory: which batch size, what to try
        flush();
        emit failed(runId,
            QString::fromStdString(
                withOutOfMemoryAdvice(e.what(), session.settings().config.batchSize, "the CPU (Device: CPU)")));
    } catch (const std::exception& e) {
        flush();
        emit failed(runId, QString::fromStdString(e.what()));
    } catch (...) {
        flush();
        emit failed(runId, tr("training failed with an unknown error"));
    }
}

} // namespace netcanvas::app
