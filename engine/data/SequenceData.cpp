// Time-series windows from CSV and token sequences from text (SequenceData.h).
#include "engine/data/SequenceData.h"

#include "engine/core/Error.h"
#include "engine/core/Limits.h"
#include "engine/data/Split.h"
#include "engine/io/Csv.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string_view>
#include <unordered_map>

namespace netcanvas {

namespace fs = std::filesystem;

namespace {

std::string readWhole(const std::string& path)
{
    std::error_code ec;
    const auto bytes = fs::file_size(path, ec);
    if (!ec && bytes > static_cast<uintmax_t>(limits::kMaxCsvBytes))
        throw DataError(path + ": " + std::to_string(bytes) + " bytes, more than the "
            + std::to_string(limits::kMaxCsvBytes >> 30) + " GiB NetCanvas reads as one text");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw IoError(path + ": cannot open");
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad())
        throw IoError(path + ": read error");
    std::string text = buffer.str();
    if (text.compare(0, 3, "\xEF\xBB\xBF") == 0)
        text.erase(0, 3);
    return text;
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

std::string unquote(std::string_view s)
{
    s = trim(s);
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"')
        s = s.substr(1, s.size() - 2);
    return std::string(s);
}

bool parseNumber(std::string_view s, double& v)
{
    s = trim(s);
    if (!s.empty() && s.front() == '+')
        s.remove_prefix(1);
    if (s.empty())
        return false;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(v);
}

bool isMissing(std::string_view s)
{
    s = trim(s);
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"')
        s = trim(s.substr(1, s.size() - 2));
    std::string l(s);
    std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return l.empty() || l == "na" || l == "nan" || l == "null" || l == "?";
}

std::vector<std::string_view> splitFields(std::string_view line, char delim)
{
    std::vector<std::string_view> out;
    size_t start = 0;
    bool quoted = false;
    for (size_t i = 0; i <= line.size(); ++i) {
        if (i < line.size() && line[i] == '"')
            quoted = !quoted;
        if (i == line.size() || (line[i] == delim && !quoted)) {
            out.push_back(line.substr(start, i - start));
            start = i + 1;
        }
    }
    return out;
}

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

bool looksLikeTimeColumn(const std::string& name)
{
    const std::string l = lower(name);
    for (const char* w : { "date", "time", "timestamp", "datetime", "year", "month", "day", "week", "index", "t" })
        if (l == w)
            return true;
    return false;
}

// A column given by header name or 1-based index; DataError naming the choices otherwise.
size_t findColumn(
    const std::string& asked, const std::vector<std::string>& names, const std::string& path, const char* what)
{
    for (size_t c = 0; c < names.size(); ++c)
        if (names[c] == asked)
            return c;
    for (size_t c = 0; c < names.size(); ++c)
        if (lower(names[c]) == lower(asked))
            return c;
    int index = 0;
    const auto r = std::from_chars(asked.data(), asked.data() + asked.size(), index);
    if (r.ec == std::errc() && r.ptr == asked.data() + asked.size()) {
        if (index >= 1 && static_cast<size_t>(index) <= names.size())
            return static_cast<size_t>(index - 1);
    }
    std::string known;
    for (const auto& n : names)
        known += (known.empty() ? "" : ", ") + n;
    throw DataError(path + ": no " + what + " column '" + asked + "' (columns: " + known + "; or 1 to "
        + std::to_string(names.size()) + ")");
}

// Sizes of the three consecutive parts of n ordered samples.
void orderedParts(int64_t n, double validationFraction, double testFraction, int64_t& train, int64_t& validation,
    int64_t& test, const std::string& path)
{
    if (!(validationFraction >= 0.0 && testFraction >= 0.0 && validationFraction + testFraction < 1.0))
        throw DataError(path + ": validation (" + std::to_string(validationFraction) + ") and test ("
            + std::to_string(testFraction) + ") fractions must be at least 0 and leave samples for training");
    test = std::llround(static_cast<double>(n) * testFraction);
    validation = std::llround(static_cast<double>(n) * validationFraction);
    train = n - validation - test;
    if (train < 1)
        throw DataError(path + ": " + std::to_string(n) + " windows leave none for training after "
            + std::to_string(validation) + " validation and " + std::to_string(test) + " test windows");
}

} // namespace

// ---- time series --------------------------------------------------------------------------

Dataset loadTimeSeriesCsv(const std::string& path, const DatasetOptions& options)
{
    if (options.window < 1 || options.window > 100000)
        throw DataError(path + ": the window must be 1 to 100000 steps, not " + std::to_string(options.window));
    if (options.horizon < 1 || options.horizon > 10000)
        throw DataError(path + ": the horizon must be 1 to 10000 steps, not " + std::to_string(options.horizon));
    const std::string text = readWhole(path);
    const std::vector<TextLine> lines = nonBlankLines(text);
    if (lines.empty())
        throw DataError(path + ": the CSV file has no rows");
    char delim = ',';
    if (lines[0].text.find(',') == std::string_view::npos) {
        if (lines[0].text.find(';') != std::string_view::npos)
            delim = ';';
        else if (lines[0].text.find('\t') != std::string_view::npos)
            delim = '\t';
    }
    // Header: a row with a field that is neither a number nor missing.
    std::vector<std::string_view> first = splitFields(lines[0].text, delim);
    bool header = false;
    for (auto f : first) {
        double v = 0;
        if (!parseNumber(unquote(f), v) && !isMissing(f))
            header = true;
    }
    const size_t columns = first.size();
    std::vector<std::string> names;
    for (size_t c = 0; c < columns; ++c)
        names.push_back(header ? unquote(first[c]) : std::to_string(c + 1));
    const size_t firstRow = header ? 1 : 0;
    const int64_t rows = static_cast<int64_t>(lines.size() - firstRow);
    if (rows < 1)
        throw DataError(path + ": the CSV file has a header row but no data rows");

    // Value columns and the target.
    std::vector<size_t> valueColumns;
    if (!options.columns.empty()) {
        for (const auto& c : options.columns)
            valueColumns.push_back(findColumn(c, names, path, "value"));
    } else {
        const std::vector<std::string_view> row = splitFields(lines[firstRow].text, delim);
        for (size_t c = 0; c < columns && c < row.size(); ++c) {
            double v = 0;
            if ((parseNumber(unquote(row[c]), v) || isMissing(row[c])) && !(header && looksLikeTimeColumn(names[c])))
                valueColumns.push_back(c);
        }
        if (valueColumns.empty())
            throw DataError(path + ": no numeric value column (besides a date or time): choose the columns");
    }
    size_t targetColumn = valueColumns.front();
    if (!options.target.empty())
        targetColumn = findColumn(options.target, names, path, "target");
    auto it = std::find(valueColumns.begin(), valueColumns.end(), targetColumn);
    if (it == valueColumns.end()) {
        valueColumns.push_back(targetColumn);
        it = valueColumns.end() - 1;
    }
    const int targetFeature = static_cast<int>(it - valueColumns.begin());
    const int64_t F = static_cast<int64_t>(valueColumns.size());
    const int64_t W = options.window, H = options.horizon;
    const bool diff = options.differences;
    const int64_t R = diff ? rows - 1 : rows; // rows of the model's signal (changes or values)
    const int64_t n = R - W - H + 1;
    if (n < 3)
        throw DataError(path + ": " + std::to_string(rows) + " rows make " + std::to_string(std::max<int64_t>(n, 0))
            + " windows of " + std::to_string(W) + " steps with a horizon of " + std::to_string(H)
            + (diff ? " (of changes)" : "") + ": at least 3 are needed (a shorter window or more rows)");
    // Before the big allocation: the windows must fit a tensor.
    if (n > limits::kMaxTensorElements / (W * F))
        throw DataError(path + ": " + std::to_string(n) + " windows of " + std::to_string(W) + "\u00d7"
            + std::to_string(F) + " values are more than NetCanvas holds: a shorter window");

    // The values, row by row; missing cells filled by interpolation afterwards.
    std::vector<double> values(static_cast<size_t>(rows * F), std::nan(""));
    std::vector<int> lineOf(static_cast<size_t>(rows));
    int64_t missing = 0;
    int firstMissingLine = 0;
    for (int64_t r = 0; r < rows; ++r) {
        const TextLine& l = lines[firstRow + static_cast<size_t>(r)];
        lineOf[static_cast<size_t>(r)] = l.number;
        const std::vector<std::string_view> fields = splitFields(l.text, delim);
        if (fields.size() != columns)
            throw FormatError(path + ":" + std::to_string(l.number) + ": expected " + std::to_string(columns)
                + " columns, found " + std::to_string(fields.size()));
        for (int64_t f = 0; f < F; ++f) {
            const std::string_view cell = fields[valueColumns[static_cast<size_t>(f)]];
            double v = 0;
            if (parseNumber(unquote(cell), v)) {
                values[static_cast<size_t>(r * F + f)] = v;
            } else if (isMissing(cell)) {
                if (missing++ == 0)
                    firstMissingLine = l.number;
            } else {
                throw FormatError(path + ":" + std::to_string(l.number) + ": column '"
                    + names[valueColumns[static_cast<size_t>(f)]] + "': '" + std::string(trim(cell))
                    + "' is not a number");
            }
        }
    }
    for (int64_t f = 0; f < F; ++f) {
        int64_t prev = -1;
        for (int64_t r = 0; r <= rows; ++r) {
            if (r < rows && std::isnan(values[static_cast<size_t>(r * F + f)]))
                continue;
            // Rows (prev, r) are missing: interpolate, or hold the nearest at the ends.
            for (int64_t q = prev + 1; q < r; ++q) {
                double v = 0.0;
                if (prev < 0 && r >= rows)
                    throw DataError(
                        path + ": column '" + names[valueColumns[static_cast<size_t>(f)]] + "' has no value");
                if (prev < 0)
                    v = values[static_cast<size_t>(r * F + f)];
                else if (r >= rows)
                    v = values[static_cast<size_t>(prev * F + f)];
                else {
                    const double a = values[static_cast<size_t>(prev * F + f)];
                    const double b = values[static_cast<size_t>(r * F + f)];
                    v = a + (b - a) * static_cast<double>(q - prev) / static_cast<double>(r - prev);
                }
                values[static_cast<size_t>(q * F + f)] = v;
            }
            prev = r;
        }
    }

    // The model's signal: the values, or their changes from one row to the next.
    std::vector<double> signal(static_cast<size_t>(R * F));
    for (int64_t r = 0; r < R; ++r)
        for (int64_t f = 0; f < F; ++f)
            signal[static_cast<size_t>(r * F + f)] = diff
                ? values[static_cast<size_t>((r + 1) * F + f)] - values[static_cast<size_t>(r * F + f)]
                : values[static_cast<size_t>(r * F + f)];
    const double* sig = signal.data();

    int64_t nTrain = 0, nVal = 0, nTest = 0;
    orderedParts(n, options.validationFraction, options.testFraction, nTrain, nVal, nTest, path);
    // The signal rows the training windows cover (inputs and targets) give the scaling.
    const int64_t trainRows = nTrain - 1 + W + H;
    std::vector<double> mean(static_cast<size_t>(F), 0.0), sd(static_cast<size_t>(F), 1.0);
    for (int64_t f = 0; f < F; ++f) {
        double s = 0.0, q = 0.0;
        for (int64_t r = 0; r < trainRows; ++r)
            s += sig[r * F + f];
        const double m = s / static_cast<double>(trainRows);
        for (int64_t r = 0; r < trainRows; ++r) {
            const double d = sig[r * F + f] - m;
            q += d * d;
        }
        mean[static_cast<size_t>(f)] = m;
        const double s2 = std::sqrt(q / static_cast<double>(trainRows));
        sd[static_cast<size_t>(f)] = s2 > 1e-12 ? s2 : 1.0;
    }
    auto scaled = [&](double v, int64_t f) {
        return static_cast<float>((v - mean[static_cast<size_t>(f)]) / sd[static_cast<size_t>(f)]);
    };

    Dataset ds;
    ds.root = path;
    ds.format = "csv-series";
    ds.channels = 1;
    ds.height = static_cast<int>(W);
    ds.width = static_cast<int>(F);
    ds.targetShape = Shape { H };
    ds.targetScale = static_cast<float>(sd[static_cast<size_t>(targetFeature)]);
    ds.targetOffset = static_cast<float>(mean[static_cast<size_t>(targetFeature)]);
    ds.seriesTargetFeature = targetFeature;
    ds.seriesDifferenced = diff;
    ds.features.resize(static_cast<size_t>(n * W * F));
    ds.targets.resize(static_cast<size_t>(n * H));
    ds.labels.assign(static_cast<size_t>(n), 0);
    ds.presetSplit.resize(static_cast<size_t>(n));
    ds.targetTime.resize(static_cast<size_t>(n));
    const int64_t tf = targetFeature;
    for (int64_t i = 0; i < n; ++i) {
        float* x = ds.features.data() + static_cast<size_t>(i * W * F);
        for (int64_t t = 0; t < W; ++t)
            for (int64_t f = 0; f < F; ++f)
                x[t * F + f] = scaled(sig[(i + t) * F + f], f);
        double change = 0.0;
        for (int64_t h = 0; h < H; ++h) {
            // Changes: the target is the change from the window's last value (a sum of steps).
            change += sig[(i + W + h) * F + tf];
            ds.targets[static_cast<size_t>(i * H + h)] = scaled(diff ? change : sig[(i + W + h) * F + tf], tf);
        }
        ds.presetSplit[static_cast<size_t>(i)] = static_cast<int8_t>(i < nTrain ? 0 : i < nTrain + nVal ? 1 : 2);
        ds.targetTime[static_cast<size_t>(i)] = diff ? i + W + 1 : i + W;
        ds.sources.push_back(
            path + ":" + std::to_string(lineOf[static_cast<size_t>(ds.targetTime[static_cast<size_t>(i)])]));
    }
    ds.series.resize(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r)
        ds.series[static_cast<size_t>(r)] = static_cast<float>(values[static_cast<size_t>(r * F + tf)]);
    std::string cols;
    for (size_t c : valueColumns)
        cols += (cols.empty() ? "" : ", ") + names[c];
    ds.notes.push_back("series of " + std::to_string(rows) + " steps; value columns " + cols + "; target '"
        + names[targetColumn] + "'; window " + std::to_string(W) + ", horizon " + std::to_string(H) + "; "
        + std::to_string(nTrain) + " / " + std::to_string(nVal) + " / " + std::to_string(nTest)
        + " windows train / validation / test in time order; "
        + (diff ? "the model sees changes between rows and forecasts the change from the window's last value; " : "")
        + "scaled by the training part's mean and deviation");
    if (missing > 0)
        ds.notes.push_back(std::to_string(missing) + " missing value(s) filled by linear interpolation (first at line "
            + std::to_string(firstMissingLine) + ")");
    if (options.progress && !options.progress(n, n))
        throw DataError(path + ": loading cancelled");
    return ds;
}

ForecastBaseline naiveLastValueForecast(const Dataset& data, const std::vector<int64_t>& indices)
{
    ForecastBaseline b;
    if (data.seriesTargetFeature < 0 || !data.isRegression())
        throw DataError(data.root + ": the naive forecast needs a time-series dataset");
    const int64_t W = data.height, F = data.width, H = data.targetSize();
    double sse = 0.0, sae = 0.0;
    int64_t count = 0;
    for (int64_t i : indices) {
        if (i < 0 || i >= data.size())
            throw DataError(data.root + ": sample index " + std::to_string(i) + " is out of range");
        // Stored units: the window's last value, or (changes) no change from it.
        const float last = data.seriesDifferenced
            ? -data.targetOffset / data.targetScale
            : data.features[static_cast<size_t>(i * W * F + (W - 1) * F + data.seriesTargetFeature)];
        for (int64_t h = 0; h < H; ++h) {
            const double d
                = (static_cast<double>(last) - data.targets[static_cast<size_t>(i * H + h)]) * data.targetScale;
            sse += d * d;
            sae += std::abs(d);
            ++count;
        }
    }
    b.samples = static_cast<int64_t>(indices.size());
    b.rmse = count ? std::sqrt(sse / static_cast<double>(count)) : std::nan("");
    b.mae = count ? sae / static_cast<double>(count) : std::nan("");
    return b;
}

// ---- text ---------------------------------------------------------------------------------

std::vector<std::string> tokenize(const std::string& text, const std::string& mode)
{
    std::vector<std::string> out;
    if (mode == "char") {
        for (size_t i = 0; i < text.size();) {
            const unsigned char c = static_cast<unsigned char>(text[i]);
            size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
            len = std::min(len, text.size() - i);
            std::string t = text.substr(i, len);
            if (len == 1) {
                char ch = static_cast<char>(std::tolower(c));
                if (ch == '\n' || ch == '\r' || ch == '\t')
                    ch = ' ';
                t = std::string(1, ch);
            }
            if (!(t == " " && !out.empty() && out.back() == " "))
                out.push_back(std::move(t));
            i += len;
        }
        return out;
    }
    if (mode != "word")
        throw FormatError("tokens must be 'char' or 'word', not '" + mode + "'");
    std::string word;
    for (size_t i = 0; i <= text.size(); ++i) {
        const unsigned char c = i < text.size() ? static_cast<unsigned char>(text[i]) : ' ';
        if (std::isalnum(c) || c >= 0x80 || c == '\'') {
            word.push_back(static_cast<char>(std::tolower(c)));
        } else if (!word.empty()) {
            while (!word.empty() && word.front() == '\'')
                word.erase(word.begin());
            while (!word.empty() && word.back() == '\'')
                word.pop_back();
            if (!word.empty())
                out.push_back(word);
            word.clear();
        }
    }
    return out;
}

Dataset loadTextDataset(const std::string& path, const DatasetOptions& options)
{
    if (options.sequenceLength < 1 || options.sequenceLength > 100000)
        throw DataError(
            path + ": the sequence length must be 1 to 100000 tokens, not " + std::to_string(options.sequenceLength));
    if (options.maxVocabulary < 3 || options.maxVocabulary > (1 << 24))
        throw DataError(
            path + ": the vocabulary size must be 3 to 16777216, not " + std::to_string(options.maxVocabulary));
    tokenize("", options.tokens); // checks the mode
    std::vector<std::string> texts, rawLabels, sources;
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        std::vector<fs::path> classes;
        for (const auto& e : fs::directory_iterator(path, ec))
            if (e.is_directory())
                classes.push_back(e.path());
        std::sort(classes.begin(), classes.end());
        if (classes.size() < 2)
            throw DataError(path + ": a text folder needs one subfolder per class (at least 2), found "
                + std::to_string(classes.size()));
        for (const fs::path& c : classes) {
            std::vector<fs::path> files;
            for (const auto& e : fs::directory_iterator(c, ec))
                if (e.is_regular_file() && e.path().filename().string().front() != '.')
                    files.push_back(e.path());
            std::sort(files.begin(), files.end());
            if (files.empty())
                throw DataError(c.string() + ": class folder holds no text files");
            for (const fs::path& f : files) {
                texts.push_back(readWhole(f.string()));
                rawLabels.push_back(c.filename().string());
                sources.push_back(f.string());
            }
        }
    } else {
        const std::string text = readWhole(path);
        for (const TextLine& l : nonBlankLines(text)) {
            const size_t tab = l.text.find('\t');
            if (tab == std::string_view::npos)
                throw FormatError(
                    path + ":" + std::to_string(l.number) + ": expected 'label<TAB>text' (a tab after the label)");
            const std::string label(trim(l.text.substr(0, tab)));
            if (label.empty())
                throw FormatError(path + ":" + std::to_string(l.number) + ": empty label");
            texts.emplace_back(l.text.substr(tab + 1));
            rawLabels.push_back(label);
            sources.push_back(path + ":" + std::to_string(l.number));
        }
        if (texts.empty())
            throw DataError(path + ": no lines of 'label<TAB>text'");
    }

