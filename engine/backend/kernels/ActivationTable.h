#pragma once
// The activation kinds, described once. Each kind is one row of NETCANVAS_ACTIVATIONS below
// plus a math struct with its forward and derivative (compiled as __host__ __device__ by nvcc).
// Everything else reads the table:
// - ActivationKind (Backend.h's activationForward/activationBackward) is generated from it;
// - the CPU backend runs the math structs (with an optional Eigen-vectorized forward,
//   CpuElementwise.cpp);
// - the CUDA backend uses the row's cuDNN mode, or runs the math struct in its own kernel
//   (elementwise.cu) when cuDNN has none;
// - engine/layers/Activations.cpp registers one layer kind per row (type name, doc, the
//   optional alpha parameter, FLOPs per element);
// - engine/inspect reports the row's statistic (dead units or saturation).
// Adding an activation: a math struct and a row here; a reference and a gradient-check case in
// the tests (tests/engine/test_backend_conformance.cpp, test_layers.cpp). docs/architecture.md
// ("Adding an activation").
// Header-only, no dependencies beyond ElementMath.h: included from .cu files.
#include "engine/backend/kernels/ElementMath.h"

#include <cstdint>
#include <cstring>

namespace netcanvas {

// What inspection (engine/inspect, LayerStats) reports for an activation's output.
enum class ActivationStatistic {
    None,
    DeadUnits, // units (channel·position) never > 0 over the batch
    Saturation, // values below saturationLow or above saturationHigh
};

// The cuDNN activation mode that computes a kind exactly as its math struct does (CudaBackend
// maps it onto cudnnActivationMode_t), or None: the CUDA backend runs the math struct.
enum class CudnnActivation { None, Relu, Sigmoid, Tanh, Elu };

namespace kernels {

// Each kind's math: forward(x, alpha) and backward(x, y, dy, alpha) = dL/dx from the forward's
// input x and output y (each reads the one it needs). alpha: the row's parameter, 0 without.
struct ReluMath {
    static NC_HD float forward(float x, float) { return x > 0.0f ? x : 0.0f; }
    static NC_HD float backward(float x, float, float dy, float) { return x > 0.0f ? dy : 0.0f; }
};
struct LeakyReluMath {
    static NC_HD float forward(float x, float alpha) { return x > 0.0f ? x : alpha * x; }
    static NC_HD float backward(float x, float, float dy, float alpha) { return x > 0.0f ? dy : alpha * dy; }
};
struct EluMath {
    static NC_HD float forward(float x, float alpha) { return x > 0.0f ? x : alpha * (expf(x) - 1.0f); }
    // From the output: for x ≤ 0, d/dx alpha·(eˣ − 1) = y + alpha.
    static NC_HD float backward(float x, float y, float dy, float alpha) { return x > 0.0f ? dy : dy * (y + alpha); }
};
struct TanhMath {
    static NC_HD float forward(float x, float) { return tanhf(x); }
    static NC_HD float backward(float, float y, float dy, float) { return dy * (1.0f - y * y); }
};
struct SigmoidMath {
    static NC_HD float forward(float x, float)
    {
        // Stable on both sides: never exp of a large positive number.
        if (x >= 0.0f)
            return 1.0f / (1.0f + expf(-x));
        const float e = expf(x);
        return e / (1.0f + e);
    }
    static NC_HD float backward(float, float y, float dy, float) { return dy * y * (1.0f - y); }
};

} // namespace kernels

// One row per kind, in palette order. Columns:
//   Kind, registry type name, math struct, inspection statistic, saturation low, high (for
//   Saturation), cuDNN mode, FLOPs per element, alpha parameter name ("" = none), its default,
//   minimum, maximum and doc, the layer's doc line.
#define NETCANVAS_ACTIVATIONS(X)                                                                                       \
    X(Relu, "ReLU", kernels::ReluMath, DeadUnits, 0.0f, 0.0f, Relu, 1, "", 0.0, 0.0, 0.0, "",                          \
        "Rectified linear unit max(0, x): passes positives, zeroes negatives; the usual default")                      \
    X(LeakyRelu, "LeakyReLU", kernels::LeakyReluMath, DeadUnits, 0.0f, 0.0f, None, 1, "alpha", 0.01, 0.0, 1.0,         \
        "Slope for negative inputs",                                                                                   \
        "Like ReLU but lets a small slope alpha·x through for negatives, so units never die")                          \
    X(Elu, "ELU", kernels::EluMath, DeadUnits, 0.0f, 0.0f, Elu, 2, "alpha", 1.0, 0.0, 100.0,                           \
        "Value approached for very negative inputs (−alpha)",                                                          \
        "Exponential linear unit: x for positives, a smooth curve down to −alpha for negatives")                       \
    X(Tanh, "Tanh", kernels::TanhMath, Saturation, -0.99f, 0.99f, Tanh, 4, "", 0.0, 0.0, 0.0, "",                      \
        "Hyperbolic tangent: squashes values into (−1, 1), centred on 0")                                              \
    X(Sigmoid, "Sigmoid", kernels::SigmoidMath, Saturation, 0.01f, 0.99f, Sigmoid, 4, "", 0.0, 0.0, 0.0, "",           \
        "Logistic function 1/(1+e^−x): squashes values into (0, 1), like a probability")

#define NC_ACTIVATION_ENUM(Kind, ...) Kind,
enum class ActivationKind { NETCANVAS_ACTIVATIONS(NC_ACTIVATION_ENUM) };
#undef NC_ACTIVATION_ENUM

struct ActivationInfo {
    ActivationKind kind;
    const char* type; // the LayerRegistry type name
    ActivationStatistic statistic;
    float saturationLow, saturationHigh; // Saturation: y < low or y > high is saturated
    CudnnActivation cudnn;
    int64_t flopsPerElement;
    const char* alphaName; // "" when the kind has no parameter (alpha is then 0)
    double alphaDefault, alphaMin, alphaMax;
    const char* alphaDoc;
    const char* doc;

