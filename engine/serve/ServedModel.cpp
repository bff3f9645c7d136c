#include "engine/serve/ServedModel.h"

#include "engine/core/Error.h"
#include "engine/data/DataLoader.h"
#include "engine/inspect/Inspect.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace netcanvas::serve {

namespace {

// FNV-1a over the parameter values, in the network's order: the same weights, the same version.
std::string weightsVersion(Network& network)
{
    uint64_t h = 1469598103934665603ull;
    for (const NamedParameter& p : network.parameters()) {
        for (char c : p.key())
            h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
        const Tensor& v = p.param->value;
        const auto* bytes = reinterpret_cast<const uint8_t*>(v.data());
        for (size_t i = 0, n = static_cast<size_t>(v.size()) * sizeof(float); i < n; ++i)
            h = (h ^ bytes[i]) * 1099511628211ull;
    }
    char buf[24];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

// A JSON tensor flattened in row-major order; false when it holds something other than numbers.
bool flatten(const nlohmann::json& j, std::vector<float>& out, size_t limit)
{
    if (j.is_number()) {
        if (out.size() >= limit)
            return true; // too many values: the caller reports the count
        out.push_back(j.get<float>());
        return true;
    }
    if (!j.is_array())
        return false;
    for (const auto& e : j)
        if (!flatten(e, out, limit))
            return false;
    return true;
}

int64_t countValues(const nlohmann::json& j)
{
    if (!j.is_array())
        return 1;
    int64_t n = 0;
    for (const auto& e : j)
        n += countValues(e);
    return n;
}

} // namespace

std::shared_ptr<ServedModel> ServedModel::fromFiles(
    const std::string& path, const std::string& modelJson, int threads, int64_t generation)
{
    std::shared_ptr<ServedModel> m(new ServedModel());
    TrainedFiles files = resolveRunOrWeights(path);
    if (!modelJson.empty())
        files.model = modelJson;
    m->m_model = loadTrained(files, createCpuBackend(threads));
    m->m_norm = normalizationOf(m->m_model.meta);
    m->finish(path, generation);
    return m;
}

std::shared_ptr<ServedModel> ServedModel::fromWeights(
    const ModelWeights& weights, const std::string& source, int threads, int64_t generation)
{
    std::shared_ptr<ServedModel> m(new ServedModel());
    m->m_model.graph = weights.graph;
    m->m_model.backend = createCpuBackend(threads);
    m->m_model.network = std::make_unique<Network>(m->m_model.graph, *m->m_model.backend, 1);
    if (!weights.loadInto(*m->m_model.network))
        throw GraphError(source + ": the weights do not fit their model: " + weights.mismatch(*m->m_model.network));
    m->m_model.meta.classNames = weights.classNames;
    m->m_model.meta.mean = weights.normalization.mean;
    m->m_model.meta.stddev = weights.normalization.stddev;
    m->m_norm = weights.normalization;
    m->finish(source, generation);
    return m;
}

void ServedModel::finish(const std::string& source, int64_t generation)
{
    const GraphAnalysis& a = m_model.network->analysis();
    m_geometry = datasetOptionsFor(a, "stretch");
    m_classes = a.outputShape.numel();
    m_source = source;
    m_generation = generation;
    m_version = weightsVersion(*m_model.network);
    // Run one sample now: the first request does not pay for the buffers, and a model that
    // cannot run fails its load rather than its first request.
    std::vector<float> zeros(static_cast<size_t>(sampleSize()), 0.0f), probs(static_cast<size_t>(m_classes));
    run(zeros.data(), 1, probs.data());
}

std::string ServedModel::className(int64_t cls) const
{
    return m_model.className(static_cast<int>(cls));
}

nlohmann::json ServedModel::info() const
{
    nlohmann::json classes = nlohmann::json::array();
    for (int64_t c = 0; c < m_classes; ++c)
        classes.push_back(className(c));
    nlohmann::json norm = nlohmann::json::object();
    if (!m_norm.empty())
        norm = { { "mean", m_norm.mean }, { "stddev", m_norm.stddev } };
    return { { "name", m_model.graph.name }, { "source", m_source }, { "version", m_version },
        { "generation", m_generation }, { "input_shape", { m_geometry.channels, m_geometry.height, m_geometry.width } },
        { "classes", classes }, { "normalization", norm }, { "parameters", m_model.network->analysis().totalParams } };
}

void ServedModel::prepareImage(
    const uint8_t* bytes, size_t size, const std::string& what, std::vector<float>& out) const
{
    const std::vector<uint8_t> pixels
        = decodeImageSample(bytes, size, what, m_geometry.channels, m_geometry.height, m_geometry.width);
    const size_t at = out.size();
    out.resize(at + static_cast<size_t>(sampleSize()));
    netcanvas::prepareImage(
        pixels.data(), m_geometry.channels, m_geometry.height, m_geometry.width, m_norm, out.data() + at);
}

void ServedModel::prepareTensor(
    const nlohmann::json& tensor, bool normalize, const std::string& what, std::vector<float>& out) const
{
    const std::string shape = std::to_string(m_geometry.channels) + "\u00d7" + std::to_string(m_geometry.height)
        + "\u00d7" + std::to_string(m_geometry.width);
    std::vector<float> values;
    const size_t want = static_cast<size_t>(sampleSize());
    if (!flatten(tensor, values, want + 1))
        throw DataError(what + ": a tensor is an array of numbers (flat, or nested C\u00d7H\u00d7W)");
    if (values.size() != want)
        throw DataError(what + ": " + std::to_string(countValues(tensor)) + " values, but the model takes " + shape
            + " = " + std::to_string(want));
    for (float v : values)
        if (!std::isfinite(v))
            throw DataError(what + ": a value is not finite");
    const size_t at = out.size();
    out.resize(at + want);
    if (!normalize || m_norm.empty()) {
        std::copy(values.begin(), values.end(), out.begin() + static_cast<std::ptrdiff_t>(at));
        return;
    }
    const size_t plane = static_cast<size_t>(m_geometry.height) * static_cast<size_t>(m_geometry.width);
    for (size_t c = 0; c < static_cast<size_t>(m_geometry.channels); ++c) {
        const float mean = c < m_norm.mean.size() ? m_norm.mean[c] : 0.0f;
        const float sd = c < m_norm.stddev.size() && m_norm.stddev[c] != 0.0f ? m_norm.stddev[c] : 1.0f;
        for (size_t i = 0; i < plane; ++i)
            out[at + c * plane + i] = (values[c * plane + i] - mean) / sd;
    }
}

void ServedModel::prepareTensorBody(const TensorBodyView& body, bool normalize, std::vector<float>& out) const
{
    if (body.c != m_geometry.channels || body.h != m_geometry.height || body.w != m_geometry.width)
        throw DataError("tensor body: samples of " + std::to_string(body.c) + "\u00d7" + std::to_string(body.h)
            + "\u00d7" + std::to_string(body.w) + ", but the model takes " + std::to_string(m_geometry.channels)
            + "\u00d7" + std::to_string(m_geometry.height) + "\u00d7" + std::to_string(m_geometry.width)
            + " (a tensor body is not resized: send images to have them fitted)");
    const size_t sample = static_cast<size_t>(sampleSize());
    const size_t at = out.size();
    out.resize(at + sample * static_cast<size_t>(body.n));
    float* dst = out.data() + at;
    if (body.dtype == TensorDType::UInt8) {
        for (int64_t i = 0; i < body.n; ++i)
            netcanvas::prepareImage(body.values + sample * static_cast<size_t>(i), m_geometry.channels,
                m_geometry.height, m_geometry.width, m_norm, dst + sample * static_cast<size_t>(i));
        return;
    }
    const size_t total = sample * static_cast<size_t>(body.n);
    std::memcpy(dst, body.values, total * sizeof(float));
    for (size_t k = 0; k < total; ++k)
        if (!std::isfinite(dst[k])) {
            out.resize(at);
            throw DataError("tensor body: sample " + std::to_string(k / sample) + ": a value is not finite");
        }
    if (!normalize || m_norm.empty())
        return;
    const size_t plane = static_cast<size_t>(m_geometry.height) * static_cast<size_t>(m_geometry.width);
    for (size_t s = 0; s < static_cast<size_t>(body.n); ++s)
        for (size_t c = 0; c < static_cast<size_t>(m_geometry.channels); ++c) {
            const float mean = c < m_norm.mean.size() ? m_norm.mean[c] : 0.0f;
            const float sd = c < m_norm.stddev.size() && m_norm.stddev[c] != 0.0f ? m_norm.stddev[c] : 1.0f;
            float* p = dst + s * sample + c * plane;
            for (size_t i = 0; i < plane; ++i)
                p[i] = (p[i] - mean) / sd;
        }
}

void ServedModel::run(const float* inputs, int64_t n, float* probabilities)
{
    const Shape shape = m_model.network->inputShape().batched(n);
    if (m_input.shape() != shape)
        m_input = Tensor(shape);
    std::memcpy(m_input.data(), inputs, static_cast<size_t>(n * sampleSize()) * sizeof(float));
    const Tensor& out = m_model.network->forward(m_input, false);
    for (int64_t r = 0; r < n; ++r) {
        const std::vector<float> p = inspect::probabilities(*m_model.network, out, r);
        std::copy(p.begin(), p.end(), probabilities + r * m_classes);
    }
}

} // namespace netcanvas::serve
