#pragma once
// Train/validation/test split by seed, stratified by class. When the dataset carries an
// official test split (IDX), that is the test set and `testFraction` is ignored; when its
// reader made the split (Dataset::presetSplit: time series, text), that split is returned.
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
// Token inputs (Dataset::tokenInputs) are never normalized: identity.
Normalization computeNormalization(const Dataset& data, const std::vector<int64_t>& indices);
// Real-valued targets: one mean and standard deviation over every target value of these
// samples (a constant target keeps stddev 1); identity for classification data.
Normalization computeTargetNormalization(const Dataset& data, const std::vector<int64_t>& indices);

} // namespace netcanvas