    Dataset ds;
    ds.root = path;
    ds.format = "text";
    ds.tokenInputs = true;
    {
        std::map<std::string, int32_t> index;
        for (const auto& l : rawLabels)
            index.emplace(l, 0);
        if (static_cast<int64_t>(index.size()) > limits::kMaxClasses)
            throw DataError(path + ": more than " + std::to_string(limits::kMaxClasses) + " distinct labels");
        if (index.size() < 2)
            throw DataError(
                path + ": every text has the label '" + rawLabels.front() + "': a classifier needs at least 2 classes");
        int32_t k = 0;
        for (auto& [name, id] : index) {
            id = k++;
            ds.classNames.push_back(name);
        }
        for (const auto& l : rawLabels)
            ds.labels.push_back(index[l]);
    }
    const int64_t n = ds.size();
    const int64_t L = options.sequenceLength;
    if (n > limits::kMaxTensorElements / L)
        throw DataError(path + ": " + std::to_string(n) + " texts of " + std::to_string(L)
            + " tokens are more than NetCanvas holds: a shorter sequence length");
    ds.sources = std::move(sources);
    const DataSplit split = splitDataset(ds, options.validationFraction, options.testFraction, options.seed);
    ds.presetSplit.assign(static_cast<size_t>(n), 0);
    for (int64_t i : split.validation)
        ds.presetSplit[static_cast<size_t>(i)] = 1;
    for (int64_t i : split.test)
        ds.presetSplit[static_cast<size_t>(i)] = 2;

