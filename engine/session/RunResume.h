#pragma once
// RunResume: what continuing a run needs to know before anything is opened — the run's resume
// checkpoint (TrainState.h) read for its model, its recipe, the client's description of the
// run (dataset path, ...) and its progress. `netcanvas-cli train --resume RUN_DIR` and the
// app's Train ▸ Resume Run… / Continue both start from it, then run a TrainingSession with
// SessionSettings::resumeFrom set.
#include "engine/graph/ModelGraph.h"
#include "engine/train/TrainConfig.h"
#include "engine/train/TrainState.h"

#include <nlohmann/json.hpp>
#include <string>

namespace netcanvas {

struct ResumeInfo {
    std::string checkpoint; // the resume checkpoint's path
    ModelGraph graph; // the run's model with its recipe as the "training" object
    TrainConfig recipe; // that recipe (machine settings at their defaults)
    nlohmann::json run; // the client's description (SessionSettings::runInfo); null when none
    TrainProgress progress;
};

// `path`: a run folder (its checkpoints/resume.safetensors), a checkpoint folder, or the file.
// Throws IoError when there is no resume checkpoint there (naming the path looked for), and
// FormatError naming the file for a malformed one.
ResumeInfo readResumeInfo(const std::string& path);

} // namespace netcanvas
