#pragma once
// Fixtures of the serve tests: weights of a models/ template written to a file (seeded, with
// class names and a normalization), images encoded in memory, and an HTTP client.
#include "engine/backend/Backend.h"
#include "engine/graph/ModelJson.h"
#include "engine/io/Safetensors.h"
#include "engine/train/Network.h"

#include <httplib.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <string>
#include <vector>

namespace netcanvas::fixtures {

// Writes weights of models/<model>.json initialized with `seed` (the model embedded) to `path`.
inline void writeTemplateWeights(const std::string& model, const std::string& path, uint64_t seed)
{
    const ModelGraph graph = loadModelFile(std::string(NETCANVAS_SOURCE_DIR) + "/models/" + model + ".json");
    auto backend = createCpuBackend(1);
    Network net(graph, *backend, seed);
    WeightsMeta meta;
    const int64_t classes = net.outputShape().numel();
    for (int64_t c = 0; c < classes; ++c)
        meta.classNames.push_back("class" + std::to_string(c));
    const int64_t channels = net.inputShape()[0];
    meta.mean.assign(static_cast<size_t>(channels), 0.25f);
    meta.stddev.assign(static_cast<size_t>(channels), 0.5f);
    meta.modelJson = serializeModel(graph);
    saveWeights(path, net, meta);
}

// A `width`×`height` image with a gradient, encoded as `ext` (".png", ".jpg", ...).
inline std::string encodedImage(int width, int height, const std::string& ext, int channels = 1)
{
    cv::Mat img(height, width, channels == 3 ? CV_8UC3 : CV_8UC1);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width * channels; ++x)
            img.ptr<uint8_t>(y)[x] = static_cast<uint8_t>((x * 7 + y * 3) & 0xFF);
    std::vector<uint8_t> bytes;
    cv::imencode(ext, img, bytes);
    return std::string(bytes.begin(), bytes.end());
}

} // namespace netcanvas::fixtures
