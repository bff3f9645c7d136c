#pragma once
// Distributed: what `netcanvas-cli train --distributed` needs of the engine to join an MPI
// job — start MPI, hand the Trainer a GradientSync, state the learning-rate rule, report
// the communication, finish. Compiled with or without MPI (CMake find_package(MPI)):
// without it, available() is false and DistributedRun's constructor throws an Error that
// says so. docs/distributed.md is the user's guide.
#include "engine/train/GradientSync.h"
#include "engine/train/TrainConfig.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>

namespace netcanvas {

struct DistributedOptions {
    std::string mode = "overlap"; // overlap | blocking | average (MpiGradientSync.h)
    int averageEvery = 8; // average: steps between parameter averagings (k)
    double bucketMegabytes = 1.0; // overlap/blocking: all-reduce bucket size
    double timeoutSeconds = 60.0; // a wait on peers longer than this ends the job
    std::string lrScaling = "linear"; // linear | none (applyLearningRateRule)
};

// Throws FormatError naming the option when a value is out of range.
void checkDistributedOptions(const DistributedOptions& options);

// The learning-rate rule of a data-parallel run on `ranks` ranks (Goyal et al., "Accurate,
// large minibatch SGD"): with lrScaling "linear" the configured rate is the one for the
// per-rank batch, and the run uses ranks × it for the global batch of ranks × batchSize,
// reached by a linear warm-up over `warmupEpochs` epochs (default: 1 when ranks > 1 and the
// recipe has none). "none" leaves the rate as it is. Returns a one-line statement of what was
// applied ("learning rate 0.01 × 4 ranks = 0.04, warm-up 1 epoch").
std::string applyLearningRateRule(
    TrainConfig& config, int ranks, const std::string& lrScaling, std::optional<int> warmupEpochs);

class DistributedRun {
public:
    // True when this build has MPI.
    static bool available();
    // Joins the MPI job (MPI_Init). Throws Error when the build has no MPI or MPI cannot start.
    explicit DistributedRun(const DistributedOptions& options);
    ~DistributedRun();

    int rank() const;
    int size() const;
    std::string host(int rank) const;
    GradientSync& gradientSync();
    // This rank's communication totals: steps, all-reduce calls, bytes, time blocked, backward
    // time, bytes per step, bucket count, mode.
    nlohmann::json statsJson() const;
    // Collective, at the end of a run that went well (MPI_Finalize).
    void finish();
    // Prints the message and ends every process of the job.
    [[noreturn]] void abort(const std::string& message);

private:
    struct Impl;
    std::unique_ptr<Impl> m;
};

} // namespace netcanvas
