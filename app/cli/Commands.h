#pragma once
// The netcanvas-cli commands. Each returns the process exit code; errors are thrown as
// netcanvas::Error and turned into one line by main().
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace netcanvas::cli {

struct InfoOptions {
    std::string model;
    bool json = false;
};

struct TrainOptions {
    std::string model;
    std::string data;
    std::string out;
    std::string initWeights; // --weights: continue from these weights of the same model (strict)
    std::string initFrom; // --init-from: start from these weights by name (another graph)
    std::string freeze; // --freeze a,b: node ids made not trainable
    std::string reinit; // --reinit a,b: with --init-from, nodes left freshly initialized (a new classifier)
    bool fitOutput = false; // --fit-output: the output Dense gets the dataset's classes, fresh
    std::optional<int> epochs;
    std::optional<int64_t> batch;
    std::optional<double> lr;
    std::optional<std::string> optimizer;
    std::optional<std::string> schedule;
    std::optional<uint64_t> seed;
    std::optional<double> validationFraction;
    std::optional<int> patience;
    std::optional<double> minDelta; // --min-delta: early stopping's smallest improvement
    std::optional<std::string> monitor; // --monitor val_loss | val_accuracy | train_loss | train_accuracy
    std::optional<std::string> keepWeights; // --keep-weights auto | best | last (checkpoint selection)
    int layerStats = 0; // --layer-stats N: per-layer stats every N steps into <out>/layer-stats.jsonl
    std::string resume; // --resume RUN_DIR: continue that run (its model, recipe and dataset)
    std::optional<double> clipNorm;
    bool flip = false;
    int shift = 0;
    float rotate = 0.0f;
    int threads = 0;
    std::string device = "auto"; // auto | cpu | cuda | cuda:N (Devices.h)
    std::string precision = "fp32"; // fp32 | tf32 | fp16 (--tf32 = tf32); fp16 turns on loss scaling
    std::string lossScaling = "auto"; // auto (on when the backend runs fp16) | on | off
    std::string resize = "stretch";
    // Data as sequences or numbers (docs/datasets.md): --task series | text | regression |
    // classification, --target, --columns, --window, --horizon, --tokens, --seq-len, --vocab.
    std::string task;
    std::string target;
    std::string columns; // comma-separated
    std::optional<int> window, horizon, sequenceLength, vocabulary;
    std::string tokens = "word";
    bool differences = false; // series: forecast changes from the window's last value
    std::optional<double> testFraction;
    std::optional<std::string> loss;
    bool json = false;
    bool quiet = false;
    // Data-parallel training over MPI (DistributedTrain.h, docs/distributed.md).
    bool distributed = false;
    std::string sync = "overlap"; // overlap | blocking | average
    int averageEvery = 8; // average: parameter averaging every k steps
    double bucketMegabytes = 1.0;
    double commTimeout = 60.0; // seconds a rank waits on its peers before ending the job
    std::string lrScaling = "linear"; // linear | none
    std::optional<int> warmupEpochs;
};

struct EvalOptions {
    std::string model; // optional: the weights carry their model; or a project (.ncproj): its weights
    std::string weights;
    std::string data;
    // auto: the test split of the dataset the weights were trained on, any other dataset whole;
    // or test | validation | train | all.
    std::string split = "auto";
    std::string csvOut;
    std::string jsonOut;
    std::string metricsOut; // .json or .csv: confusion, per-class metrics, accuracy, top-k
    int topK = 5;
    int threads = 0;
    std::string device = "auto";
    std::string precision = "fp32";
    bool json = false;
};

// eval's choice of samples: `asked` (--split) unless it is "auto", which takes the test split
// of the dataset the weights were trained on (`trainedOn`, from their metadata) and any other
// dataset whole. `reason` says which and why, for the output.
struct EvalSplitChoice {
    std::string split; // test | validation | train | all
    std::string reason;
};
EvalSplitChoice chooseEvalSplit(const std::string& asked, const std::string& trainedOn, const std::string& data);

struct PredictOptions {
    std::string model; // optional; or a project (.ncproj): its saved weights
    std::string weights;
    std::vector<std::string> images; // files, or folders searched recursively
    std::string out; // CSV of the predictions (written atomically at the end)
    int top = 3;
    int threads = 0;
    std::string device = "auto";
    std::string precision = "fp32";
    bool json = false;
};

// `runs PROJECT.ncproj`: the project's training runs; --export-weights copies its saved weights.
struct RunsOptions {
    std::string project;
    std::string exportWeights; // OUT.safetensors
    bool json = false;
};

int runInfo(const InfoOptions& o);
int runLayers(bool json);
int runTrain(const TrainOptions& o);
int runEval(const EvalOptions& o);
int runPredict(const PredictOptions& o);
int runRuns(const RunsOptions& o);

} // namespace netcanvas::cli
