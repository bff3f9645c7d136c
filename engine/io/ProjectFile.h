#pragma once
// The project file (docs/project-format.md): one JSON file, "*.ncproj", holding what the
// app edits — the graph with node positions, the dataset reference, the folder being
// labeled, the Training panel's settings and every training run (settings, curves, results) — plus, beside it, the
// weights of the last run as safetensors ("<name>.weights.safetensors").
//
// Paths inside the file are written relative to the project's folder when they lie inside
// it (so a project folder can be moved or shared) and absolute otherwise; loaded paths
// are absolute.
//
// Ensures: loadProjectFile(p) after saveProjectFile(p, d) gives back d (runs to 6
// significant digits, see engine/io/RunJson.h). Writes are atomic (temporary file + rename).
// Errors: FormatError naming the file and the field ("x.ncproj: runs[2].epochs[0].seconds:
// expected a number or null"), IoError naming the file; "netcanvas-cli" reads the model
// part of a project through the engine's loadModelFile.
#include "engine/graph/ModelGraph.h"
#include "engine/graph/ModelJson.h" // kProjectFormatVersion
#include "engine/session/RunRecord.h"
#include "engine/train/TrainConfig.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace netcanvas {

struct ProjectData {
    ModelGraph graph; // nodes, edges, ui positions, the model's own recipe
    std::string datasetPath; // empty when none was chosen
    std::string labelFolder; // the folder open in the Label mode; empty when none
    std::optional<TrainConfig> training; // the Training panel's settings; none: the model's recipe
    int threads = 0; // a setting of this machine, kept with the project
    std::string device = "auto"; // likewise: auto | cpu | cuda | cuda:N
    Precision precision = Precision::Fp32; // likewise: GPU math, fp32 | tf32 | fp16 (settings.precision)
    std::vector<RunRecord> runs;
    std::string weightsPath; // the weights of `weightsRun`, empty when none were saved
    int weightsRun = 0;
    // Autosave only: the file the user was editing (empty for an untitled project) and
    // when the recovery copy was written (ISO 8601).
    std::string recoveryOf;
    std::string recoverySavedAt;
};

// Whether `path` names a project by its extension: "x.ncproj" (case-insensitive).
bool isProjectPath(const std::string& path);

nlohmann::json projectToJson(const ProjectData& project, const std::string& projectDir);
ProjectData projectFromJson(const nlohmann::json& j, const std::string& source, const std::string& projectDir);

void saveProjectFile(const std::string& path, const ProjectData& project);
ProjectData loadProjectFile(const std::string& path);

// Where the weights of project `projectPath` go: "<dir>/<base>.weights.safetensors".
std::string weightsPathFor(const std::string& projectPath);

} // namespace netcanvas
