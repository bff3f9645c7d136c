// DataLoader: a prefetch thread fills batches from a pool of slots through a free queue and
// a full queue (Caffe's BasePrefetchingDataLayer). Everything random is a pure function of
// (seed, epoch, batch index), so thread timing never changes what a batch holds.
#include "engine/data/DataLoader.h"

#include "engine/core/Error.h"
#include "engine/core/Rng.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

namespace netcanvas {

namespace {

uint64_t mix(uint64_t a, uint64_t b)
{
    uint64_t z = a + 0x9e3779b97f4a7c15ULL * (b + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// Per-channel affine map x → x * scale + bias equal to (x - mean) / stddev.
void channelAffine(const Normalization& norm, int channels, std::vector<float>& scale, std::vector<float>& bias,
    const std::string& what)
{
    scale.assign(static_cast<size_t>(channels), 1.0f);
    bias.assign(static_cast<size_t>(channels), 0.0f);
    if (norm.empty())
        return;
    if (norm.mean.size() != static_cast<size_t>(channels) || norm.stddev.size() != static_cast<size_t>(channels))
        throw DataError(what + ": normalization has " + std::to_string(norm.mean.size()) + " means and "
            + std::to_string(norm.stddev.size()) + " deviations for " + std::to_string(channels) + " channels");
    for (size_t c = 0; c < scale.size(); ++c) {
        if (!(norm.stddev[c] > 0.0f))
            throw DataError(what + ": normalization stddev of channel " + std::to_string(c) + " is not positive");
        scale[c] = 1.0f / norm.stddev[c];
        bias[c] = -norm.mean[c] / norm.stddev[c];
    }
}

// uint8 → normalized float through a per-channel 256-entry table.
void buildLut(const std::vector<float>& scale, const std::vector<float>& bias, std::vector<float>& lut)
{
    lut.resize(scale.size() * 256);
    for (size_t c = 0; c < scale.size(); ++c)
        for (int v = 0; v < 256; ++v)
            lut[c * 256 + static_cast<size_t>(v)] = static_cast<float>(v) * (1.0f / 255.0f) * scale[c] + bias[c];
}

void pixelsToFloat(const uint8_t* src, int channels, size_t plane, const float* lut, float* out)
{
    for (int c = 0; c < channels; ++c) {
        const float* t = lut + 256 * static_cast<size_t>(c);
        const uint8_t* s = src + plane * static_cast<size_t>(c);
        float* d = out + plane * static_cast<size_t>(c);
        for (size_t k = 0; k < plane; ++k)
            d[k] = t[s[k]];
    }
}

} // namespace

struct DataLoader::Impl {
    struct Slot {
        Batch batch;
        std::exception_ptr error;
    };

    const Dataset& data;
    std::vector<int64_t> indices;
    LoaderOptions options;
    int channels = 0, height = 0, width = 0;
    size_t sampleSize = 0;
    bool images = true;
    std::vector<float> lut; // images: C × 256
    std::vector<float> scale, bias; // features: per channel
    Shape fullShape, lastShape; // kept so that resizing a batch never allocates

    std::vector<std::unique_ptr<Slot>> slots;
    std::deque<Slot*> freeSlots, fullSlots;
    std::mutex mutex;
    std::condition_variable workAvailable, batchReady;
    bool stopping = false;
    uint64_t generation = 0; // bumped by startEpoch: batches of an older epoch are dropped
    int epoch = 0;
    std::vector<int64_t> order;
    int64_t batches = 0, produced = 0, consumed = 0;
    std::thread worker;

    // Worker-only scratch.
    std::vector<uint8_t> augmented, flipped;

    Impl(const Dataset& d, std::vector<int64_t> idx, LoaderOptions opt)
        : data(d)
        , indices(std::move(idx))
        , options(std::move(opt))
    {
        const std::string what = "data loader over " + data.root;
        if (options.batchSize <= 0)
            throw DataError(what + ": batch size must be positive, not " + std::to_string(options.batchSize));
        const int64_t n = data.size();
        for (int64_t i : indices)
            if (i < 0 || i >= n)
                throw DataError(what + ": sample index " + std::to_string(i) + " is out of range (" + std::to_string(n)
                    + " samples)");
        channels = data.channels;
        height = data.height;
        width = data.width;
        sampleSize = static_cast<size_t>(data.sampleSize());
        images = data.features.empty();
        channelAffine(options.normalization, channels, scale, bias, what);
        if (images)
            buildLut(scale, bias, lut);
        const int64_t bs = options.batchSize;
        const int64_t count = static_cast<int64_t>(indices.size());
        if (options.shardCount < 1 || options.shardRank < 0 || options.shardRank >= options.shardCount)
            throw DataError(what + ": shard " + std::to_string(options.shardRank) + " of "
                + std::to_string(options.shardCount) + " does not exist");
        fullShape = Shape { bs, channels, height, width };
        lastShape = Shape { count % bs, channels, height, width };
        if (options.shardCount > 1) {
            const int64_t lastGlobal = count % (bs * options.shardCount);
            const int64_t r = options.shardRank, shards = options.shardCount;
            lastShape = Shape { lastGlobal * (r + 1) / shards - lastGlobal * r / shards, channels, height, width };
        }

        const int nSlots = std::max(1, options.prefetch);
        for (int i = 0; i < nSlots; ++i) {
            slots.push_back(std::make_unique<Slot>());
            freeSlots.push_back(slots.back().get());
        }
        worker = std::thread([this] { run(); });
    }

    ~Impl()
    {
        {
            std::lock_guard lock(mutex);
            stopping = true;
        }
        workAvailable.notify_all();
        batchReady.notify_all();
        if (worker.joinable())
            worker.join();
    }

    int64_t batchesPerEpoch() const
    {
        const int64_t count = static_cast<int64_t>(indices.size());
        const int64_t bs = options.batchSize;
        if (options.shardCount > 1) {
            const int64_t global = bs * options.shardCount;
            const int64_t rest = count % global;
            return count / global + (!options.dropLast && rest >= options.shardCount ? 1 : 0);
        }
        return options.dropLast ? count / bs : (count + bs - 1) / bs;
    }

    // Batch b's rows [begin, end) of `order`, and the size of its global batch (DataLoader.h).
    void batchRange(int64_t b, size_t& begin, size_t& end, int64_t& global) const
    {
        const int64_t bs = options.batchSize;
        const int64_t count = static_cast<int64_t>(order.size());
        if (options.shardCount <= 1) {
            begin = static_cast<size_t>(b * bs);
            end = std::min(order.size(), begin + static_cast<size_t>(bs));
            global = static_cast<int64_t>(end - begin);
            return;
        }
        const int64_t shards = options.shardCount, r = options.shardRank;
        const int64_t start = b * bs * shards;
        global = std::min(bs * shards, count - start);
        begin = static_cast<size_t>(start + global * r / shards);
        end = static_cast<size_t>(start + global * (r + 1) / shards);
    }

    void run()
    {
        std::unique_lock lock(mutex);
        for (;;) {
            workAvailable.wait(lock, [this] { return stopping || (produced < batches && !freeSlots.empty()); });
            if (stopping)
                return;
            Slot* slot = freeSlots.front();
            freeSlots.pop_front();
            const int64_t b = produced++;
            const uint64_t gen = generation;
            const int ep = epoch;
            const Augmentation aug = options.augmentation; // setAugmentation() may change it
            size_t begin = 0, end = 0;
            batchRange(b, begin, end, slot->batch.globalSize);
            slot->batch.indices.assign(
                order.begin() + static_cast<std::ptrdiff_t>(begin), order.begin() + static_cast<std::ptrdiff_t>(end));
            lock.unlock();

            slot->error = nullptr;
            try {
                fill(slot->batch, ep, b, aug);
            } catch (...) {
                slot->error = std::current_exception();
            }

            lock.lock();
            if (stopping)
                return;
            if (gen != generation) { // the epoch was abandoned while this batch was prepared
                freeSlots.push_back(slot);
                continue;
            }
            fullSlots.push_back(slot);
            batchReady.notify_one();
        }
    }

    void fill(Batch& batch, int ep, int64_t b, const Augmentation& aug)
    {
        const size_t n = batch.indices.size();
        batch.images.resize(static_cast<int64_t>(n) == options.batchSize ? fullShape : lastShape);
        batch.labels.resize(n);
        if (data.isRegression()) {
            const int64_t k = data.targetSize();
            batch.targets.resize(data.targetShape.batched(static_cast<int64_t>(n)));
            const Normalization& tn = options.targetNormalization;
            const float mean = tn.empty() ? 0.0f : tn.mean[0];
            const float inv = tn.empty() ? 1.0f : 1.0f / tn.stddev[0];
            for (size_t j = 0; j < n; ++j) {
                const float* t = data.targets.data() + static_cast<size_t>(k) * static_cast<size_t>(batch.indices[j]);
                float* d = batch.targets.data() + static_cast<size_t>(k) * j;
                for (int64_t q = 0; q < k; ++q)
                    d[q] = (t[q] - mean) * inv;
            }
        }
        const bool augment = images && aug.any() && static_cast<int64_t>(height) * width > 1;
        Rng rng(mix(mix(options.seed, static_cast<uint64_t>(static_cast<int64_t>(ep))), static_cast<uint64_t>(b))
            ^ 0xa076u);
        const size_t plane = static_cast<size_t>(height) * static_cast<size_t>(width);
        for (size_t j = 0; j < n; ++j) {
            const int64_t idx = batch.indices[j];
            batch.labels[j] = data.labels[static_cast<size_t>(idx)];
            float* dst = batch.images.data() + sampleSize * j;
            if (!images) {
                const float* src = data.features.data() + sampleSize * static_cast<size_t>(idx);
                for (int c = 0; c < channels; ++c)
                    for (size_t k = 0; k < plane; ++k) {
                        const size_t o = plane * static_cast<size_t>(c) + k;
                        dst[o] = src[o] * scale[static_cast<size_t>(c)] + bias[static_cast<size_t>(c)];
                    }
                continue;
            }
            const uint8_t* src = data.pixels.data() + sampleSize * static_cast<size_t>(idx);
            if (augment) {
                // Always the same draws in the same order, whatever is enabled.
                const bool flip = aug.flipHorizontal && rng.uniform() < 0.5f;
                int dx = 0, dy = 0;
                if (aug.maxShift > 0) {
                    const uint64_t span = 2 * static_cast<uint64_t>(aug.maxShift) + 1;
                    dx = static_cast<int>(rng.below(span)) - aug.maxShift;
                    dy = static_cast<int>(rng.below(span)) - aug.maxShift;
                }
                const float angle = aug.maxRotation > 0.0f ? rng.uniform(-aug.maxRotation, aug.maxRotation) : 0.0f;
                src = augment1(src, plane, flip, dx, dy, angle);
            }
            pixelsToFloat(src, channels, plane, lut.data(), dst);
        }
    }

    // Applies flip, shift (zero fill) and rotation to one C×H×W uint8 sample; returns the result.
    const uint8_t* augment1(const uint8_t* src, size_t plane, bool flip, int dx, int dy, float angle)
    {
        augmented.resize(sampleSize);
        flipped.resize(sampleSize);
        const int H = height, W = width;
        if (flip) {
            for (size_t c = 0; c < static_cast<size_t>(channels); ++c)
                for (int y = 0; y < H; ++y) {
                    const uint8_t* s = src + plane * c + static_cast<size_t>(y) * W;
                    uint8_t* d = flipped.data() + plane * c + static_cast<size_t>(y) * W;
                    for (int x = 0; x < W; ++x)
                        d[x] = s[W - 1 - x];
                }
            src = flipped.data();
        }
        if (angle != 0.0f) {
            // Rotation about the centre, then the shift (as cv::getRotationMatrix2D, without allocating).
            const double rad = static_cast<double>(angle) * 3.14159265358979323846 / 180.0;
            const double a = std::cos(rad), b = std::sin(rad);
            const double cx = (W - 1) * 0.5, cy = (H - 1) * 0.5;
            const cv::Matx23d m(a, b, (1 - a) * cx - b * cy + dx, -b, a, b * cx + (1 - a) * cy + dy);
            for (size_t c = 0; c < static_cast<size_t>(channels); ++c) {
                const cv::Mat in(H, W, CV_8UC1, const_cast<uint8_t*>(src + plane * c));
                cv::Mat out(H, W, CV_8UC1, augmented.data() + plane * c);
                cv::warpAffine(in, out, m, cv::Size(W, H), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
            }
            return augmented.data();
        }
        if (dx == 0 && dy == 0)
            return src;
        std::fill(augmented.begin(), augmented.end(), uint8_t(0));
        const int x0 = std::max(0, dx), x1 = std::min(W, W + dx); // destination columns
        const int y0 = std::max(0, dy), y1 = std::min(H, H + dy);
        if (x0 < x1 && y0 < y1)
            for (size_t c = 0; c < static_cast<size_t>(channels); ++c)
                for (int y = y0; y < y1; ++y)
                    std::memcpy(augmented.data() + plane * c + static_cast<size_t>(y) * W + x0,
                        src + plane * c + static_cast<size_t>(y - dy) * W + (x0 - dx), static_cast<size_t>(x1 - x0));
        return augmented.data();
    }
};

DataLoader::DataLoader(const Dataset& data, std::vector<int64_t> indices, LoaderOptions options)
    : m(std::make_unique<Impl>(data, std::move(indices), std::move(options)))
{
}

DataLoader::~DataLoader() = default;

int64_t DataLoader::sampleCount() const
{
    return static_cast<int64_t>(m->indices.size());
}

int64_t DataLoader::batchesPerEpoch() const
{
    return m->batchesPerEpoch();
}

void DataLoader::setAugmentation(const Augmentation& augmentation)
{
    std::lock_guard lock(m->mutex);
    m->options.augmentation = augmentation;
}

void DataLoader::startEpoch(int epoch, int64_t firstBatch)
{
    std::vector<int64_t> order = m->indices;
    if (m->options.shuffle) {
        Rng rng(mix(m->options.seed, static_cast<uint64_t>(static_cast<int64_t>(epoch))));
        for (size_t i = order.size(); i > 1; --i)
            std::swap(order[i - 1], order[static_cast<size_t>(rng.below(i))]);
    }
    {
        std::lock_guard lock(m->mutex);
        ++m->generation;
        while (!m->fullSlots.empty()) {
            m->freeSlots.push_back(m->fullSlots.front());
            m->fullSlots.pop_front();
        }
        m->order.swap(order);
        m->epoch = epoch;
        m->batches = m->batchesPerEpoch();
        m->produced = std::clamp<int64_t>(firstBatch, 0, m->batches);
        m->consumed = m->produced;
    }
    m->workAvailable.notify_all();
}

bool DataLoader::next(Batch& out)
{
    std::exception_ptr error;
    {
        std::unique_lock lock(m->mutex);
        if (m->consumed >= m->batches)
            return false;
        m->batchReady.wait(lock, [this] { return m->stopping || !m->fullSlots.empty(); });
        if (m->stopping)
            return false;
        Impl::Slot* slot = m->fullSlots.front();
        m->fullSlots.pop_front();
        ++m->consumed;
        error = slot->error;
        slot->error = nullptr;
        if (!error)
            std::swap(out, slot->batch);
        m->freeSlots.push_back(slot);
    }
    m->workAvailable.notify_all();
    if (error)
        std::rethrow_exception(error);
    return true;
}

void prepareImage(const uint8_t* pixels, int channels, int height, int width, const Normalization& norm, float* out)
{
    std::vector<float> scale, bias, lut;
    channelAffine(norm, channels, scale, bias, "prepareImage");
    buildLut(scale, bias, lut);
    pixelsToFloat(pixels, channels, static_cast<size_t>(height) * static_cast<size_t>(width), lut.data(), out);
}

void prepareSample(const Dataset& data, int64_t index, const Normalization& norm, float* out)
{
    if (index < 0 || index >= data.size())
        throw DataError(data.root + ": sample index " + std::to_string(index) + " is out of range ("
            + std::to_string(data.size()) + " samples)");
    if (data.features.empty()) {
        prepareImage(data.pixels.data() + static_cast<size_t>(data.sampleSize()) * static_cast<size_t>(index),
            data.channels, data.height, data.width, norm, out);
        return;
    }
    std::vector<float> scale, bias;
    channelAffine(norm, data.channels, scale, bias, data.root);
    const size_t plane = static_cast<size_t>(data.height) * static_cast<size_t>(data.width);
    const float* src = data.features.data() + static_cast<size_t>(data.sampleSize()) * static_cast<size_t>(index);
    for (size_t c = 0; c < scale.size(); ++c)
        for (size_t k = 0; k < plane; ++k)
            out[plane * c + k] = src[plane * c + k] * scale[c] + bias[c];
}

} // namespace netcanvas
