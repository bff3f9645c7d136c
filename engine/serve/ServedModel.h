#pragma once
// ServedModel: one loaded generation of the model a service answers with — the trained
// network on its own CPU backend, the input geometry and normalization its inputs get, its
// class names and a version (a hash of the weights' values). Built through the engine's one
// trained-model path (engine/session/TrainedModel: resolveRunOrWeights, loadTrained,
// normalizationOf; or ModelWeights for a model the app holds in memory).
//
// Threads: prepare*() and info() are const and safe from any thread; run() uses the network
// and must be called by one thread at a time (the Batcher's). A reload builds a new
// ServedModel; requests keep the generation their inputs were prepared for (shared_ptr).
#include "engine/data/Dataset.h"
#include "engine/data/Split.h"
#include "engine/serve/TensorBody.h"
#include "engine/session/ModelWeights.h"
#include "engine/session/TrainedModel.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace netcanvas::serve {

class ServedModel {
public:
    // From files: `path` is a run folder, a project or a weights file (resolveRunOrWeights);
    // `modelJson` (optional) overrides the model the weights carry. Throws the engine's
    // errors (IoError, FormatError naming the file).
    static std::shared_ptr<ServedModel> fromFiles(
        const std::string& path, const std::string& modelJson, int threads, int64_t generation);
    // From weights in memory (the app's last run). Throws GraphError when they do not fit their graph.
    static std::shared_ptr<ServedModel> fromWeights(
        const ModelWeights& weights, const std::string& source, int threads, int64_t generation);

    int channels() const { return m_geometry.channels; }
    int height() const { return m_geometry.height; }
    int width() const { return m_geometry.width; }
    int64_t sampleSize() const
    {
        return static_cast<int64_t>(m_geometry.channels) * m_geometry.height * m_geometry.width;
    }
    int64_t classes() const { return m_classes; }
    std::string className(int64_t cls) const;
    const std::string& version() const { return m_version; }
    const std::string& name() const { return m_model.graph.name; }
    int64_t generation() const { return m_generation; }
    // GET /v1/model's body: name, source, version, generation, input shape, classes, normalization.
    nlohmann::json info() const;

    // An encoded image → one normalized sample appended to `out` (stretched to the input size
    // as `netcanvas-cli predict` does). Throws DataError naming `what` when it cannot be decoded.
    void prepareImage(const uint8_t* bytes, size_t size, const std::string& what, std::vector<float>& out) const;
    // Pixel values in [0, 1], C×H×W (flat or nested) → a normalized sample appended to `out`
    // (`normalize` false: taken as the network's input as is). Throws DataError naming `what`
    // and the shapes when the tensor does not fit.
    void prepareTensor(
        const nlohmann::json& tensor, bool normalize, const std::string& what, std::vector<float>& out) const;

    // The samples of a binary tensor body (TensorBody.h) → body.n normalized samples appended
    // to `out`, with no decoding and no resizing: uint8 pixels are scaled to [0, 1] and
    // normalized; float32 values are normalized unless `normalize` is false. Throws DataError
    // when the samples' C×H×W is not the model's or a float32 value is not finite.
    void prepareTensorBody(const TensorBodyView& body, bool normalize, std::vector<float>& out) const;

    // Runs `n` prepared samples; writes n × classes() probabilities.
    void run(const float* inputs, int64_t n, float* probabilities);

private:
    ServedModel() = default;
    void finish(const std::string& source, int64_t generation);

    LoadedModel m_model;
    DatasetOptions m_geometry;
    Normalization m_norm;
    int64_t m_classes = 0;
    std::string m_source, m_version;
    int64_t m_generation = 0;
    Tensor m_input;
};

// Builds the model generation `generation` (1 for the first load); called again on reload.
using ModelLoader = std::function<std::shared_ptr<ServedModel>(int64_t generation)>;

} // namespace netcanvas::serve
