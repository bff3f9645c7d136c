// Stratified, seeded train/validation/test splits and per-channel normalization statistics.
#include "engine/data/Split.h"

#include "engine/core/Error.h"
#include "engine/core/Rng.h"
#include "engine/data/ImageDecode.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
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

// Largest-remainder apportionment of round(sum(counts) * fraction) over the classes,
// each class getting at most caps[k].
std::vector<int64_t> apportion(const std::vector<int64_t>& counts, double fraction, const std::vector<int64_t>& caps)
{
    const size_t n = counts.size();
    std::vector<int64_t> out(n, 0);
    if (fraction <= 0.0)
        return out;
    const int64_t total = std::accumulate(counts.begin(), counts.end(), int64_t(0));
    int64_t target = std::llround(static_cast<double>(total) * fraction);
    std::vector<double> remainder(n, 0.0);
    for (size_t k = 0; k < n; ++k) {
        const double quota = static_cast<double>(counts[k]) * fraction;
        out[k] = std::min<int64_t>(static_cast<int64_t>(std::floor(quota)), caps[k]);
        remainder[k] = quota - std::floor(quota);
        target -= out[k];
    }
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return remainder[a] > remainder[b]; });
    // Hand out what is left, largest remainders first, respecting the caps.
    while (target > 0) {
        bool gave = false;
        for (size_t k : order) {
            if (target <= 0)
                break;
            if (out[k] < caps[k]) {
                ++out[k];
                --target;
                gave = true;
            }
        }
        if (!gave)
            break;
    }
    return out;
}

} // namespace

DataSplit splitDataset(const Dataset& data, double validationFraction, double testFraction, uint64_t seed)
{
    const int64_t n = data.size();
    if (!data.presetSplit.empty()) {
        DataSplit split;
        // The reader's own split (time order, or a vocabulary built from its training part).
        if (static_cast<int64_t>(data.presetSplit.size()) != n)
            throw DataError("split of " + data.root + ": the preset split has "
                + std::to_string(data.presetSplit.size()) + " entries for " + std::to_string(n) + " samples");
        for (int64_t i = 0; i < n; ++i) {
            const int8_t part = data.presetSplit[static_cast<size_t>(i)];
            (part == 0 ? split.train : part == 1 ? split.validation : split.test).push_back(i);
        }
        return split;
    }
    const bool official = data.officialTestBegin >= 0 && data.officialTestBegin <= n;
    if (official)
        testFraction = 0.0;
    if (!(validationFraction >= 0.0 && validationFraction < 1.0) || !(testFraction >= 0.0 && testFraction < 1.0)
        || validationFraction + testFraction >= 1.0)
        throw DataError("split of " + data.root + ": validation (" + std::to_string(validationFraction) + ") and test ("
            + std::to_string(testFraction) + ") fractions must be in [0, 1) and leave samples for training");

    DataSplit split;
    const int64_t poolEnd = official ? data.officialTestBegin : n;
    if (official)
        for (int64_t i = poolEnd; i < n; ++i)
            split.test.push_back(i);

    // Pool indices grouped by class, each group shuffled by (seed, class).
    const size_t classes = std::max<size_t>(data.classNames.size(), 1);
    std::vector<std::vector<int64_t>> byClass(classes);
    for (int64_t i = 0; i < poolEnd; ++i) {
        const int32_t l = data.labels[static_cast<size_t>(i)];
        const size_t k = (l >= 0 && static_cast<size_t>(l) < classes) ? static_cast<size_t>(l) : 0;
        byClass[k].push_back(i);
    }
    std::vector<int64_t> counts(classes);
    for (size_t k = 0; k < classes; ++k) {
        auto& v = byClass[k];
        Rng rng(mix(seed, k));
        for (size_t i = v.size(); i > 1; --i)
            std::swap(v[i - 1], v[static_cast<size_t>(rng.below(i))]);
        counts[k] = static_cast<int64_t>(v.size());
    }

    // Each class keeps at least one training sample when it has any.
    std::vector<int64_t> caps(classes);
    for (size_t k = 0; k < classes; ++k)
        caps[k] = std::max<int64_t>(0, counts[k] - 1);
    const std::vector<int64_t> nTest = apportion(counts, testFraction, caps);
    for (size_t k = 0; k < classes; ++k)
        caps[k] = std::max<int64_t>(0, counts[k] - 1 - nTest[k]);
    const std::vector<int64_t> nVal = apportion(counts, validationFraction, caps);

    for (size_t k = 0; k < classes; ++k) {
        const auto& v = byClass[k];
        const auto t = static_cast<size_t>(nTest[k]);
        const auto vv = static_cast<size_t>(nVal[k]);
        split.test.insert(split.test.end(), v.begin(), v.begin() + static_cast<std::ptrdiff_t>(t));
        split.validation.insert(split.validation.end(), v.begin() + static_cast<std::ptrdiff_t>(t),
            v.begin() + static_cast<std::ptrdiff_t>(t + vv));
        split.train.insert(split.train.end(), v.begin() + static_cast<std::ptrdiff_t>(t + vv), v.end());
    }
    std::sort(split.train.begin(), split.train.end());
    std::sort(split.validation.begin(), split.validation.end());
    std::sort(split.test.begin(), split.test.end());
    return split;
}

