#pragma once
// Sequence datasets: time-series windows from a CSV file and token sequences from text
// (docs/datasets.md, "Sequences"). Both make their own train/validation/test split
// (Dataset::presetSplit) because what they learn from the data must come from the training
// part only: a series is split in time order (never shuffled across the split) and scaled
// with its training part's statistics; a text dataset's vocabulary is built from its
// training split. Bad input throws FormatError/DataError naming the file and line (or file)
// before any large allocation.
#include "engine/data/Dataset.h"

#include <string>
#include <vector>

namespace netcanvas {

// A time-series CSV: a header row of column names (optional: columns are then 1, 2, ...),
// one row per time step. Value columns (options.columns: names or 1-based indices; default:
// every numeric column except one named like a date or time) become the F features of each
// step; the target (options.target, default the first value column) must be one of them.
// Sample i is the window of options.window steps starting at row i (a 1×window×F input) and
// its targets the target column's next options.horizon values. Windows are split in time
// order: the first part trains, then validation, then test (options' fractions). Each column
// is standardized with the mean and standard deviation of the rows the training windows
// cover; the targets too (Dataset::targetScale/targetOffset bring them back to the data's
// units). Empty cells and "NA"/"nan" are filled by linear interpolation and counted in
// Dataset::notes; any other text where a number belongs is a FormatError naming the line.
Dataset loadTimeSeriesCsv(const std::string& path, const DatasetOptions& options);

// Text classification: `path` is a file of lines "label<TAB>text" (blank lines skipped), or a
// folder with one subfolder per class whose files are one text each. Tokens are characters
// (UTF-8 code points) or words (runs of letters and digits), lowercased. The split is
// stratified by (options' fractions, seed); the vocabulary is the training split's tokens,
// most frequent first, at most options.maxVocabulary ids with 0 = padding and 1 = unknown;
// each sample becomes options.sequenceLength ids (1×1×L; truncated, or padded with 0 at the
// end). Dataset::sequenceLengths keeps every sample's length before that.
Dataset loadTextDataset(const std::string& path, const DatasetOptions& options);

// The naive forecast of a series dataset: every horizon step predicted as the window's last
// value of the target column. RMSE and MAE over `indices`, in the data's units.
struct ForecastBaseline {
    double rmse = 0.0, mae = 0.0;
    int64_t samples = 0;
};
ForecastBaseline naiveLastValueForecast(const Dataset& data, const std::vector<int64_t>& indices);

// The tokens of one text as loadTextDataset splits them ("char" | "word").
std::vector<std::string> tokenize(const std::string& text, const std::string& mode);

} // namespace netcanvas
