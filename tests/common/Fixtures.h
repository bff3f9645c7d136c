#pragma once
// Shared test fixtures: a synthetic learnable image task and small graphs built in code.
// Header-only; used by the engine and app tests.
#include "engine/core/Rng.h"
#include "engine/data/Dataset.h"
#include "engine/graph/ModelGraph.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace netcanvas::fixtures {

// 3 classes of 8×8 grayscale images: a bright bar (horizontal / vertical / diagonal) at a
// random position over noise. With randomLabels the labels carry no information.
inline Dataset barsDataset(int perClass, uint64_t seed, bool randomLabels = false)
{
    Dataset d;
    d.channels = 1;
    d.height = 8;
    d.width = 8;
    d.classNames = { "horizontal", "vertical", "diagonal" };
    d.format = "synthetic";
    d.root = "bars";
    Rng rng(seed);
    for (int i = 0; i < perClass * 3; ++i) {
        const int cls = i % 3;
        uint8_t img[64];
        for (auto& p : img)
            p = static_cast<uint8_t>(rng.below(70));
        const int pos = static_cast<int>(rng.below(8));
        const int start = static_cast<int>(rng.below(3));
        for (int k = start; k < start + 6; ++k) {
            const int y = cls == 0 ? pos : k;
            const int x = cls == 0 ? k : (cls == 1 ? pos : (k + pos) % 8);
            img[y * 8 + x] = static_cast<uint8_t>(190 + rng.below(66));
        }
        d.pixels.insert(d.pixels.end(), img, img + 64);
        d.labels.push_back(randomLabels ? static_cast<int32_t>(rng.below(3)) : cls);
        d.sources.push_back("bars#" + std::to_string(i));
    }
    return d;
}

inline GraphNode makeNode(const std::string& id, const std::string& type, std::vector<std::string> inputs = {},
    nlohmann::json params = nlohmann::json::object())
{
    GraphNode n;
    n.id = id;
    n.type = type;
    n.inputs = std::move(inputs);
    n.params = std::move(params);
    return n;
}

// Input 1×8×8 → Conv2D(filters, 3, same) → ReLU → MaxPool2D → Flatten → Dense(classes).
inline ModelGraph barsCnn(int classes = 3, int filters = 8)
{
    ModelGraph g;
    g.name = "bars-cnn";
    g.addNode(makeNode("in", "Input", {}, { { "channels", 1 }, { "height", 8 }, { "width", 8 } }));
    g.addNode(makeNode("conv", "Conv2D", { "in" }, { { "filters", filters }, { "kernel", 3 }, { "padding", "same" } }));
    g.addNode(makeNode("relu", "ReLU", { "conv" }));
    g.addNode(makeNode("pool", "MaxPool2D", { "relu" }, { { "pool", 2 } }));
    g.addNode(makeNode("flat", "Flatten", { "pool" }));
    g.addNode(makeNode("fc", "Dense", { "flat" }, { { "units", classes } }));
    return g;
}

} // namespace netcanvas::fixtures
