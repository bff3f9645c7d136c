#pragma once
// `train --distributed`: the parts of the train command that only a data-parallel run has —
// joining the MPI job, the learning-rate rule, rank 0's progress file and communication
// report. runTrain (Commands.cpp) stays the one training workflow; it calls these.
#include "Commands.h"

#include "engine/distributed/Distributed.h"
#include "engine/session/TrainingSession.h"

#include <memory>
#include <string>

namespace netcanvas::cli {

class Progress;

// Joins the MPI job when o.distributed (null otherwise). Throws Error when this build has
// no MPI, FormatError for a bad option, and when early stopping is asked for (ranks would
// decide it apart).
std::unique_ptr<DistributedRun> joinDistributed(const TrainOptions& o);
// The learning-rate rule and the gradient sync into the settings; rank 0 says what it applied.
void configureDistributed(DistributedRun& run, const TrainOptions& o, SessionSettings& settings, Progress& progress);
// Ranks other than 0 train on the training split only: rank 0 validates and tests.
DataSplit trainingOnly(const DataSplit& split);
// Rank 0's hooks: `inner`, with samples/s for the whole job (ranks × rank 0's rate; steps are
// synchronous), plus one JSON line per event appended to <outputDir>/progress.jsonl — what
// the app follows (docs/distributed.md, "The app").
SessionHooks distributedHooks(DistributedRun& run, SessionHooks inner, const std::string& outputDir, int epochs);
// Rank 0, after the run: <outputDir>/distributed.json (the communication report), the end
// line of progress.jsonl, and a summary line.
void reportDistributed(
    DistributedRun& run, const std::string& outputDir, const nlohmann::json& metrics, Progress& progress);

} // namespace netcanvas::cli
