#pragma once
// The classifier part of a graph, for transfer learning: which layers a "new classifier" on
// pretrained features replaces (Train ▸ Replace Head… with "also the hidden dense layers",
// `netcanvas-cli train --reinit`; docs/transfer-learning.md).
#include "engine/graph/ModelGraph.h"

#include <string>
#include <vector>

namespace netcanvas {

// The classifier's Dense layers: the head (outputDenseLayer) and every Dense before it through
// single-input nodes whose per-sample output is a vector (activations, Dropout, ...), up to
// where the features are still spatial (a Flatten, a pooling, a convolution). Head first;
// empty when the output is not set by a Dense. For LeNet-5: fc3, fc2, fc1.
std::vector<std::string> classifierDenseLayers(const ModelGraph& graph, const GraphAnalysis& analysis);

} // namespace netcanvas
