#pragma once
// netcanvas-cli export and import (docs/onnx.md): ONNX and PyTorch out, ONNX in.
#include <string>

namespace CLI {
class App;
}

namespace netcanvas::cli {

struct ExportOptions {
    std::string source; // run folder, weights file or project
    std::string model; // optional model JSON (default: the one the weights carry)
    std::string onnx; // OUT.onnx
    std::string pytorch; // OUT.py
    int opset = 13;
    bool json = false;
};

struct ImportOptions {
    std::string onnx;
    std::string out; // model JSON
    std::string weights; // default: beside the model JSON, .safetensors
    bool json = false;
};

// Adds the two subcommands to `app`; the returned pointers tell main() which one ran.
CLI::App* addExportCommand(CLI::App& app, ExportOptions& o);
CLI::App* addImportCommand(CLI::App& app, ImportOptions& o);

int runExport(const ExportOptions& o);
int runImport(const ImportOptions& o);

} // namespace netcanvas::cli
