#include "Bench.h"
#include "Devices.h"

#include "engine/backend/Backend.h"
#include "engine/core/Error.h"
#include "engine/core/Rng.h"
#include "engine/graph/ModelJson.h"
#include "engine/train/Loss.h"
#include "engine/train/LossScaler.h"
#include "engine/train/Network.h"
#include "engine/train/Optimizer.h"
#include "engine/train/TrainConfig.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace netcanvas::cli {

namespace {

// The optimizer every benchmark uses, whatever the model's recipe: the same on the PyTorch side.
constexpr double kLearningRate = 0.01;
constexpr double kMomentum = 0.9;
// A training step is counted as 3× the forward FLOPs (forward, plus backward to the inputs
// and to the weights, each about one forward) — the usual convention; PyTorch side alike.
constexpr double kTrainFlopsFactor = 3.0;

double now()
{
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// Linear interpolation between closest ranks (numpy's default), q in [0, 1].
double percentile(std::vector<double> v, double q)
{
    if (v.empty())
        return std::nan("");
    std::sort(v.begin(), v.end());
    const double pos = q * static_cast<double>(v.size() - 1);
    const size_t lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

// Runs fn `warmup` times untimed, then `steps` times; returns each timed run's seconds.
std::vector<double> timeRuns(int warmup, int steps, const std::function<void()>& fn)
{
    for (int i = 0; i < warmup; ++i)
        fn();
    std::vector<double> t;
    t.reserve(static_cast<size_t>(steps));
    for (int i = 0; i < steps; ++i) {
        const double t0 = now();
        fn();
        t.push_back(now() - t0);
    }
    return t;
}

// A field of /proc/self/status in MB ("VmHWM": peak resident set, "VmRSS": current); -1 if absent.
double procStatusMb(const std::string& field)
{
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(field + ":", 0) == 0) {
            const double kb = std::strtod(line.c_str() + field.size() + 1, nullptr);
            return kb / 1024.0;
        }
    }
    return -1.0;
}

double peakRssMb()
{
    const double hwm = procStatusMb("VmHWM");
    if (hwm >= 0.0)
        return hwm;
    rusage u {};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_maxrss) / 1024.0; // kilobytes on Linux
}

// A batch of n samples of the model's input shape, values ~ N(0, 1).
Tensor randomInput(const Shape& sample, int64_t n, Rng& rng)
{
    Tensor t(sample.batched(n));
    for (int64_t i = 0; i < t.size(); ++i)
        t[i] = rng.normal();
    return t;
}

std::string fmt(const char* f, double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

} // namespace

