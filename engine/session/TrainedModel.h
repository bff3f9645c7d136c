#pragma once
// A trained model as the inference workflows load it (netcanvas-cli eval, predict,
// featuremaps, explain; the app's inspection of a weights file): where its files are (a model
// JSON and weights, or a project), the graph, a backend, the network holding the weights and
// the weights' metadata (class names, normalization). Also the helpers every workflow shares:
// the metadata written with weights, the normalization read back from it, and the dataset
// geometry a model takes.
#include "engine/backend/Backend.h"
#include "engine/data/Dataset.h"
#include "engine/data/Split.h"
#include "engine/graph/ModelGraph.h"
#include "engine/io/Safetensors.h"
#include "engine/train/Network.h"
#include "engine/train/TrainConfig.h"

#include <memory>
#include <string>
#include <vector>

namespace netcanvas {

// The files of a trained model. `modelOrProject` may name a project ("x.ncproj"): its saved
// weights are then the weights (unless `weights` is given) and the model is the one they
// carry. Throws IoError/FormatError naming the project when it has no saved weights, and
// FormatError when neither weights nor a project are given.
struct TrainedFiles {
    std::string model; // model JSON; empty: the one embedded in the weights
    std::string weights;
};
TrainedFiles resolveTrainedFiles(const std::string& modelOrProject, const std::string& weights);
// The files of one path that stands for a trained model (netcanvas-cli serve): a run folder
// (its weights.safetensors, with its model.json when present), a project (its saved weights) or
// a weights file (its embedded model). `model`, when given, is the model JSON to use instead.
// Throws IoError naming the path when it holds none.
TrainedFiles resolveRunOrWeights(const std::string& path, const std::string& model = {});

// The graph of trained weights: from `modelPath` when given, else the model embedded in the
// weights file (FormatError naming the file when there is none).
ModelGraph graphForWeights(const std::string& modelPath, const std::string& weightsPath);

// A trained model ready for inference: graph, backend, network with the weights loaded.
struct LoadedModel {
    ModelGraph graph;
    std::unique_ptr<Backend> backend;
    std::unique_ptr<Network> network;
    WeightsMeta meta;
    // The class's name from the weights, or its number when the weights carry no names.
    std::string className(int cls) const;
};
// Loads `files` onto `backend` (e.g. createCpuBackend(threads)); the network runs batches of 1+.
LoadedModel loadTrained(const TrainedFiles& files, std::unique_ptr<Backend> backend);

// The metadata saved with a model's weights: class names, normalization and the model JSON
// with `config`'s recipe as its "training" object (docs/model-format.md).
WeightsMeta weightsMetaFor(const ModelGraph& graph, const TrainConfig& config,
    const std::vector<std::string>& classNames, const Normalization& normalization);
// The input normalization stored in weights' metadata (empty: identity).
Normalization normalizationOf(const WeightsMeta& meta);

// Dataset geometry for a model: the Input node's C×H×W (GraphError when it is not rank 3).
DatasetOptions datasetOptionsFor(const GraphAnalysis& a, const std::string& resize);
// Sequence tasks take what the model fixes from the model: a series' window from the Input's
// height (1×T×F) and its horizon from the outputs per sample; a text's length from the Input's
// width (1×1×L) and the vocabulary's size from the first Embedding's `vocab`. Fields already
// set by the user (windowGiven etc.) are kept.
struct SequenceOverrides {
    bool window = false, horizon = false, length = false, vocabulary = false;
};
void fitSequenceOptions(
    const ModelGraph& graph, const GraphAnalysis& a, DatasetOptions& options, const SequenceOverrides& given);
// ShapeError naming the output node when the model's outputs per sample are not the
// dataset's number of classes (or, for real-valued targets, the target's size).
void checkOutputMatchesClasses(const GraphAnalysis& a, const Dataset& data);

} // namespace netcanvas
