#pragma once
// Precision: the arithmetic a device backend may use for its matrix products (GEMM and
// convolution). Tensors stay float32 in memory in every mode; only how the products inside
// those two operations are computed changes (docs/gpu.md, "Numerics").
//
//   Fp32  exact float32 math (the default; what the CPU backend always does).
//   Tf32  TF32 tensor cores (10-bit mantissa in the products, float32 accumulation) on GPUs
//         of compute capability >= 8.0; float32 elsewhere.
//   Fp16  mixed precision: the products' inputs are rounded to FP16 and multiplied on tensor
//         cores with float32 accumulation (GPUs of compute capability >= 7.0); the Trainer adds
//         dynamic loss scaling (engine/train/LossScaler.h) so that small gradients survive.
//
// A backend reports what it really runs with Backend::mathPrecision(): a CPU backend, or a
// GPU without TF32, computes in Fp32 whatever was asked for (DeviceManager says so in its note).
// Header-only for the enum and names, so the CUDA plugin (which links no engine code) uses it.
#include <string>

namespace netcanvas {

enum class Precision { Fp32, Tf32, Fp16 };

// "fp32" | "tf32" | "fp16": the spelling of the CLI's --precision and the project file.
constexpr const char* precisionName(Precision p)
{
    switch (p) {
    case Precision::Tf32:
        return "tf32";
    case Precision::Fp16:
        return "fp16";
    case Precision::Fp32:
        break;
    }
    return "fp32";
}

// For people: "FP32", "TF32", "FP16 mixed precision".
constexpr const char* precisionLabel(Precision p)
{
    switch (p) {
    case Precision::Tf32:
        return "TF32";
    case Precision::Fp16:
        return "FP16 mixed precision";
    case Precision::Fp32:
        break;
    }
    return "FP32";
}

// The inverse of precisionName. Anything else throws FormatError naming `what` and the value:
// "--precision 'fp64': expected fp32, tf32 or fp16".
Precision parsePrecision(const std::string& text, const std::string& what = "precision");

} // namespace netcanvas
