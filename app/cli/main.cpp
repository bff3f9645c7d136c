// netcanvas-cli: the NetCanvas engine without a window — train, eval, predict, serve, featuremaps,
// rnn-gates, explain, info, layers, runs, bench, export, import.
#include "Bench.h"
#include "Commands.h"
#include "Devices.h"
#include "Experiment.h"
#include "Inspect.h"
#include "Interop.h"
#include "LiveControl.h"
#include "Serve.h"

#include "engine/backend/DeviceManager.h"
#include "engine/core/Error.h"
#include "engine/core/Limits.h"
#include "engine/train/LossScaler.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

int main(int argc, char** argv)
{
    using namespace netcanvas::cli;
    const char* kDeviceHelp = "auto | cpu | cuda | cuda:N (default auto: the first usable GPU, else the CPU)";
    // --precision and its older spelling --tf32 (= --precision tf32; the two exclude each other).
    auto addPrecision = [](CLI::App* cmd, std::string& precision) {
        CLI::Option* option = cmd->add_option("--precision", precision,
            "GPU math of GEMMs and convolutions: fp32 (default, exact) | tf32 (TF32 tensor cores, compute "
            "capability 8.0+) | fp16 (FP16 tensor cores with FP32 accumulation and loss scaling, 7.0+); "
            "the CPU always computes in fp32");
        cmd->add_flag_callback(
               "--tf32", [&precision] { precision = "tf32"; }, "Same as --precision tf32")
            ->excludes(option);
    };
    // --threads: one range for every command (limits::kMaxThreads), checked before any work.
    auto addThreads = [](CLI::App* cmd, int& threads) {
        cmd->add_option("--threads", threads,
               "CPU threads (0 = all cores, at most " + std::to_string(netcanvas::limits::kMaxThreads) + ")")
            ->check(CLI::Range(0, netcanvas::limits::kMaxThreads));
    };
    CLI::App app { "NetCanvas command line: design, train and evaluate neural networks without a window.",
        "netcanvas-cli" };
    app.require_subcommand(1);
    app.set_version_flag("--version", "netcanvas-cli 0.1.0");

    InfoOptions info;
    auto* infoCmd = app.add_subcommand("info", "Show a model's layers, tensor shapes, parameters and FLOPs");
    infoCmd->add_option("model", info.model, "Model JSON file")->required()->check(CLI::ExistingFile);
    infoCmd->add_flag("--json", info.json, "Print JSON instead of a table");

    bool layersJson = false;
    auto* layersCmd = app.add_subcommand("layers", "List the layer kinds with their parameters");
    layersCmd->add_flag("--json", layersJson, "Print the registry as JSON");

    TrainOptions train;
    auto* trainCmd = app.add_subcommand("train", "Train a model on a dataset, then evaluate it on the test split");
    trainCmd->add_option("model", train.model, "Model JSON file (its \"training\" recipe gives the defaults)")
        ->check(CLI::ExistingFile);
    trainCmd->add_option("--data", train.data, "Dataset: IDX folder, folder of class folders, or CSV file");
    trainCmd->add_option("--resume", train.resume,
        "Continue the run of this run folder from its last checkpoint (after a stop or a crash; with --epochs N "
        "a finished run is extended); its model, recipe and dataset are the run's");
    trainCmd->add_option("--out", train.out, "Run folder for weights, checkpoints and metrics (default runs/<model>)");
    trainCmd->add_option("--epochs", train.epochs, "Epochs")->check(CLI::Range(1, 100000));
    trainCmd->add_option("--batch", train.batch, "Batch size")->check(CLI::Range(1, 65536));
    trainCmd->add_option("--lr", train.lr, "Learning rate")->check(CLI::PositiveNumber);
    trainCmd->add_option("--optimizer", train.optimizer, "sgd | adam | adamw | rmsprop")
        ->check(CLI::IsMember({ "sgd", "adam", "adamw", "rmsprop" }));
    trainCmd->add_option("--schedule", train.schedule, "constant | step | cosine")
        ->check(CLI::IsMember({ "constant", "step", "cosine" }));
    trainCmd->add_option("--seed", train.seed, "Random seed (same seed, same run)");
    trainCmd
        ->add_option(
            "--val-fraction", train.validationFraction, "Fraction of the training data held out for validation")
        ->check(CLI::Range(0.0, 0.9));
    trainCmd
        ->add_option("--patience", train.patience, "Early stopping: epochs without validation improvement (0 = off)")
        ->check(CLI::Range(0, 100000));
    trainCmd
        ->add_option("--min-delta", train.minDelta, "Early stopping: the smallest change that counts as an improvement")
        ->check(CLI::NonNegativeNumber);
    trainCmd->add_option("--monitor", train.monitor, "The metric early stopping and --keep-weights best watch")
        ->check(CLI::IsMember({ "val_loss", "val_accuracy", "train_loss", "train_accuracy" }));
    trainCmd
        ->add_option("--keep-weights", train.keepWeights,
            "The run's result: best (the best epoch of --monitor) | last | auto (best with early stopping)")
        ->check(CLI::IsMember({ "auto", "best", "last" }));
    trainCmd
        ->add_option("--layer-stats", train.layerStats,
            "Every N steps, per-layer update:parameter ratio and gradient norm into <out>/layer-stats.jsonl (0 = off)")
        ->check(CLI::Range(0, 1000000));
    trainCmd
        ->add_option("--clip-norm", train.clipNorm,
            "Clip gradients to this global L2 norm before each update (0 = off; recurrent networks: 1 to 5)")
        ->check(CLI::Range(0.0, 1e6));
    trainCmd->add_flag("--flip", train.flip, "Augment: random horizontal flips");
    trainCmd->add_option("--shift", train.shift, "Augment: random shifts up to N pixels")->check(CLI::Range(0, 64));
    trainCmd->add_option("--rotate", train.rotate, "Augment: random rotations up to N degrees")
        ->check(CLI::Range(0.0f, 180.0f));
    trainCmd->add_option("--resize", train.resize, "How images are fitted to the input: stretch | pad | crop")
        ->check(CLI::IsMember({ "stretch", "pad", "crop" }));
    trainCmd
        ->add_option("--weights", train.initWeights,
            "Continue from these weights of the same model (every tensor must fit: resuming a run)")
        ->check(CLI::ExistingFile);
    trainCmd
        ->add_option("--init-from", train.initFrom,
            "Fine-tune: start from these weights by name (tensors whose node id and shape match are loaded, the "
            "rest initialized; the report lists each)")
        ->check(CLI::ExistingFile);
    trainCmd->add_option(
        "--freeze", train.freeze, "Freeze these nodes (comma-separated ids): no updates while training");
    trainCmd->add_option("--reinit", train.reinit,
        "With --init-from: leave these nodes (comma-separated ids) freshly initialized even where the weights "
        "have their tensors, e.g. the whole classifier of a pretrained network");
    trainCmd->add_flag("--fit-output", train.fitOutput,
        "Give the model a new output layer for the dataset's classes (freshly initialized)");
    addThreads(trainCmd, train.threads);
    trainCmd->add_option("--device", train.device, kDeviceHelp);
    addPrecision(trainCmd, train.precision);
    trainCmd->add_option("--loss-scaling", train.lossScaling,
        "Dynamic loss scaling: auto (default: on when the GPU computes in fp16) | on | off");
    trainCmd->add_flag("--distributed", train.distributed,
        "Data-parallel training over MPI: start with mpirun -np N (docs/distributed.md); --batch is per rank");
    trainCmd->add_option("--sync", train.sync, "--distributed: overlap | blocking (gradient all-reduce) | average")
        ->check(CLI::IsMember({ "overlap", "blocking", "average" }));
    trainCmd->add_option("--average-every", train.averageEvery, "--sync average: steps between parameter averagings")
        ->check(CLI::Range(1, 1000000));
    trainCmd->add_option("--bucket-mb", train.bucketMegabytes, "--distributed: all-reduce bucket size in MB")
        ->check(CLI::Range(0.001, 1024.0));
    trainCmd->add_option("--comm-timeout", train.commTimeout,
        "--distributed: seconds to wait on a peer rank before ending the job with its name");
    trainCmd->add_option("--lr-scaling", train.lrScaling, "--distributed: linear (lr x ranks, with warm-up) | none")
        ->check(CLI::IsMember({ "linear", "none" }));
    trainCmd->add_option("--warmup-epochs", train.warmupEpochs, "Linear learning-rate warm-up over this many epochs")
        ->check(CLI::Range(0, 100000));
    trainCmd
        ->add_option("--task", train.task,
            "What the data is: classification (default for images and CSV), regression (a numeric CSV with a "
            "real-valued --target), series (time-series CSV: windows, forecasts), text (label<TAB>text lines or a "
            "folder per class)")
        ->check(CLI::IsMember({ "classification", "regression", "series", "text" }));
    trainCmd->add_option("--target", train.target,
        "CSV target column by name or 1-based index (regression, series; the label column of a classification CSV)");
    trainCmd->add_option("--columns", train.columns, "series: value columns, comma-separated names or indices");
    trainCmd->add_option("--window", train.window, "series: input steps per sample (default: the Input's height)")
        ->check(CLI::Range(1, 100000));
    trainCmd
        ->add_option("--horizon", train.horizon, "series: values forecast per sample (default: the model's outputs)")
        ->check(CLI::Range(1, 10000));
    trainCmd->add_flag("--differences", train.differences,
        "series: the model sees row-to-row changes and forecasts the change from the window's last value (for a "
        "trending series)");
    trainCmd->add_option("--tokens", train.tokens, "text: char | word")->check(CLI::IsMember({ "char", "word" }));
    trainCmd->add_option("--seq-len", train.sequenceLength, "text: tokens per sample (default: the Input's width)")
        ->check(CLI::Range(1, 100000));
    trainCmd->add_option("--vocab", train.vocabulary, "text: largest vocabulary (default: the Embedding's vocab)")
        ->check(CLI::Range(3, 1 << 24));
    trainCmd->add_option("--test-fraction", train.testFraction, "Fraction held out for the test split")
        ->check(CLI::Range(0.0, 0.9));
    trainCmd->add_option("--loss", train.loss, "cross_entropy | mse | mae | huber (default: the recipe's)")
        ->check(CLI::IsMember({ "cross_entropy", "mse", "mae", "huber" }));
    trainCmd->add_flag("--json", train.json, "End with one JSON line of final metrics on stdout");
    trainCmd->add_flag("--quiet,-q", train.quiet, "No progress output");

    EvalOptions eval;
    auto* evalCmd
        = app.add_subcommand("eval", "Evaluate trained weights: accuracy, loss, confusion matrix, per-class metrics");
    evalCmd->add_option("model", eval.model,
        "Model JSON (default: the model stored in the weights file), or a project (.ncproj): its saved weights");
    evalCmd
        ->add_option("--weights", eval.weights, "Weights (.safetensors) written by train (unless a project is given)")
        ->check(CLI::ExistingFile);
    evalCmd->add_option("--data", eval.data, "Dataset to evaluate on")->required();
    evalCmd
        ->add_option("--split", eval.split,
            "auto (default: the test split of the training dataset, another dataset whole) | test | validation | "
            "train | all")
        ->check(CLI::IsMember({ "auto", "test", "validation", "train", "all" }));
    evalCmd->add_option("--csv", eval.csvOut, "Write the confusion matrix as CSV");
    evalCmd->add_option("--metrics-json", eval.jsonOut, "Write all metrics as JSON");
    addThreads(evalCmd, eval.threads);
    evalCmd->add_option("--device", eval.device, kDeviceHelp);
    addPrecision(evalCmd, eval.precision);
    evalCmd->add_flag("--json", eval.json, "End with one JSON line of metrics on stdout");
    evalCmd->add_option("--metrics-out", eval.metricsOut,
        "Write confusion matrix, per-class metrics, accuracy and top-k accuracy (.json or .csv)");
    evalCmd->add_option("--top-k", eval.topK, "k of the top-k accuracy")->check(CLI::Range(1, 1000));

    FeatureMapsOptions maps;
    auto* mapsCmd
        = app.add_subcommand("featuremaps", "Write a layer's feature maps for an image as a PNG grid (and the input)");
    mapsCmd->add_option("model", maps.model,
        "Model JSON (default: the model stored in the weights file), or a project (.ncproj): its saved weights");
    mapsCmd
        ->add_option("--weights", maps.weights, "Weights (.safetensors) written by train (unless a project is given)")
        ->check(CLI::ExistingFile);
    mapsCmd->add_option("--layer", maps.layer, "Node id whose output to show (e.g. conv1)")->required();
    mapsCmd->add_option("--image", maps.image, "Image file")->required()->check(CLI::ExistingFile);
    mapsCmd->add_option("--out", maps.out, "Output folder (created)")->required();
    mapsCmd->add_option("--scale", maps.scale, "channel: each channel over its own range | shared: one range")
        ->check(CLI::IsMember({ "channel", "shared" }));
    addThreads(mapsCmd, maps.threads);

    RnnGatesOptions gates;
    CLI::App* gatesCmd = app.add_subcommand("rnn-gates",
        "For one sequence: a recurrent layer's hidden state and gates over time (PNG heat maps, CSV) and the "
        "gradient norm reaching each step");
    gatesCmd->add_option("model", gates.model,
        "Model JSON (default: the model stored in the weights file), or a project (.ncproj): its saved weights");
    gatesCmd
        ->add_option("--weights", gates.weights, "Weights (.safetensors) written by train (unless a project is given)")
        ->check(CLI::ExistingFile);
    gatesCmd
        ->add_option("--sample", gates.sample,
            "CSV of the sequence: one time step per line, its features comma separated (token ids for an Embedding)")
        ->required()
        ->check(CLI::ExistingFile);
    gatesCmd->add_option("--layer", gates.layer, "Recurrent node id (default: the first SimpleRNN/LSTM/GRU)");
    gatesCmd->add_option("--class", gates.cls, "Class whose score is back-propagated (default: the predicted one)");
    gatesCmd->add_option("--direction", gates.direction, "1: the backward direction of a bidirectional layer")
        ->check(CLI::Range(0, 1));
    gatesCmd->add_option("--out", gates.out, "Output folder (created)")->required();
    gatesCmd->add_option("--threads", gates.threads, "CPU threads (0 = all cores)");

    ExplainOptions explain;
    auto* explainCmd = app.add_subcommand(
        "explain", "Classify an image and write a Grad-CAM overlay of what the decision looked at");
    explainCmd->add_option("image", explain.image, "Image file")->required()->check(CLI::ExistingFile);
    explainCmd
        ->add_option(
            "--weights", explain.weights, "Weights (.safetensors) written by train (unless a project is given)")
        ->check(CLI::ExistingFile);
    explainCmd->add_option("--model", explain.model,
        "Model JSON (default: the model stored in the weights file), or a project (.ncproj): its saved weights");
    explainCmd->add_option("--class", explain.cls, "Class to explain, by index or name (default: the most probable)");
    explainCmd->add_option("--layer", explain.layer, "Node with channel maps (default: the last convolution)");
    explainCmd->add_option("--out", explain.out, "Output PNG of the Grad-CAM overlay")->required();
    explainCmd->add_option("--saliency", explain.saliencyOut, "Also write the gradient saliency overlay to this PNG");
    explainCmd->add_option("--top,-k", explain.top, "How many classes to print")->check(CLI::Range(1, 1000));
    addThreads(explainCmd, explain.threads);

    PredictOptions predict;
    auto* predictCmd = app.add_subcommand("predict", "Classify images: top-k classes with probabilities");
    predictCmd->add_option("images", predict.images, "Image files, or folders (every image in them, recursively)")
        ->required()
        ->check(CLI::ExistingPath);
    predictCmd
        ->add_option(
            "--weights", predict.weights, "Weights (.safetensors) written by train (unless a project is given)")
        ->check(CLI::ExistingFile);
    predictCmd->add_option("--model", predict.model,
        "Model JSON (default: the model stored in the weights file), or a project (.ncproj): its saved weights");
    predictCmd->add_option("--top,-k", predict.top, "How many classes to show")->check(CLI::Range(1, 1000));
    addThreads(predictCmd, predict.threads);
    predictCmd->add_option("--device", predict.device, kDeviceHelp);
    addPrecision(predictCmd, predict.precision);
    predictCmd->add_flag("--json", predict.json, "One JSON line per image");
    predictCmd->add_option("--out", predict.out,
        "Write the predictions to this CSV (path,class,confidence,top-k columns) instead of stdout");

    ServeCliOptions serveOpts;
    netcanvas::serve::ServeOptions& so = serveOpts.serve;
    auto* serveCmd = app.add_subcommand("serve",
        "Serve a trained model over HTTP: POST /v1/predict, GET /v1/model, /healthz, /readyz, /metrics, POST "
        "/v1/reload (docs/serving.md)");
    serveCmd
        ->add_option("model", serveOpts.model,
            "Run folder (weights.safetensors, model.json), project (.ncproj) or weights file (.safetensors)")
        ->required()
        ->check(CLI::ExistingPath);
    serveCmd->add_option("--model-json", serveOpts.modelJson, "Model JSON (default: the model the weights carry)")
        ->check(CLI::ExistingFile);
    serveCmd->add_option("--host", so.host,
        "Address to listen on (default 127.0.0.1; another than loopback needs --token-file or "
        "--allow-unauthenticated)");
    serveCmd->add_option("--port", so.port, "TCP port (default 8080; 0: any free port)")->check(CLI::Range(0, 65535));
    serveCmd->add_option("--threads", serveOpts.threads, "CPU threads of inference (0 = all cores)")
        ->check(CLI::Range(0, 1024));
    serveCmd->add_option("--max-batch", so.maxBatch, "Most images run as one batch (default 64)")
        ->check(CLI::Range(1, 4096));
    serveCmd
        ->add_option("--max-delay-ms", so.maxDelayMs,
            "Longest a request waits for others to join its batch while more are arriving (default 2)")
        ->check(CLI::Range(0, 10000));
    serveCmd->add_option("--top-k", so.topK, "Classes returned per image unless the request asks (default 5)")
        ->check(CLI::Range(1, 100000));
    serveCmd
        ->add_option("--token-file", serveOpts.tokenFile,
            "File whose first line is the bearer token every endpoint but /healthz and /readyz requires")
        ->check(CLI::ExistingFile);
    serveCmd->add_flag("--allow-unauthenticated", so.allowUnauthenticatedRemote,
        "Listen on a non-loopback address without a token (another layer guards the port)");
    serveCmd->add_option("--max-body-mb", serveOpts.maxBodyMb, "Largest request body in MiB (default 16) → 413");
    serveCmd
        ->add_option("--max-image-side", so.limits.maxImageSide, "Largest image width or height (default 8192) → 413")
        ->check(CLI::Range(int64_t(1), int64_t(1) << 20));
    serveCmd
        ->add_option("--max-image-pixels", so.limits.maxImagePixels,
            "Largest image width x height, read from its header before decoding (default 16777216) → 413")
        ->check(CLI::Range(int64_t(1), int64_t(1) << 32));
    serveCmd->add_option("--max-images", so.limits.maxImagesPerRequest, "Most images in one request (default 64) → 413")
        ->check(CLI::Range(int64_t(1), int64_t(1) << 20));
    serveCmd
        ->add_option("--max-connections", so.limits.maxConnections,
            "Connections served at once (default 128); more are answered 503")
        ->check(CLI::Range(1, 100000));
    serveCmd->add_option("--max-queue", so.limits.maxQueue, "Images waiting for the batcher (default 1024); more → 429")
        ->check(CLI::Range(int64_t(1), int64_t(1) << 30));

    RunsOptions runs;
    netcanvas::cli::ControlOptions control;
    std::string controlAugment;
    auto* controlCmd = app.add_subcommand(
        "control", "Change a running `train` of a run folder: learning rate, epochs, augmentation (next step)");
    controlCmd->add_option("run", control.runDir, "The run folder of the training in progress (its --out)")
        ->required()
        ->check(CLI::ExistingDirectory);
    controlCmd->add_option("--lr", control.lr, "New learning rate (the schedule's base)")->check(CLI::PositiveNumber);
    controlCmd->add_option("--epochs", control.epochs, "New number of epochs (at least the one in progress)")
        ->check(CLI::Range(1, 100000));
    controlCmd->add_option("--augment", controlAugment, "Switch augmentation off or back on")
        ->check(CLI::IsMember({ "off", "on" }));

    auto* runsCmd = app.add_subcommand("runs", "List a project's training runs; export its saved weights");
    runsCmd->add_option("project", runs.project, "Project file (.ncproj)")->required()->check(CLI::ExistingFile);
    runsCmd->add_option("--export-weights", runs.exportWeights,
        "Copy the project's saved weights (with their class names, normalization and model) to this file");
    runsCmd->add_flag("--json", runs.json, "Print JSON instead of a table");

    BenchOptions bench;
    auto* benchCmd = app.add_subcommand(
        "bench", "Measure training and inference speed and peak memory on synthetic data (docs/benchmarks.md)");
    benchCmd->add_option("model", bench.model, "Model JSON file")->required()->check(CLI::ExistingFile);
    benchCmd->add_option("--batch", bench.batch, "Training batch size")->check(CLI::Range(1, 65536));
    addThreads(benchCmd, bench.threads);
    benchCmd->add_option("--device", bench.device, kDeviceHelp);
    addPrecision(benchCmd, bench.precision);
    benchCmd->add_option("--steps", bench.steps, "Timed training steps (and batch-256 inference passes)")
        ->check(CLI::Range(1, 1000000));
    benchCmd->add_option("--warmup", bench.warmup, "Untimed steps before each measurement")
        ->check(CLI::Range(0, 1000000));
    benchCmd->add_option("--infer-batch", bench.inferBatch, "Batch size of the inference-throughput measurement")
        ->check(CLI::Range(1, 65536));
    benchCmd->add_option("--latency-steps", bench.latencySteps, "Timed batch-1 inference passes")
        ->check(CLI::Range(1, 1000000));
    benchCmd->add_option("--seed", bench.seed, "Seed of the weights and the synthetic data");
    benchCmd->add_flag("--json", bench.json, "Print one JSON object instead of a table");

    ExportOptions exportOptions;
    CLI::App* exportCmd = addExportCommand(app, exportOptions);
    ImportOptions importOptions;
    CLI::App* importCmd = addImportCommand(app, importOptions);
    ExperimentCliOptions experimentOptions;
    CLI::App* experimentCmd = addExperimentCommand(app, experimentOptions);

    bool devicesJson = false;
    int devicesThreads = 0;
    auto* devicesCmd
        = app.add_subcommand("devices", "List the devices to train on (CPU, GPUs) and why CUDA is unavailable");
    devicesCmd->add_flag("--json", devicesJson, "Print JSON instead of a list");
    addThreads(devicesCmd, devicesThreads);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }

    try {
        // A malformed --device or --precision fails before any data is read.
        for (const std::string* device : { &train.device, &eval.device, &predict.device, &bench.device })
            netcanvas::parseDeviceSpec(*device);
        for (const std::string* precision : { &train.precision, &eval.precision, &predict.precision, &bench.precision })
            precisionOption(*precision);
        netcanvas::parseLossScaling(train.lossScaling, "--loss-scaling");
        if (*infoCmd)
            return runInfo(info);
        if (*layersCmd)
            return runLayers(layersJson);
        if (*trainCmd)
            return runTrain(train);
        if (*controlCmd) {
            control.augmentOff = controlAugment == "off";
            control.augmentOn = controlAugment == "on";
            return netcanvas::cli::runControl(control);
        }
        if (*evalCmd)
            return runEval(eval);
        if (*predictCmd)
            return runPredict(predict);
        if (*mapsCmd)
            return runFeatureMaps(maps);
        if (*gatesCmd)
            return runRnnGates(gates);
        if (*explainCmd)
            return runExplain(explain);
        if (*runsCmd)
            return runRuns(runs);
        if (*serveCmd)
            return runServe(serveOpts);
        if (*benchCmd)
            return runBench(bench);
        if (*exportCmd)
            return runExport(exportOptions);
        if (*importCmd)
            return runImport(importOptions);
        if (*devicesCmd)
            return runDevices(devicesJson, devicesThreads);
        if (*experimentCmd)
            return runExperiment(experimentOptions);
    } catch (const netcanvas::Error& e) {
        std::fprintf(stderr, "\nnetcanvas-cli: error: %s\n", e.what());
        return 1;
    } catch (const std::bad_alloc&) {
        const auto commands = app.get_subcommands();
        std::fprintf(stderr, "\nnetcanvas-cli: error: out of memory while running %s\n",
            commands.empty() ? "the command" : commands.front()->get_name().c_str());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "\nnetcanvas-cli: internal error: %s\n", e.what());
        return 3;
    }
    return 0;
}
