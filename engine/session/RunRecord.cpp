#include "engine/session/RunRecord.h"

#include <cmath>
#include <cstdio>

namespace netcanvas {

namespace {

std::string general(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
}

} // namespace

RunSummary summarize(const TrainResult& r, const EvalResult* test)
{
    RunSummary s;
    s.epochsCompleted = r.epochsCompleted;
    s.stopped = r.stopped;
    s.earlyStopped = r.earlyStopped;
    s.diverged = r.diverged;
    s.message = r.message;
    s.seconds = r.seconds;
    s.samplesPerSecond = r.samplesPerSecond;
    s.bestEpoch = r.bestEpoch;
    s.bestValidationLoss = r.bestValidationLoss;
    s.skippedSteps = r.skippedSteps;
    if (test) {
        s.testLoss = test->loss;
        s.testAccuracy = test->accuracy;
        s.testSamples = test->samples;
        s.testConfusion = test->confusion;
        s.testRmse = test->rmse;
        s.testMae = test->mae;
        s.testR2 = test->r2;
    }
    return s;
}

std::string runSettingsSummary(const TrainConfig& c)
{
    std::string s = c.optimizer.kind + " lr " + general(c.optimizer.learningRate);
    if (c.schedule.kind != "constant")
        s += " " + c.schedule.kind;
    s += " \u00b7 bs " + std::to_string(c.batchSize) + " \u00b7 " + std::to_string(c.epochs) + " ep";
    if (c.optimizer.l2 > 0.0)
        s += " \u00b7 L2 " + general(c.optimizer.l2);
    if (c.optimizer.l1 > 0.0)
        s += " \u00b7 L1 " + general(c.optimizer.l1);
    if (c.optimizer.weightDecay > 0.0)
        s += " \u00b7 wd " + general(c.optimizer.weightDecay);
    if (c.augmentation.any())
        s += " \u00b7 aug";
    return s;
}

std::string runState(const RunRecord& run)
{
    if (run.running)
        return "training\u2026";
    if (run.failed)
        return "failed";
    if (run.summary.diverged)
        return "diverged";
    if (run.summary.stopped)
        return "stopped";
    return "done";
}

double bestValidationAccuracy(const RunRecord& run)
{
    double best = std::nan("");
    for (const EpochEvent& e : run.epochs)
        if (std::isfinite(e.validationAccuracy) && !(best >= e.validationAccuracy))
            best = e.validationAccuracy;
    return best;
}

double lastValidationAccuracy(const RunRecord& run)
{
    return run.epochs.empty() || !std::isfinite(run.epochs.back().validationAccuracy)
        ? std::nan("")
        : run.epochs.back().validationAccuracy;
}

} // namespace netcanvas