    bool hasAlpha() const { return alphaName[0] != '\0'; }
};

#define NC_ACTIVATION_ROW(Kind, Type, Math, Stat, Low, High, Cudnn, Flops, AName, ADef, AMin, AMax, ADoc, Doc)         \
    ActivationInfo { ActivationKind::Kind, Type, ActivationStatistic::Stat, Low, High, CudnnActivation::Cudnn, Flops,  \
        AName, ADef, AMin, AMax, ADoc, Doc },
inline constexpr ActivationInfo kActivations[] = { NETCANVAS_ACTIVATIONS(NC_ACTIVATION_ROW) };
#undef NC_ACTIVATION_ROW
inline constexpr int kActivationCount = static_cast<int>(sizeof kActivations / sizeof kActivations[0]);

// The row of `kind` (the enum and the table have the same order).
inline const ActivationInfo& activationInfo(ActivationKind kind)
{
    return kActivations[static_cast<int>(kind)];
}

// The row whose registry type name is `type`, or null (not an activation kind).
inline const ActivationInfo* findActivation(const char* type)
{
    for (const ActivationInfo& a : kActivations)
        if (std::strcmp(a.type, type) == 0)
            return &a;
    return nullptr;
}

// Calls f(Math{}) with the math struct of `kind` (host code: the CPU backend, kernel launches).
template <class F> void withActivationMath(ActivationKind kind, F&& f)
{
#define NC_ACTIVATION_CASE(Kind, Type, Math, ...)                                                                      \
    case ActivationKind::Kind:                                                                                         \
        f(Math {});                                                                                                    \
        return;
    switch (kind) {
        NETCANVAS_ACTIVATIONS(NC_ACTIVATION_CASE)
    }
#undef NC_ACTIVATION_CASE
}

} // namespace netcanvas
