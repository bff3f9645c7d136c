#pragma once
// Train/validation/test split by seed, stratified by class. When the dataset carries an
// official test split (IDX), that is the test set and `testFraction` is ignored.
#include "engine/data/Dataset.h"

#include <cstdint>
#include <vector>

namespace netcanvas {

struct DataSplit {
    std::vector<int64_t> train, validation, test;
};

DataSplit splitDataset(const Dataset& data, double validationFraction, double testFraction, uint64_t seed);

// Per-channel mean and standard deviation of the float samples (as sampleToFloat gives them).
// Population statistics, double accumulation; a constant channel gets stddev 1 (it is only
// centred); no indices → an empty (identity) Normalization.
struct Normalization {
    std::vector<float> mean; // per channel; empty = identity
    std::vector<float> stddev;
    bool empty() const { return mean.empty(); }
};
Normalization computeNormalization(const Dataset& data, const std::vector<int64_t>& indices);

} // namespace netcanvas