Normalization computeNormalization(const Dataset& data, const std::vector<int64_t>& indices)
{
    Normalization norm;
    const int C = data.channels;
    const int64_t n = data.size();
    if (indices.empty() || C <= 0 || data.tokenInputs) // token ids are not measurements
        return norm;
    for (int64_t i : indices)
        if (i < 0 || i >= n)
            throw DataError("normalization of " + data.root + ": sample index " + std::to_string(i)
                + " is out of range (" + std::to_string(n) + " samples)");

    const size_t plane = static_cast<size_t>(data.height) * static_cast<size_t>(data.width);
    const size_t sampleSize = static_cast<size_t>(data.sampleSize());
    const double perChannel = static_cast<double>(plane) * static_cast<double>(indices.size());
    const int workers = detail::workerCount(static_cast<int64_t>(indices.size()) / 1024 + 1);
    std::vector<std::thread> threads;
    norm.mean.assign(static_cast<size_t>(C), 0.0f);
    norm.stddev.assign(static_cast<size_t>(C), 1.0f);
    std::vector<double> mean(static_cast<size_t>(C), 0.0), var(static_cast<size_t>(C), 0.0);

    if (data.features.empty()) {
        // uint8 pixels: exact per-channel histograms, then the moments from them.
        std::vector<std::vector<uint64_t>> hist(
            static_cast<size_t>(workers), std::vector<uint64_t>(static_cast<size_t>(C) * 256, 0));
        for (int t = 0; t < workers; ++t)
            threads.emplace_back([&, t] {
                auto& h = hist[static_cast<size_t>(t)];
                for (size_t j = static_cast<size_t>(t); j < indices.size(); j += static_cast<size_t>(workers)) {
                    const uint8_t* p = data.pixels.data() + sampleSize * static_cast<size_t>(indices[j]);
                    for (int c = 0; c < C; ++c) {
                        uint64_t* hc = h.data() + 256 * static_cast<size_t>(c);
                        const uint8_t* pc = p + plane * static_cast<size_t>(c);
                        for (size_t k = 0; k < plane; ++k)
                            ++hc[pc[k]];
                    }
                }
            });
        for (auto& t : threads)
            t.join();
        for (int c = 0; c < C; ++c) {
            std::array<uint64_t, 256> total {};
            for (const auto& h : hist)
                for (size_t v = 0; v < 256; ++v)
                    total[v] += h[256 * static_cast<size_t>(c) + v];
            double s = 0.0;
            for (size_t v = 0; v < 256; ++v)
                s += static_cast<double>(total[v]) * (static_cast<double>(v) / 255.0);
            const double m = s / perChannel;
            double q = 0.0;
            for (size_t v = 0; v < 256; ++v) {
                const double d = static_cast<double>(v) / 255.0 - m;
                q += static_cast<double>(total[v]) * d * d;
            }
            mean[static_cast<size_t>(c)] = m;
            var[static_cast<size_t>(c)] = q / perChannel;
        }
    } else {
        // Float features: two passes (mean, then squared deviations), double accumulators.
        std::vector<std::vector<double>> part(
            static_cast<size_t>(workers), std::vector<double>(static_cast<size_t>(C), 0.0));
        auto pass = [&](bool second) {
            threads.clear();
            for (auto& p : part)
                std::fill(p.begin(), p.end(), 0.0);
            for (int t = 0; t < workers; ++t)
                threads.emplace_back([&, t, second] {
                    auto& acc = part[static_cast<size_t>(t)];
                    for (size_t j = static_cast<size_t>(t); j < indices.size(); j += static_cast<size_t>(workers)) {
                        const float* p = data.features.data() + sampleSize * static_cast<size_t>(indices[j]);
                        for (int c = 0; c < C; ++c) {
                            const float* pc = p + plane * static_cast<size_t>(c);
                            double a = 0.0;
                            if (second) {
                                const double m = mean[static_cast<size_t>(c)];
                                for (size_t k = 0; k < plane; ++k)
                                    a += (pc[k] - m) * (pc[k] - m);
                            } else {
                                for (size_t k = 0; k < plane; ++k)
                                    a += pc[k];
                            }
                            acc[static_cast<size_t>(c)] += a;
                        }
                    }
                });
            for (auto& t : threads)
                t.join();
            std::vector<double> sum(static_cast<size_t>(C), 0.0);
            for (const auto& p : part)
                for (size_t c = 0; c < sum.size(); ++c)
                    sum[c] += p[c];
            return sum;
        };
        const std::vector<double> sums = pass(false);
        for (size_t c = 0; c < mean.size(); ++c)
            mean[c] = sums[c] / perChannel;
        const std::vector<double> squares = pass(true);
        for (size_t c = 0; c < var.size(); ++c)
            var[c] = squares[c] / perChannel;
    }

    for (size_t c = 0; c < static_cast<size_t>(C); ++c) {
        norm.mean[c] = static_cast<float>(mean[c]);
        const double sd = std::sqrt(var[c]);
        // A constant channel would divide by zero: it keeps stddev 1 (only centred).
        norm.stddev[c] = sd > 1e-12 ? static_cast<float>(sd) : 1.0f;
    }
    return norm;
}

