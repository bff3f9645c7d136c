#include "engine/graph/GraphLayout.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace netcanvas {

std::map<std::string, LayoutSlot> layeredLayout(const ModelGraph& graph)
{
    const auto& nodes = graph.nodes();
    std::map<std::string, int> layer;
    std::map<std::string, int> fileIndex;
    for (size_t i = 0; i < nodes.size(); ++i)
        fileIndex[nodes[i].id] = static_cast<int>(i);

    // Longest path by relaxation (at most n rounds; a cycle just stops growing).
    for (const auto& n : nodes)
        layer[n.id] = 0;
    for (size_t round = 0; round < nodes.size(); ++round) {
        bool changed = false;
        for (const auto& n : nodes)
            for (const auto& in : n.inputs) {
                auto it = layer.find(in);
                if (it != layer.end() && it->second + 1 > layer[n.id]
                    && it->second + 1 <= static_cast<int>(nodes.size())) {
                    layer[n.id] = it->second + 1;
                    changed = true;
                }
            }
        if (!changed)
            break;
    }
    int depth = 0;
    for (const auto& [id, l] : layer)
        depth = std::max(depth, l);

    // Layers hold real nodes and, for every edge spanning several layers, one virtual node
    // per layer crossed ("\x01from>to#k"), so long edges get room beside the chains they skip.
    std::vector<std::vector<std::string>> layers(static_cast<size_t>(depth) + 1);
    std::map<std::string, std::vector<std::string>> preds; // within the layered graph
    for (const auto& n : nodes)
        layers[static_cast<size_t>(layer[n.id])].push_back(n.id);
    for (const auto& n : nodes)
        for (const auto& in : n.inputs) {
            if (!layer.count(in))
                continue;
            std::string prev = in;
            for (int l = layer[in] + 1; l < layer[n.id]; ++l) {
                const std::string v = "\x01" + in + ">" + n.id + "#" + std::to_string(l);
                layers[static_cast<size_t>(l)].push_back(v);
                preds[v] = { prev };
                fileIndex[v] = fileIndex[n.id];
                prev = v;
            }
            preds[n.id].push_back(prev);
        }

    std::map<std::string, double> slot; // position within its layer
    for (auto& ids : layers) {
        std::map<std::string, double> key;
        for (const auto& id : ids) {
            double sum = 0;
            int count = 0;
            for (const auto& in : preds[id])
                if (slot.count(in)) {
                    sum += slot[in];
                    ++count;
                }
            key[id] = count ? sum / count : fileIndex[id];
        }
        std::stable_sort(ids.begin(), ids.end(), [&](const auto& a, const auto& b) {
            return key[a] != key[b] ? key[a] < key[b] : fileIndex[a] < fileIndex[b];
        });
        for (size_t i = 0; i < ids.size(); ++i)
            slot[ids[i]] = static_cast<double>(i) - (static_cast<double>(ids.size()) - 1) / 2;
    }

    std::map<std::string, LayoutSlot> out;
    for (const auto& n : nodes)
        out[n.id] = LayoutSlot { layer[n.id], slot[n.id] };
    return out;
}

void applyLayeredLayout(ModelGraph& graph, double along, double across)
{
    const std::map<std::string, LayoutSlot> slots = layeredLayout(graph);
    for (const auto& [id, s] : slots) {
        GraphNode* n = graph.node(id);
        n->ui["x"] = static_cast<int64_t>(std::llround(s.slot * across));
        n->ui["y"] = static_cast<int64_t>(std::llround(s.layer * along));
    }
}

} // namespace netcanvas
