#pragma once
// `netcanvas-cli bench`: speed of a model on this machine, on synthetic data.
//
// What it measures (docs/benchmarks.md): after `warmup` untimed steps, `steps` timed
// training steps (forward, loss, backward, SGD update with momentum 0.9 and lr 0.01,
// whatever the model's recipe says, so the numbers compare with PyTorch like for like; with
// FP16 math also the training loss scaling: scale, overflow check, unscale),
// `steps` inference passes at batch `inferBatch`, and `latencySteps` batch-1 inference
// passes; then the process's peak resident memory. Achieved GFLOP/s use the registry's
// forward FLOP counts, a training step counting 3× forward.
//
// Requires: a model JSON that validates. Ensures: prints a table, or with `json` one JSON
// object whose keys bench/compare_pytorch.py shares. Returns the process exit code.
#include <cstdint>
#include <string>

namespace netcanvas::cli {

struct BenchOptions {
    std::string model;
    int64_t batch = 64; // training batch
    int threads = 0; // 0 = all cores
    std::string device = "auto"; // auto | cpu | cuda | cuda:N
    std::string precision = "fp32"; // fp32 | tf32 | fp16: GPU math; fp16 adds loss scaling to the step
    int steps = 30; // timed training steps (and timed batch-inferBatch passes)
    int warmup = 5; // untimed steps before each measurement
    int64_t inferBatch = 256; // batch of the inference-throughput measurement
    int latencySteps = 200; // timed batch-1 passes
    uint64_t seed = 1; // weights and synthetic data
    bool json = false;
};

int runBench(const BenchOptions& o);

} // namespace netcanvas::cli
