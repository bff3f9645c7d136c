#pragma once
// PyTorch export (docs/onnx.md): a model as a readable Python file — an nn.Module whose
// submodules carry the node ids as names (sanitized to Python identifiers), a forward() that
// reads as the graph in execution order, and load_weights() reading NetCanvas' safetensors
// weights file with numpy alone (no safetensors package needed) into the module's state_dict.
// The file also states the input normalization and the class names, and, run as a script
// (`python3 model.py WEIGHTS`), loads the weights and prints the output of a zero input.
//
// Per layer kind, export is one entry of a table in PyTorchExport.cpp (kind → function); a kind
// without one makes export throw FormatError "layer X (kind K) has no PyTorch export".
#include "engine/session/ModelWeights.h"

#include <string>
#include <vector>

namespace netcanvas {

std::string exportPyTorchCode(const ModelWeights& model);
// Writes the file atomically.
void exportPyTorch(const ModelWeights& model, const std::string& path);

std::vector<std::string> pyTorchExportKinds();
// "layer X (kind K) has no PyTorch export" for every node of a kind without an entry, or empty.
std::string pyTorchExportGaps(const ModelGraph& graph);

} // namespace netcanvas
