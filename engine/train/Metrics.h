#pragma once
// Classification metrics: confusion matrix (rows = true class, columns = predicted),
// accuracy, per-class precision/recall/F1.
#include "engine/core/Tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace netcanvas {

class ConfusionMatrix {
public:
    explicit ConfusionMatrix(int classes = 0) { reset(classes); }
    void reset(int classes);
    int classes() const { return m_classes; }
    void add(int truth, int predicted, int64_t count = 1);
    // Adds argmax of each row of `scores` (N×K) against labels.
    void addBatch(const Tensor& scores, const std::vector<int32_t>& labels);
    int64_t at(int truth, int predicted) const { return m_counts[static_cast<size_t>(truth * m_classes + predicted)]; }
    int64_t total() const;
    double accuracy() const;
    double precision(int c) const;
    double recall(int c) const;
    double f1(int c) const;
    int64_t support(int c) const; // true samples of class c
    // A fixed-width text table with class names (for the CLI).
    std::string toText(const std::vector<std::string>& classNames) const;

private:
    int m_classes = 0;
    std::vector<int64_t> m_counts;
};

// Regression metrics over predictions and targets, accumulated batch by batch in double:
// RMSE and MAE (in the units given, times `scale` — the targets' standard deviation when
// they were normalized, so the figures are in the data's units) and R² = 1 − SSE/SST (scale-
// free; NaN when the targets are constant or there are none).
class RegressionMetrics {
public:
    void reset() { *this = RegressionMetrics(); }
    void add(const float* predicted, const float* target, int64_t count);
    int64_t count() const { return m_count; }
    double rmse(double scale = 1.0) const;
    double mae(double scale = 1.0) const;
    double r2() const;

private:
    int64_t m_count = 0;
    double m_sse = 0.0, m_sae = 0.0, m_sum = 0.0, m_sumSquares = 0.0;
};

// Index of the largest value of row r of a N×K tensor.
int argmaxRow(const Tensor& scores, int64_t row);

} // namespace netcanvas
