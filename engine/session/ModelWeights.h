#pragma once
// ModelWeights: a trained model as plain values — its graph, every parameter's value on the
// host (keyed "node.name", Network::parameters() order), the input normalization and the
// class names of its outputs. Immutable once made and shared between threads, so a worker
// builds its own Network from it (Network instances are not thread-safe) and a training run
// can start from it (fine-tuning, TrainingSession::setInitialWeights).
#include "engine/data/Split.h"
#include "engine/graph/ModelGraph.h"
#include "engine/train/Network.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace netcanvas {

class TrainingSession;

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
    // when it does not.
    bool loadInto(Network& network) const;
};

} // namespace netcanvas