    std::vector<std::vector<std::string>> tokens(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
        tokens[static_cast<size_t>(i)] = tokenize(texts[static_cast<size_t>(i)], options.tokens);
    // The vocabulary: the training split's tokens, most frequent first (ties alphabetical).
    std::unordered_map<std::string, int64_t> counts;
    for (int64_t i : split.train)
        for (const auto& t : tokens[static_cast<size_t>(i)])
            ++counts[t];
    std::vector<std::pair<std::string, int64_t>> byCount(counts.begin(), counts.end());
    std::sort(byCount.begin(), byCount.end(),
        [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
    const size_t keep = std::min(byCount.size(), static_cast<size_t>(options.maxVocabulary - 2));
    ds.vocabulary = { "<pad>", "<unk>" };
    std::unordered_map<std::string, int32_t> ids;
    for (size_t k = 0; k < keep; ++k) {
        ids.emplace(byCount[k].first, static_cast<int32_t>(ds.vocabulary.size()));
        ds.vocabulary.push_back(byCount[k].first);
    }
    ds.channels = 1;
    ds.height = 1;
    ds.width = static_cast<int>(L);
    ds.features.assign(static_cast<size_t>(n * L), 0.0f);
    ds.sequenceLengths.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        const auto& t = tokens[static_cast<size_t>(i)];
        ds.sequenceLengths[static_cast<size_t>(i)] = static_cast<int32_t>(std::min<size_t>(t.size(), INT32_MAX));
        float* x = ds.features.data() + static_cast<size_t>(i * L);
        for (int64_t k = 0; k < L && static_cast<size_t>(k) < t.size(); ++k) {
            const auto found = ids.find(t[static_cast<size_t>(k)]);
            x[k] = static_cast<float>(found == ids.end() ? 1 : found->second);
        }
        if (ds.examples.size() < 20)
            ds.examples.push_back(ds.classNames[static_cast<size_t>(ds.labels[static_cast<size_t>(i)])] + "\t"
                + texts[static_cast<size_t>(i)].substr(0, 200));
    }
    int64_t truncated = 0;
    for (int32_t len : ds.sequenceLengths)
        truncated += len > L ? 1 : 0;
    ds.notes.push_back(std::to_string(n) + " texts, " + options.tokens + " tokens, vocabulary of "
        + std::to_string(ds.vocabulary.size()) + " (from the " + std::to_string(split.train.size())
        + " training texts, with <pad> and <unk>), length " + std::to_string(L) + " (" + std::to_string(truncated)
        + " truncated)");
    if (options.progress && !options.progress(n, n))
        throw DataError(path + ": loading cancelled");
    return ds;
}

} // namespace netcanvas
