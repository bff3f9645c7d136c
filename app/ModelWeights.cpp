#include "app/ModelWeights.h"

#include "engine/backend/Backend.h"

namespace netcanvas::app {

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

std::shared_ptr<ModelWeights> ModelWeights::fromTrainer(
    const ModelGraph& graph, Trainer& trainer, std::vector<std::string> classNames)
{
    auto host = createCpuBackend(1);
    Network net(graph, *host);
    Normalization norm;
    if (!trainer.copySnapshot(net, &norm))
        return nullptr;
    return capture(graph, net, std::move(norm), std::move(classNames));
}

bool ModelWeights::fits(Network& network) const
{
    const std::vector<NamedParameter> params = network.parameters();
    if (params.size() != values.size())
        return false;
    for (size_t i = 0; i < params.size(); ++i)
        if (params[i].key() != values[i].first || params[i].param->value.shape() != values[i].second.shape())
            return false;
    return true;
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

} // namespace netcanvas::app
