#include "Interop.h"

#include "engine/core/Error.h"
#include "engine/interop/Interchange.h"
#include "engine/interop/OnnxExport.h"
#include "engine/interop/OnnxImport.h"
#include "engine/interop/PyTorchExport.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

namespace netcanvas::cli {

CLI::App* addExportCommand(CLI::App& app, ExportOptions& o)
{
    CLI::App* cmd = app.add_subcommand("export", "Export trained weights as ONNX and/or PyTorch code");
    cmd->add_option("source", o.source,
           "A run folder (train --out), a weights file (.safetensors), or a project (.ncproj): its saved weights")
        ->required()
        ->check(CLI::ExistingPath);
    cmd->add_option("--model", o.model, "Model JSON (default: the model stored in the weights)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--onnx", o.onnx, "Write an ONNX model (weights included) to this file");
    cmd->add_option("--pytorch", o.pytorch, "Write a PyTorch nn.Module (.py) that loads the weights file");
    cmd->add_option("--opset", o.opset, "ONNX opset version, 13 (default) to 17")->check(CLI::Range(13, 17));
    cmd->add_flag("--json", o.json, "Print one JSON line instead of text");
    return cmd;
}

CLI::App* addImportCommand(CLI::App& app, ImportOptions& o)
{
    CLI::App* cmd = app.add_subcommand("import", "Import an ONNX model as a model JSON and a weights file");
    cmd->add_option("onnx", o.onnx, "ONNX model file")->required()->check(CLI::ExistingFile);
    cmd->add_option("--out", o.out, "Model JSON to write")->required();
    cmd->add_option("--weights", o.weights, "Weights file to write (default: beside --out, .safetensors)");
    cmd->add_flag("--json", o.json, "Print one JSON line instead of text");
    return cmd;
}

int runExport(const ExportOptions& o)
{
    if (o.onnx.empty() && o.pytorch.empty())
        throw FormatError("export: give --onnx FILE and/or --pytorch FILE");
    const TrainedFiles files = resolveRunOrWeights(o.source, o.model);
    const std::shared_ptr<ModelWeights> model = loadModelWeights(files);
    nlohmann::json j { { "source", files.weights }, { "model", model->graph.name } };
    if (!o.onnx.empty()) {
        OnnxExportOptions options;
        options.opset = o.opset;
        exportOnnx(*model, o.onnx, options);
        j["onnx"] = o.onnx;
        if (!o.json)
            std::cout << "wrote " << o.onnx << " (ONNX opset " << o.opset << ", " << model->values.size()
                      << " weight tensors)\n";
    }
    if (!o.pytorch.empty()) {
        exportPyTorch(*model, o.pytorch);
        j["pytorch"] = o.pytorch;
        if (!o.json)
            std::cout << "wrote " << o.pytorch << " (run: python3 " << o.pytorch << " " << files.weights << ")\n";
    }
    if (o.json)
        std::cout << j.dump() << "\n";
    return 0;
}

int runImport(const ImportOptions& o)
{
    const std::string weights = o.weights.empty() ? weightsPathBeside(o.out) : o.weights;
    const std::shared_ptr<ModelWeights> model = importOnnx(o.onnx);
    saveModelWeights(*model, o.out, weights);
    const GraphAnalysis a = model->graph.analyze();
    if (o.json) {
        std::cout << nlohmann::json {
            { "onnx", o.onnx }, { "model", o.out }, { "weights", weights }, { "nodes", model->graph.nodes().size() },
            { "parameters", a.totalParams }, { "input", a.inputShape.toString() },
            { "output", a.outputShape.toString() }
        }.dump() << "\n";
        return 0;
    }
    std::cout << "imported " << o.onnx << ": " << model->graph.nodes().size() << " nodes, " << a.totalParams
              << " parameters, input " << a.inputShape.toString() << ", output " << a.outputShape.toString() << "\n"
              << "wrote " << o.out << " and " << weights << "\n";
    return 0;
}

} // namespace netcanvas::cli
