#include "engine/session/ModelWeights.h"

#include "engine/backend/Backend.h"
#include "engine/graph/ModelJson.h"
#include "engine/io/Safetensors.h"
#include "engine/session/TrainedModel.h"
#include "engine/session/TrainingSession.h"

#include <map>
#include <set>

namespace netcanvas {

std::shared_ptr<ModelWeights> ModelWeights::capture(
    const ModelGraph& graph, Network& network, Normalization norm, std::vector<std::string> classNames)
{
    auto w = std::make_shared<ModelWeights>();
    w->graph = graph;
    for (const NamedParameter& p : network.parameters()) {
        Tensor copy;
        copy.copyFrom(p.param->value);
        w->values.emplace_back(p.key(), std::move(copy));
    }
    w->normalization = std::move(norm);
    w->classNames = std::move(classNames);
    return w;
}

std::shared_ptr<ModelWeights> ModelWeights::fromSession(TrainingSession& session)
{
    auto host = createCpuBackend(1);
    Network net(session.graph(), *host);
    Normalization norm;
    if (!session.copySnapshot(net, &norm))
        return nullptr;
    return capture(session.graph(), net, std::move(norm), session.dataset()->classNames);
}

std::string ModelWeights::mismatch(Network& network) const
{
    const std::vector<NamedParameter> params = network.parameters();
    for (size_t i = 0; i < params.size() && i < values.size(); ++i) {
        const std::string key = params[i].key();
        if (key != values[i].first)
            return "the weights' parameter " + std::to_string(i + 1) + " is '" + values[i].first
                + "' but the model's is '" + key + "'";
        if (params[i].param->value.shape() != values[i].second.shape())
            return "parameter '" + key + "' is " + values[i].second.shape().toString() + " in the weights but "
                + params[i].param->value.shape().toString() + " in the model";
    }
    if (params.size() > values.size())
        return "the model's parameter '" + params[values.size()].key() + "' is not in the weights";
    if (values.size() > params.size())
        return "the weights' parameter '" + values[params.size()].first + "' is not in the model";
    return {};
}

bool ModelWeights::fits(Network& network) const
{
    return mismatch(network).empty();
}

bool ModelWeights::loadInto(Network& network) const
{
    if (!fits(network))
        return false;
    const std::vector<NamedParameter> params = network.parameters();
    for (size_t i = 0; i < params.size(); ++i)
        params[i].param->value.copyFrom(values[i].second);
    return true;
}

WeightsLoadReport ModelWeights::loadByName(Network& network, const std::vector<std::string>& fresh) const
{
    const std::set<std::string> freshNodes(fresh.begin(), fresh.end());
    std::map<std::string, const Tensor*> byKey;
    for (const auto& [key, value] : values)
        byKey.emplace(key, &value);
    WeightsLoadReport report;
    std::set<std::string> seen;
    for (const NamedParameter& p : network.parameters()) {
        const std::string key = p.key();
        auto it = byKey.find(key);
        if (it == byKey.end() || freshNodes.count(p.node)) {
            if (it != byKey.end())
                seen.insert(key); // replaced on purpose, not unused
            report.fresh.push_back(key);
            continue;
        }
        seen.insert(key);
        if (it->second->shape() != p.param->value.shape()) {
            report.skipped.push_back({ key, it->second->shape(), p.param->value.shape() });
            continue;
        }
        network.assign(p.param->value, *it->second);
        report.loaded.push_back(key);
    }
    for (const auto& [key, value] : values)
        if (!seen.count(key))
            report.unused.push_back(key);
    return report;
}

std::shared_ptr<ModelWeights> ModelWeights::fromFile(const std::string& path)
{
    TensorFile file = loadSafetensors(path);
    const WeightsMeta meta = weightsMetaOf(path, file);
    auto w = std::make_shared<ModelWeights>();
    if (!meta.modelJson.empty())
        w->graph = parseModelJson(meta.modelJson, path + " (its embedded model)");
    for (auto& [key, value] : file.tensors)
        w->values.emplace_back(key, std::move(value));
    w->normalization = normalizationOf(meta);
    w->classNames = meta.classNames;
    return w;
}

namespace {

std::string joined(const std::vector<std::string>& keys)
{
    std::string s;
    for (const std::string& k : keys)
        s += (s.empty() ? "" : ", ") + k;
    return s;
}

} // namespace

std::vector<std::string> WeightsLoadReport::lines() const
{
    std::vector<std::string> out;
    out.push_back("loaded " + std::to_string(loaded.size()) + " tensor" + (loaded.size() == 1 ? "" : "s")
        + (loaded.empty() ? std::string() : ": " + joined(loaded)));
    for (const Skipped& s : skipped)
        out.push_back("skipped " + s.key + ": " + s.weights.toString() + " in the weights, " + s.model.toString()
            + " in the model (initialized)");
    if (!fresh.empty())
        out.push_back("new (initialized): " + joined(fresh));
    if (!unused.empty())
        out.push_back("unused (not in the model): " + joined(unused));
    return out;
}

nlohmann::json WeightsLoadReport::toJson() const
{
    nlohmann::json j;
    j["loaded"] = loaded;
    j["skipped"] = nlohmann::json::array();
    for (const Skipped& s : skipped)
        j["skipped"].push_back(
            { { "tensor", s.key }, { "weights_shape", s.weights.dims() }, { "model_shape", s.model.dims() } });
    j["new"] = fresh;
    j["unused"] = unused;
    return j;
}

} // namespace netcanvas
