#pragma once
// DataLoader: float batches from a Dataset, prepared on a prefetch thread (a bounded queue
// of ready batches) so training never waits on conversion or augmentation.
// Shuffling per epoch is a pure function of (seed, epoch): the same seed gives the same run.
#include "engine/core/Tensor.h"
#include "engine/data/Dataset.h"
#include "engine/data/Split.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace netcanvas {

struct Augmentation {
    bool flipHorizontal = false; // random left-right flip
    int maxShift = 0; // random translation in pixels, up to ±maxShift (zero fill)
    float maxRotation = 0.0f; // random rotation in degrees, up to ±maxRotation
    bool any() const { return flipHorizontal || maxShift > 0 || maxRotation > 0.0f; }
};

struct LoaderOptions {
    int64_t batchSize = 64;
    bool shuffle = true;
    bool dropLast = false;
    uint64_t seed = 1;
    Normalization normalization; // applied after scaling to [0,1]
    Normalization targetNormalization; // real-valued targets: one mean/stddev; empty = as stored
    Augmentation augmentation; // applied only when set (training)
    int prefetch = 3; // batches prepared ahead
    // Data-parallel sharding: with shardCount = N > 1 the epoch's shuffled order (the same on
    // every rank: it depends on seed and epoch only) is cut into global batches of
    // N × batchSize, and this loader yields shard `shardRank`'s slice of each one — rows
    // [r·R/N, (r+1)·R/N) of a global batch of R samples. So every sample is seen once per
    // epoch across the ranks, every rank has the same number of batches, and rank r's batch
    // b is rows r·batchSize … of the single-process run's batch b of N × batchSize. A last
    // global batch of fewer than N samples is dropped (no rank may get an empty one).
    int shardCount = 1;
    int shardRank = 0;
};

struct Batch {
    Tensor images; // n × C × H × W (n = batch size, smaller for a last partial batch)
    std::vector<int32_t> labels; // n
    Tensor targets; // n × the dataset's targetShape, normalized; empty for classification
    std::vector<int64_t> indices; // n dataset indices
    int64_t globalSize = 0; // samples in this step's global batch over all shards (n unsharded)
    int64_t size() const { return static_cast<int64_t>(labels.size()); }
};

class DataLoader {
public:
    // `data` must outlive the loader.
    DataLoader(const Dataset& data, std::vector<int64_t> indices, LoaderOptions options);
    ~DataLoader(); // stops and joins the prefetch thread
    DataLoader(const DataLoader&) = delete;
    DataLoader& operator=(const DataLoader&) = delete;

    int64_t sampleCount() const;
    int64_t batchesPerEpoch() const;
    // Starts an epoch: shuffles with (seed, epoch) and starts prefetching. May be called
    // before the previous epoch was consumed: that one is abandoned.
    // `firstBatch` > 0 starts within the epoch (a resumed run): the batches before it are
    // skipped, the rest are the same as in a full epoch.
    void startEpoch(int epoch, int64_t firstBatch = 0);
    // Changes the augmentation of the batches prepared from now on (a live change: call
    // startEpoch() again, at the batch to continue from, to drop those already prepared).
    void setAugmentation(const Augmentation& augmentation);
    // The next batch of the current epoch; false when the epoch is done (or none was
    // started). Swaps into `out` so buffers are reused: after warm-up no batch allocates.
    // Augmentation (image datasets only) is drawn from (seed, epoch, batch index), so a
    // batch is the same whatever the thread timing. Call from one consumer thread.
    // Rethrows an error met while preparing the batch.
    bool next(Batch& out);

private:
    struct Impl;
    std::unique_ptr<Impl> m;
};

// Converts one sample to normalized floats (no augmentation): what predict and inspection use.
void prepareSample(const Dataset& data, int64_t index, const Normalization& norm, float* out);
// Same, for raw C×H×W uint8 pixels (e.g. an image loaded for prediction).
void prepareImage(const uint8_t* pixels, int channels, int height, int width, const Normalization& norm, float* out);

} // namespace netcanvas
