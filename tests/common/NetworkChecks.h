#pragma once
// Comparisons of whole networks for the engine tests (header-only).
#include "engine/train/Network.h"

#include <cstring>

namespace netcanvas::checks {

// Every parameter of a and b has the same shape and the same bits.
inline bool sameWeights(Network& a, Network& b)
{
    auto pa = a.parameters(), pb = b.parameters();
    if (pa.size() != pb.size())
        return false;
    for (size_t i = 0; i < pa.size(); ++i)
        if (pa[i].param->value.shape() != pb[i].param->value.shape()
            || std::memcmp(pa[i].param->value.data(), pb[i].param->value.data(),
                   static_cast<size_t>(pa[i].param->value.size()) * sizeof(float))
                != 0)
            return false;
    return true;
}

inline bool allWeightsFinite(Network& net)
{
    for (const auto& p : net.parameters())
        if (!p.param->value.allFinite())
            return false;
    return true;
}

} // namespace netcanvas::checks
