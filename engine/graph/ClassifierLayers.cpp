#include "engine/graph/ClassifierLayers.h"

namespace netcanvas {

std::vector<std::string> classifierDenseLayers(const ModelGraph& graph, const GraphAnalysis& analysis)
{
    std::vector<std::string> layers;
    if (outputDenseLayer(graph, analysis).empty())
        return layers;
    std::string id = analysis.outputNode;
    for (size_t guard = 0; guard <= graph.nodes().size() && !id.empty(); ++guard) {
        const GraphNode* node = graph.node(id);
        const auto a = analysis.nodes.find(id);
        if (!node || a == analysis.nodes.end() || a->second.outputShape.rank() != 1 || node->inputs.size() != 1
            || node->type == "Flatten")
            break;
        if (node->type == "Dense")
            layers.push_back(id);
        id = node->inputs.front();
    }
    return layers;
}

} // namespace netcanvas
