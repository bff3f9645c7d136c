#include "engine/session/ModelWeights.h"

#include "engine/backend/Backend.h"
#include "engine/session/TrainingSession.h"

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

} // namespace netcanvas
