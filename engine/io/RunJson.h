#pragma once
// A training run as JSON, for the project file (docs/project-format.md): its settings, its
// curves and how it ended. Batch curves are stored as columns (loss, accuracy, learning
// rate per step) rounded to 6 significant digits, so a 100,000-batch run costs about 2 MB.
// Throughput and ETA of individual batches are display-only and not kept.
//
// Ensures: runFromJson(runToJson(r)) reproduces r's id, settings, epochs, summary (incl.
// the test confusion matrix) and every batch's step, epoch, loss, accuracy and learning
// rate (to 6 significant digits). A saved run is never "running": a run still training
// is written as stopped.
// Errors: runFromJson throws netcanvas::FormatError naming `where` and the field.
#include "engine/session/RunRecord.h"

#include <nlohmann/json.hpp>

#include <string>

namespace netcanvas {

nlohmann::json runToJson(const RunRecord& run);
RunRecord runFromJson(const nlohmann::json& j, const std::string& where = "run");

} // namespace netcanvas
