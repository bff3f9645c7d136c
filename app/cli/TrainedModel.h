#pragma once
// A trained model as the inference commands (eval, predict, featuremaps, explain) load it:
// the graph (from a model JSON, or the one embedded in the weights file), a CPU backend,
// the network holding the weights, and the weights' metadata (class names, normalization).
#include "engine/backend/Backend.h"
#include "engine/data/Dataset.h"
#include "engine/data/Split.h"
#include "engine/graph/ModelGraph.h"
#include "engine/io/Safetensors.h"
#include "engine/train/Network.h"

#include <memory>
#include <string>

namespace netcanvas::cli {

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
// device: auto | cpu | cuda | cuda:N and precision (Devices.h); the inspection commands stay
// on the CPU.
LoadedModel loadTrained(const std::string& modelPath, const std::string& weightsPath, int threads,
    const std::string& device = "cpu", Precision precision = Precision::Fp32);

Normalization normalizationOf(const WeightsMeta& meta);

// Dataset geometry for a model: the Input node's C×H×W (GraphError when it is not rank 3).
DatasetOptions datasetOptionsFor(const GraphAnalysis& a, const std::string& resize);

} // namespace netcanvas::cli
