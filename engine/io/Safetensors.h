#pragma once
// The safetensors format (8-byte little-endian header length, JSON header, raw data), so
// that other tools (Python safetensors, PyTorch) can read NetCanvas weights. We write F32
// tensors and string metadata; we read F32 (and F64/F16/BF16, converted).
// Files are written atomically. Readers throw FormatError naming the file and the tensor.
#include "engine/core/Tensor.h"

#include <map>
#include <string>
#include <vector>

namespace netcanvas {

class Network;
struct Normalization;

struct TensorFile {
    std::map<std::string, Tensor> tensors;
    std::map<std::string, std::string> metadata;
};

void saveSafetensors(const std::string& path, const TensorFile& file);
TensorFile loadSafetensors(const std::string& path);

// Weights of a network (every parameter, incl. running statistics, keyed "node.param"),
// with metadata: "netcanvas.classes" (JSON array), "netcanvas.normalization" (JSON
// {mean, std}), "netcanvas.model" (the model JSON) when given.
struct WeightsMeta {
    std::vector<std::string> classNames;
    std::vector<float> mean, stddev;
    std::string modelJson;
    std::string dataset; // the root of the dataset trained on ("" when unknown: older files)
};
// A tensor holding NaN or an infinity is a FormatError naming the file and tensor (nothing is
// written).
void saveWeights(const std::string& path, Network& network, const WeightsMeta& meta = {});
// Loads into a network of the same graph; a missing tensor or one of another shape is a
// FormatError naming the tensor and both shapes, as are a tensor holding NaN or an infinity
// and a normalization std that is not positive (naming the metadata key). Returns the metadata.
WeightsMeta loadWeights(const std::string& path, Network& network);
// The metadata of a weights file already read (`path` names it in errors: FormatError on
// malformed metadata).
WeightsMeta weightsMetaOf(const std::string& path, const TensorFile& file);

} // namespace netcanvas
