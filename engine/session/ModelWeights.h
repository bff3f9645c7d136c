#pragma once
// ModelWeights: a trained model as plain values — its graph, every parameter's value on the
// host (keyed "node.name", Network::parameters() order), the input normalization and the
// class names of its outputs. Immutable once made and shared between threads, so a worker
// builds its own Network from it (Network instances are not thread-safe) and a training run
// can start from it (fine-tuning, TrainingSession::setInitialWeights).
#include "engine/data/Split.h"
#include "engine/graph/ModelGraph.h"
#include "engine/train/Network.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace netcanvas {

class TrainingSession;

// What loading weights by name into another graph did (ModelWeights::loadByName), parameter by
// parameter ("node.name" keys, the network's order; `unused` in the weights' order).
struct WeightsLoadReport {
    struct Skipped {
        std::string key;
        Shape weights; // its shape in the weights
        Shape model; // its shape in the model (kept as initialized)
    };
    std::vector<std::string> loaded; // same key and shape: the weights' value
    std::vector<Skipped> skipped; // same key, other shape: initialized
    std::vector<std::string> fresh; // in the model only: initialized
    std::vector<std::string> unused; // in the weights only: ignored
    // Lines for people: "loaded 8 tensors: conv1.weight, ..." / "skipped fc3.weight: 10×84 in
    // the weights, 5×84 in the model (initialized)" / "new (initialized): ..." / "unused: ...".
    std::vector<std::string> lines() const;
    // {"loaded": [...], "skipped": [{"tensor", "weights_shape", "model_shape"}], "new": [...],
    //  "unused": [...]} (shapes as arrays of sizes).
    nlohmann::json toJson() const;
};

struct ModelWeights {
    ModelGraph graph;
    std::vector<std::pair<std::string, Tensor>> values; // key → host tensor
    Normalization normalization;
    std::vector<std::string> classNames; // output i is class i (may be fewer than the outputs)

    // Copies the parameter values of `network` (a network on the host).
    static std::shared_ptr<ModelWeights> capture(
        const ModelGraph& graph, Network& network, Normalization norm, std::vector<std::string> classNames);
    // The latest weights `session` published (TrainingSession::copySnapshot, safe while it
    // trains), with its graph, normalization and the class names of its dataset; null before
    // its first publication.
    static std::shared_ptr<ModelWeights> fromSession(TrainingSession& session);
    // Whether `network` has parameters of exactly these keys and shapes (then loadInto works).
    bool fits(Network& network) const;
    // Empty when fits(network); otherwise what differs, naming the parameter:
    // "parameter 'fc.weight' is 10×84 in the weights but 5×84 in the model".
    std::string mismatch(Network& network) const;
    // Copies the values into a host network that fits; returns false (network unchanged)
    // when it does not. The strict mode: resuming or continuing a run of the same model.
    bool loadInto(Network& network) const;
    // By name, for fine-tuning another graph: every parameter of `network` (a host network)
    // whose key ("node.name") is in the weights with the same shape takes the weights' value;
    // the others keep their initialization. Ensures: the report lists every parameter of the
    // network exactly once (loaded, skipped or fresh) and every weights' key it did not load
    // as skipped or unused.
    // Parameters of the `fresh` nodes are never loaded (reported as fresh).
    WeightsLoadReport loadByName(Network& network, const std::vector<std::string>& fresh = {}) const;
    // A weights file (safetensors, docs/model-format.md) as values: its tensors in file order,
    // its class names and normalization, and its embedded model (an empty graph when it
    // carries none). FormatError/IoError naming the file.
    static std::shared_ptr<ModelWeights> fromFile(const std::string& path);
};

} // namespace netcanvas
