#pragma once
// What export and import share with the other workflows: finding a trained model's files from
// what a user names — a run folder (train --out: weights.safetensors, model.json), a weights
// file (the model embedded, or given), or a project (.ncproj: its saved weights) — and loading
// them as ModelWeights (engine/session/TrainedModel does the resolving and loading).
#include "engine/session/ModelWeights.h"
#include "engine/session/TrainedModel.h"

#include <memory>
#include <string>

namespace netcanvas {

// The files of a run folder, weights file or project: resolveRunOrWeights (TrainedModel.h).
// Loads them on the host: graph, every parameter, normalization and class names.
std::shared_ptr<ModelWeights> loadModelWeights(const TrainedFiles& files);

// Writes `model`'s weights as the project's weights file (safetensors with the class names,
// the normalization and the model JSON embedded), atomically.
void saveWeightsFile(const ModelWeights& model, const std::string& path);
// Writes `model` as a project (.ncproj) with its weights beside it (weightsPathFor(path)), so
// the app opens it with the weights ready to inspect, evaluate or fine-tune.
void saveAsProject(const ModelWeights& model, const std::string& projectPath);

// The weights path written beside an imported model: "dir/name.json" → "dir/name.safetensors".
std::string weightsPathBeside(const std::string& modelPath);

} // namespace netcanvas
