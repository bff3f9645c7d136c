#pragma once
// ONNX export (docs/onnx.md): a trained model as an ONNX ModelProto written through the C++
// classes protoc generates from ONNX's schema.
//
// What the file holds:
// - opset 13 (default domain; 13 to 17 on request), IR version 7; producer "NetCanvas" and its version;
// - one graph input named after the Input node, float32 [N, C, H, W] with N a symbolic batch
//   dimension ("N"); one graph output named after the output node, [N, ...];
// - the input normalization is NOT folded in: the input is the normalized tensor the network
//   sees, and metadata_props state how to make it ("netcanvas.normalization":
//   {"mean": [...], "std": [...]} over pixel/255, per channel), with "netcanvas.classes"
//   (JSON array), "netcanvas.output" ("probabilities" when the graph ends in Softmax, else
//   "logits") and "netcanvas.model" (the model JSON);
// - every parameter as a float32 initializer named "node.param" (the weights file's keys);
// - ONNX node names are node ids ("conv1"; helpers a kind adds are "conv1/flatten"), and each
//   node's output value is named after its node id, so the ONNX graph reads as the canvas.
//
// Per layer kind, export is one entry of a table in OnnxExport.cpp (kind → function);
// docs/architecture.md "Adding a layer kind" says how to add one. A kind without an entry
// makes export throw FormatError "layer X (kind K) has no ONNX export".
#include "engine/session/ModelWeights.h"

#include <string>
#include <vector>

namespace netcanvas {

struct OnnxExportOptions {
    int opset = 13; // 13 to 17 (the nodes written are valid in each); other values throw FormatError
};

// The serialized ModelProto. Throws FormatError (a kind without an export, a parameter
// missing from the weights) naming the node; GraphError/ShapeError when the graph is invalid.
std::string exportOnnxBytes(const ModelWeights& model, const OnnxExportOptions& options = {});
// Writes the file atomically (engine/io/AtomicFile). Throws as exportOnnxBytes, IoError.
void exportOnnx(const ModelWeights& model, const std::string& path, const OnnxExportOptions& options = {});

// "layer X (kind K) has no ONNX export" for every node of a kind without an entry ("; "
// between them), or empty: what export throws before writing anything.
std::string onnxExportGaps(const ModelGraph& graph);

// Layer kinds with an ONNX export entry, and whether `kind` has one.
std::vector<std::string> onnxExportKinds();
bool hasOnnxExport(const std::string& kind);

} // namespace netcanvas
