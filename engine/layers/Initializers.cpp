#include "engine/layers/Initializers.h"

#include "engine/core/Error.h"
#include "engine/layers/LayerSupport.h"

#include <cmath>

namespace netcanvas {

const std::vector<std::string>& initializerNames()
{
    static const std::vector<std::string> names
        = { "he_normal", "he_uniform", "glorot_normal", "glorot_uniform", "normal", "zeros" };
    return names;
}

void initializeWeights(Tensor& w, const std::string& kind, int64_t fanIn, int64_t fanOut, double stddev, Rng& rng)
{
    const int64_t n = w.size();
    float* p = w.data();
    const double fi = static_cast<double>(std::max<int64_t>(fanIn, 1));
    const double fo = static_cast<double>(std::max<int64_t>(fanOut, 1));
    auto normal = [&](double s) {
        for (int64_t i = 0; i < n; ++i)
            p[i] = rng.normal(0.0f, static_cast<float>(s));
    };
    auto uniform = [&](double limit) {
        for (int64_t i = 0; i < n; ++i)
            p[i] = rng.uniform(static_cast<float>(-limit), static_cast<float>(limit));
    };
    if (kind == "he_normal")
        normal(std::sqrt(2.0 / fi));
    else if (kind == "he_uniform")
        uniform(std::sqrt(6.0 / fi));
    else if (kind == "glorot_normal")
        normal(std::sqrt(2.0 / (fi + fo)));
    else if (kind == "glorot_uniform")
        uniform(std::sqrt(6.0 / (fi + fo)));
    else if (kind == "normal")
        normal(stddev);
    else if (kind == "zeros")
        w.zero();
    else
        throw FormatError("unknown initializer '" + kind + "'");
}

std::vector<ParamSpec> initializerParams()
{
    return { choiceParam("init", "glorot_uniform", initializerNames(),
                 "How the weights start: he_* suit ReLU, glorot_* suit tanh/sigmoid, normal uses init_std, "
                 "zeros shows why symmetry must be broken"),
        floatParam("init_std", 0.01, 1e-12, 100.0, "Standard deviation of the \"normal\" initializer") };
}

} // namespace netcanvas