int runBench(const BenchOptions& o)
{
    if (o.batch < 1 || o.inferBatch < 1 || o.steps < 1 || o.warmup < 0 || o.latencySteps < 1)
        throw FormatError("bench: batch sizes and step counts must be positive");
    const ModelGraph graph = loadModelFile(o.model);
    const GraphAnalysis a = graph.validate();
    const double baselineMb = procStatusMb("VmRSS");

    auto backend = backendForDevice(o.device, o.threads, precisionOption(o.precision));
    Network net(graph, *backend, o.seed);
    // Loss as training chooses it: the recipe's kind, on probabilities when the model outputs them.
    const TrainConfig recipe = trainConfigFromJson(graph.training);
    const bool outputIsProbabilities = netcanvas::outputIsProbabilities(graph, a);
    OptimizerConfig oc;
    oc.kind = "sgd";
    oc.learningRate = kLearningRate;
    oc.momentum = kMomentum;
    auto optimizer = Optimizer::create(oc, *backend);
    const std::vector<NamedParameter> trainable = net.trainableParameters();

    const int64_t classes = a.outputShape.numel();
    Rng rng(o.seed + 1000);
    const Tensor trainInput = randomInput(a.inputShape, o.batch, rng);
    std::vector<int32_t> labels(static_cast<size_t>(o.batch));
    for (auto& y : labels)
        y = static_cast<int32_t>(rng.below(static_cast<uint64_t>(classes)));
    const Tensor inferInput = randomInput(a.inputShape, o.inferBatch, rng);
    const Tensor oneInput = randomInput(a.inputShape, 1, rng);

    // One training step, as a training session's fit does it minus its bookkeeping (snapshots,
    // divergence checks, accuracy): forward, loss, backward, optimizer update — with FP16 math
    // also its loss scaling (scaled loss gradient, one overflow check, unscaled gradients).
    Tensor grad(backend->allocator());
    DeviceLabels deviceLabels(*backend);
    float lastLoss = 0.0f;
    std::unique_ptr<LossScaler> scaler;
    if (backend->mathPrecision() == Precision::Fp16)
        scaler = std::make_unique<LossScaler>();
    std::vector<FloatSpan> grads;
    for (const NamedParameter& p : trainable)
        if (!p.param->grad.empty())
            grads.push_back({ p.param->grad.data(), p.param->grad.size() });
    int64_t skipped = 0;
    auto trainStep = [&] {
        const Tensor& out = net.forward(trainInput, true);
        lastLoss = computeLoss(*backend, recipe.loss, out, deviceLabels.upload(labels), grad, outputIsProbabilities);
        if (scaler) {
            const float s = scaler->scale();
            backend->scale(s, grad.data(), grad.size());
            net.backward(grad);
            const LossScaler::Verdict verdict = scaler->update(backend->allFinite(grads));
            if (verdict == LossScaler::Verdict::Stop)
                throw DivergedError("bench: " + scaler->stopReason());
            if (verdict == LossScaler::Verdict::Skip) {
                ++skipped;
            } else {
                for (const NamedParameter& p : trainable)
                    if (!p.param->grad.empty())
                        backend->scale(1.0f / s, p.param->grad.data(), p.param->grad.size());
                optimizer->step(trainable, kLearningRate);
            }
        } else {
            net.backward(grad);
            optimizer->step(trainable, kLearningRate);
        }
        backend->synchronize(); // a device backend queues work: time it to the end (no-op on the CPU)
    };
    auto inferStep = [&] {
        net.forward(inferInput, false);
        backend->synchronize();
    };
    auto latencyStep = [&] {
        net.forward(oneInput, false);
        backend->synchronize();
    };

    const std::vector<double> train = timeRuns(o.warmup, o.steps, trainStep);
    if (!std::isfinite(lastLoss))
        throw DivergedError("bench: the training loss became non-finite on synthetic data");
    const std::vector<double> infer = timeRuns(o.warmup, o.steps, inferStep);
    const std::vector<double> latency = timeRuns(std::max(o.warmup, 10), o.latencySteps, latencyStep);
    const double peakMb = peakRssMb();

    const double flops = static_cast<double>(a.totalFlops);
    const double trainMedian = percentile(train, 0.5);
    const double trainRate = static_cast<double>(o.batch) / trainMedian;
    const double inferMedian = percentile(infer, 0.5);
    const double inferRate = static_cast<double>(o.inferBatch) / inferMedian;

    nlohmann::ordered_json j; // keys in the order of bench/compare_pytorch.py
    j["framework"] = "netcanvas";
    j["backend"] = backend->name();
    j["precision"] = precisionName(backend->mathPrecision());
    j["model"] = graph.name;
    j["threads"] = backend->threads();
    j["batch"] = o.batch;
    j["steps"] = o.steps;
    j["warmup"] = o.warmup;
    j["optimizer"] = "sgd momentum 0.9 lr 0.01";
    j["params"] = a.totalParams;
    j["flops_per_sample"] = a.totalFlops;
    j["flop_convention"] = "forward FLOPs from the layer registry; a training step counts 3x forward";
    j["train_samples_per_s"] = trainRate;
    j["train_step_ms_p10"] = 1e3 * percentile(train, 0.1);
    j["train_step_ms_median"] = 1e3 * trainMedian;
    j["train_step_ms_p90"] = 1e3 * percentile(train, 0.9);
    j["train_gflops"] = kTrainFlopsFactor * flops * trainRate / 1e9;
    j["infer_batch"] = o.inferBatch;
    j["infer_samples_per_s"] = inferRate;
    j["infer_ms_median"] = 1e3 * inferMedian;
    j["infer_gflops"] = flops * inferRate / 1e9;
    j["latency_ms_median"] = 1e3 * percentile(latency, 0.5);
    j["latency_ms_p90"] = 1e3 * percentile(latency, 0.9);
    j["peak_rss_mb"] = peakMb;
    j["baseline_rss_mb"] = baselineMb;
    j["final_loss"] = lastLoss;
    if (scaler) {
        j["loss_scale"] = scaler->scale();
        j["skipped_steps"] = skipped;
    }

    if (o.json) {
        std::cout << j.dump() << "\n";
        return 0;
    }
    std::cout << "bench " << (graph.name.empty() ? o.model : graph.name) << ": " << backend->name() << ", "
              << backend->threads() << " threads, " << precisionLabel(backend->mathPrecision())
              << (scaler ? " with loss scaling" : "") << ", synthetic data, SGD (momentum 0.9, lr 0.01)\n"
              << "  " << a.totalParams << " parameters, " << fmt("%.2f", flops / 1e6)
              << " MFLOP forward per sample (a training step counts 3x forward)\n\n";
    std::cout << "  training   batch " << o.batch << ", " << o.steps << " steps after " << o.warmup << " warm-up\n"
              << "             " << fmt("%.0f", trainRate) << " samples/s   step p10 "
              << fmt("%.2f", j["train_step_ms_p10"].get<double>()) << " ms, median " << fmt("%.2f", 1e3 * trainMedian)
              << " ms, p90 " << fmt("%.2f", j["train_step_ms_p90"].get<double>()) << " ms   "
              << fmt("%.1f", j["train_gflops"].get<double>()) << " GFLOP/s\n";
    std::cout << "  inference  batch " << o.inferBatch << ": " << fmt("%.0f", inferRate) << " samples/s   median "
              << fmt("%.2f", 1e3 * inferMedian) << " ms   " << fmt("%.1f", j["infer_gflops"].get<double>())
              << " GFLOP/s\n";
    std::cout << "  latency    batch 1: median " << fmt("%.3f", j["latency_ms_median"].get<double>()) << " ms, p90 "
              << fmt("%.3f", j["latency_ms_p90"].get<double>()) << " ms (" << o.latencySteps << " runs)\n";
    std::cout << "  memory     peak RSS " << fmt("%.1f", peakMb) << " MB (" << fmt("%.1f", baselineMb)
              << " MB before the network was built)\n";
    std::cout << "  final training loss " << fmt("%.4f", lastLoss) << "\n";
    if (scaler)
        std::cout << "  loss scale " << formatLossScale(scaler->scale()) << ", " << skipped
                  << " steps skipped (gradient overflow)\n";
    return 0;
}

} // namespace netcanvas::cli