Normalization computeTargetNormalization(const Dataset& data, const std::vector<int64_t>& indices)
{
    Normalization norm;
    const int64_t k = data.targetSize();
    if (!data.isRegression() || indices.empty() || k <= 0)
        return norm;
    double sum = 0.0, squares = 0.0;
    for (int64_t i : indices) {
        if (i < 0 || i >= data.size())
            throw DataError("target normalization of " + data.root + ": sample index " + std::to_string(i)
                + " is out of range (" + std::to_string(data.size()) + " samples)");
        const float* t = data.targets.data() + static_cast<size_t>(k) * static_cast<size_t>(i);
        for (int64_t j = 0; j < k; ++j)
            sum += t[j];
    }
    const double count = static_cast<double>(k) * static_cast<double>(indices.size());
    const double mean = sum / count;
    for (int64_t i : indices) {
        const float* t = data.targets.data() + static_cast<size_t>(k) * static_cast<size_t>(i);
        for (int64_t j = 0; j < k; ++j)
            squares += (t[j] - mean) * (t[j] - mean);
    }
    const double sd = std::sqrt(squares / count);
    norm.mean = { static_cast<float>(mean) };
    norm.stddev = { sd > 1e-12 ? static_cast<float>(sd) : 1.0f };
    return norm;
}

} // namespace netcanvas
