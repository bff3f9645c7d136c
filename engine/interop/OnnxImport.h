#pragma once
// ONNX import (docs/onnx.md): an ONNX model as a NetCanvas graph with its weights, ready to
// evaluate, fine-tune or edit — or one error that lists every node it cannot express.
//
// Requires: one float32 graph input [N, ...] (N: the batch, any size or symbolic; 1 to 3 more
// dimensions, all known) and one graph output; weights as initializers or Constant nodes.
// Ensures: the graph validates; node ids come from ONNX node names (PyTorch's "/conv1/Conv"
// gives "conv1"; sanitized to letters, digits, '_' and '-'; made unique); the layout is
// layered top to bottom; every parameter is in the result's values (keys "node.param", the
// weights file's); outputs equal the ONNX model's for the same input. Shape arithmetic (Shape, Gather, Unsqueeze,
// Squeeze, Concat, Slice, Cast, Constant on shapes) and Transpose of a constant matrix are folded at import, the batch
// staying symbolic; Pad by nothing is the identity; an NHWC graph's Transpose of the input
// makes the Input C×H×W (the model then takes NCHW) and its Transpose back before a flatten
// permutes the next Dense's weight columns.
// Errors: FormatError naming the file (and the tensor or node) for a file that is not ONNX,
// truncated, or whose tensors do not match their declared sizes (checked before anything is
// allocated); OnnxUnsupportedError listing every node that cannot be imported (op type, name
// and why), with nothing imported.
// Per ONNX op type, import is one entry of a table in OnnxImport.cpp (op type → function).
#include "engine/core/Error.h"
#include "engine/session/ModelWeights.h"

#include <map>
#include <string>
#include <vector>

namespace netcanvas {

// Nodes an import cannot express. nodes() lists them as "'name' (OpType): why".
class OnnxUnsupportedError : public FormatError {
public:
    OnnxUnsupportedError(const std::string& source, std::vector<std::string> nodes);
    const std::vector<std::string>& nodes() const { return m_nodes; }

private:
    std::vector<std::string> m_nodes;
};

struct OnnxImportOptions {
    // Graph inputs to take as constants (their full ONNX shape): conformance data gives
    // weights as inputs. The one remaining input is the model's.
    std::map<std::string, Tensor> constantInputs;
};

std::shared_ptr<ModelWeights> importOnnx(const std::string& path, const OnnxImportOptions& options = {});
// `source` names the bytes in messages (a file name).
std::shared_ptr<ModelWeights> importOnnxBytes(
    const std::string& bytes, const std::string& source, const OnnxImportOptions& options = {});

// A float TensorProto file (ONNX's test data: input_0.pb, output_0.pb) as a host tensor of its
// full shape. Throws FormatError naming the file when it is not one or its size is wrong.
Tensor loadOnnxTensor(const std::string& path);

// Op types with an import entry.
std::vector<std::string> onnxImportOps();

// Writes an imported (or any) model as the project's files: the model JSON and the weights
// (safetensors with the class names, normalization and the model embedded), both atomically.
void saveModelWeights(const ModelWeights& model, const std::string& modelPath, const std::string& weightsPath);

} // namespace netcanvas
