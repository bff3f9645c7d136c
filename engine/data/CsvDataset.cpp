// CSV datasets: "path,label" rows (images) or numeric features with the label last.
#include "engine/core/Error.h"
#include "engine/core/Limits.h"
#include "engine/data/Dataset.h"
#include "engine/data/ImageDecode.h"
#include "engine/io/Csv.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string_view>

namespace netcanvas {

namespace fs = std::filesystem;

namespace {

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

bool parseNumber(std::string_view s, float& v)
{
    s = trim(s);
    if (!s.empty() && s.front() == '+')
        s.remove_prefix(1);
    if (s.empty())
        return false;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(v);
}

bool isNumber(std::string_view s)
{
    float v;
    return parseNumber(s, v);
}

// A non-negative integer label such as "7" (not "7.0", not "-1").
bool parseClassIndex(std::string_view s, int& v)
{
    s = trim(s);
    if (s.empty() || s.size() > 9)
        return false;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc() && r.ptr == s.data() + s.size() && v >= 0;
}

// One line split into fields. Quoted fields ("a, b" and "say ""hi""") are unescaped into
// `scratch`; the views stay valid until the next split.
class LineSplitter {
public:
    explicit LineSplitter(char delimiter)
        : m_delim(delimiter)
    {
    }

    // Returns false with `error` set for an unterminated quote.
    bool split(std::string_view line, std::vector<std::string_view>& fields, std::string& error)
    {
        fields.clear();
        m_scratch.clear();
        m_scratch.reserve(line.size());
        size_t i = 0;
        const size_t n = line.size();
        while (true) {
            // Skip leading blanks of the field.
            size_t s = i;
            while (s < n && line[s] != m_delim && (line[s] == ' ' || line[s] == '\t'))
                ++s;
            if (s < n && line[s] == '"') {
                const size_t begin = m_scratch.size();
                size_t k = s + 1;
                bool closed = false;
                while (k < n) {
                    if (line[k] == '"') {
                        if (k + 1 < n && line[k + 1] == '"') {
                            m_scratch.push_back('"');
                            k += 2;
                            continue;
                        }
                        closed = true;
                        ++k;
                        break;
                    }
                    m_scratch.push_back(line[k++]);
                }
                if (!closed) {
                    error = "unterminated quoted field";
                    return false;
                }
                fields.emplace_back(m_scratch.data() + begin, m_scratch.size() - begin);
                while (k < n && line[k] != m_delim)
                    ++k; // blanks after the closing quote
                i = k;
            } else {
                size_t k = i;
                while (k < n && line[k] != m_delim)
                    ++k;
                fields.push_back(trim(line.substr(i, k - i)));
                i = k;
            }
            if (i >= n)
                break;
            ++i; // the delimiter
        }
        return true;
    }

private:
    char m_delim;
    std::string m_scratch;
};

using Line = TextLine; // engine/io/Csv.h

std::string lowerCopy(std::string_view s)
{
    std::string r(s);
    std::transform(r.begin(), r.end(), r.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    return r;
}

bool looksLikeHeaderWord(std::string_view s)
{
    static const char* const words[] = { "path", "file", "filename", "file_name", "image", "img", "image_path",
        "filepath", "label", "labels", "class", "classname", "class_name", "target", "y", "category" };
    const std::string l = lowerCopy(trim(s));
    for (const char* w : words)
        if (l == w)
            return true;
    return false;
}

// Maps raw label strings to class indices: the classes are the distinct labels seen, at most
// limits::kMaxClasses of them — integers in numeric order ("2", "7", "10"), otherwise sorted
// strings. A label of 999999999 is one class, not a billion.
std::vector<int32_t> mapLabels(
    const std::vector<std::string>& raw, std::vector<std::string>& classNames, const std::string& path)
{
    std::vector<int32_t> out(raw.size());
    bool allInts = !raw.empty();
    for (size_t i = 0; i < raw.size() && allInts; ++i) {
        int v = 0;
        allInts = parseClassIndex(raw[i], v);
    }
    auto numeric = [allInts](const std::string& a, const std::string& b) {
        if (!allInts)
            return a < b;
        int x = 0, y = 0;
        parseClassIndex(a, x);
        parseClassIndex(b, y);
        return x < y;
    };
    std::map<std::string, int32_t, decltype(numeric)> index(numeric);
    for (const auto& r : raw) {
        index.emplace(r, 0);
        if (static_cast<int64_t>(index.size()) > limits::kMaxClasses)
            throw DataError(path + ": more than " + std::to_string(limits::kMaxClasses)
                + " distinct labels: a label column of classes is expected (the last column)");
    }
    classNames.clear();
    int32_t k = 0;
    for (auto& [name, idx] : index) {
        idx = k++;
        int v = 0;
        classNames.push_back(allInts && parseClassIndex(name, v) ? std::to_string(v) : name);
    }
    for (size_t i = 0; i < raw.size(); ++i)
        out[i] = index[raw[i]];
    return out;
}

// A column by header name (exact, then case-insensitive) or 1-based index.
size_t findTargetColumn(const std::string& asked, const std::vector<std::string>& names, const std::string& path)
{
    for (size_t c = 0; c < names.size(); ++c)
        if (names[c] == asked)
            return c;
    for (size_t c = 0; c < names.size(); ++c)
        if (lowerCopy(names[c]) == lowerCopy(asked))
            return c;
    int index = 0;
    if (parseClassIndex(asked, index) && index >= 1 && static_cast<size_t>(index) <= names.size())
        return static_cast<size_t>(index - 1);
    std::string known;
    for (const auto& n : names)
        known += (known.empty() ? "" : ", ") + n;
    throw DataError(path + ": no target column '" + asked + "' (columns: " + known + "; or 1 to "
        + std::to_string(names.size()) + ")");
}

// Numeric features with the target in a chosen column: a real-valued target (regression) or a
// class label (classification). Every other column must be numeric.
Dataset loadCsvTable(const std::string& path, const std::vector<std::string_view>& lineTexts,
    const std::vector<int>& lineNumbers, char delim, const DatasetOptions& options)
{
    const bool regression = options.task == "regression";
    LineSplitter splitter(delim);
    std::vector<std::string_view> fields;
    std::string error;
    auto where = [&](size_t r) { return path + ":" + std::to_string(lineNumbers[r]) + ": "; };
    auto splitLine = [&](size_t r) {
        if (!splitter.split(lineTexts[r], fields, error))
            throw FormatError(where(r) + error);
    };
    splitLine(0);
    const size_t columns = fields.size();
    if (columns < 2)
        throw FormatError(
            where(0) + "expected at least 2 columns (features and a target), found " + std::to_string(columns));
    bool header = false;
    for (auto f : fields)
        header = header || !isNumber(f);
    std::vector<std::string> names;
    for (size_t c = 0; c < columns; ++c)
        names.push_back(header ? std::string(trim(fields[c])) : std::to_string(c + 1));
    const size_t target = options.target.empty() ? columns - 1 : findTargetColumn(options.target, names, path);
    const size_t firstData = header ? 1 : 0;
    if (firstData >= lineTexts.size())
        throw DataError(path + ": the CSV file has a header row but no data rows");
    const size_t n = columns - 1;
    Dataset ds;
    ds.root = path;
    ds.format = regression ? "csv-regression" : "csv-features";
    std::vector<std::string> rawLabels;
    ds.features.reserve(n * (lineTexts.size() - firstData));
    for (size_t r = firstData; r < lineTexts.size(); ++r) {
        splitLine(r);
        if (fields.size() != columns)
            throw FormatError(where(r) + "expected " + std::to_string(columns) + " columns (" + std::to_string(n)
                + " features and the target '" + names[target] + "'), found " + std::to_string(fields.size()));
        for (size_t k = 0; k < columns; ++k) {
            if (k == target)
                continue;
            float v = 0.0f;
            if (!parseNumber(fields[k], v))
                throw FormatError(
                    where(r) + "column '" + names[k] + "': '" + std::string(fields[k]) + "' is not a number");
            ds.features.push_back(v);
        }
        if (regression) {
            float v = 0.0f;
            if (!parseNumber(fields[target], v))
                throw FormatError(where(r) + "target column '" + names[target] + "': '" + std::string(fields[target])
                    + "' is not a number");
            ds.targets.push_back(v);
        } else {
            if (fields[target].empty())
                throw FormatError(where(r) + "empty label in column '" + names[target] + "'");
            rawLabels.emplace_back(fields[target]);
        }
        ds.sources.push_back(path + ":" + std::to_string(lineNumbers[r]));
    }
    if (regression) {
        ds.labels.assign(ds.targets.size(), 0);
        ds.targetShape = Shape { 1 };
    } else {
        ds.labels = mapLabels(rawLabels, ds.classNames, path);
    }
    ds.channels = static_cast<int>(n);
    ds.height = 1;
    ds.width = 1;
    ds.notes.push_back(std::string(regression ? "regression target" : "label") + " column '" + names[target] + "' ("
        + std::to_string(target + 1) + " of " + std::to_string(columns) + "), " + std::to_string(n) + " features");
    if (options.progress && !options.progress(ds.size(), ds.size()))
        throw DataError(path + ": loading cancelled");
    return ds;
}

} // namespace

Dataset loadCsvDataset(const std::string& path, const DatasetOptions& options)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw IoError(path + ": cannot open");
    std::error_code sizeError;
    const auto fileBytes = fs::file_size(path, sizeError);
    if (!sizeError && fileBytes > static_cast<uintmax_t>(limits::kMaxCsvBytes))
        throw DataError(path + ": the CSV file has " + std::to_string(fileBytes) + " bytes, more than the "
            + std::to_string(limits::kMaxCsvBytes >> 30)
            + " GiB NetCanvas reads (it is read whole): split it, or use image folders or IDX");
    std::ostringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();
    if (in.bad())
        throw IoError(path + ": read error");

    // Lines (1-based numbers kept for messages), blank ones dropped, BOM removed.
    std::string_view all(text);
    if (all.substr(0, 3) == "\xEF\xBB\xBF")
        all.remove_prefix(3);
    const std::vector<Line> lines = nonBlankLines(all);
    if (lines.empty())
        throw DataError(path + ": the CSV file has no rows");

    // Delimiter: comma, unless the first line has none but has semicolons or tabs.
    char delim = ',';
    if (lines[0].text.find(',') == std::string_view::npos) {
        if (lines[0].text.find(';') != std::string_view::npos)
            delim = ';';
        else if (lines[0].text.find('\t') != std::string_view::npos)
            delim = '\t';
    }

    if (options.task == "regression" || !options.target.empty()) {
        std::vector<std::string_view> texts;
        std::vector<int> numbers;
        for (const Line& l : lines) {
            texts.push_back(l.text);
            numbers.push_back(l.number);
        }
        return loadCsvTable(path, texts, numbers, delim, options);
    }

    LineSplitter splitter(delim);
    std::vector<std::string_view> fields;
    std::string error;
    auto where = [&](const Line& l) { return path + ":" + std::to_string(l.number) + ": "; };
    auto splitLine = [&](const Line& l) {
        if (!splitter.split(l.text, fields, error))
            throw FormatError(where(l) + error);
    };
    auto numericPrefix = [&](const Line& l) {
        splitLine(l);
        if (fields.size() < 2)
            return false;
        for (size_t k = 0; k + 1 < fields.size(); ++k)
            if (!isNumber(fields[k]))
                return false;
        return true;
    };

    // Kind and header detection on the first two rows.
    bool featuresKind = false;
    size_t firstData = 0;
    if (numericPrefix(lines[0])) {
        featuresKind = true;
    } else if (lines.size() > 1 && numericPrefix(lines[1])) {
        featuresKind = true;
        firstData = 1; // the first row is a header: text where numbers are expected
    } else {
        splitLine(lines[0]);
        const std::vector<std::string> first(fields.begin(), fields.end());
        if (first.size() == 2) {
            fs::path p0(first[0]);
            if (p0.is_relative())
                p0 = fs::path(path).parent_path() / p0;
            std::error_code ec;
            const bool fileExists = !first[0].empty() && fs::is_regular_file(p0, ec);
            if (!fileExists) {
                int v = 0;
                bool secondHasIntLabel = false;
                if (lines.size() > 1) {
                    splitLine(lines[1]);
                    secondHasIntLabel = fields.size() == 2 && parseClassIndex(fields[1], v);
                }
                // Not a file, and: text where the next row has a class index, a usual column
                // name, or no image extension (a data row names an image file).
                if ((secondHasIntLabel && !parseClassIndex(first[1], v)) || looksLikeHeaderWord(first[0])
                    || looksLikeHeaderWord(first[1]) || !detail::isImageFileName(first[0]))
                    firstData = 1;
            }
        } else if (lines.size() == 1 && first.size() >= 2 && (first.size() > 2 || looksLikeHeaderWord(first.back()))) {
            // One row of column names and nothing under it (a numeric CSV's header alone).
            firstData = 1;
        } else if (lines.size() > 1 && first.size() >= 2) {
            // A header over rows of another shape: let the row check below report line 2.
            if (looksLikeHeaderWord(first[0]) || looksLikeHeaderWord(first.back()))
                firstData = 1;
        }
    }
    if (firstData >= lines.size())
        throw DataError(path + ": the CSV file has a header row but no data rows");

    Dataset ds;
    ds.root = path;
    std::vector<std::string> rawLabels;
    rawLabels.reserve(lines.size() - firstData);

    if (featuresKind) {
        splitLine(lines[firstData]);
        const size_t columns = fields.size();
        const size_t n = columns - 1;
        ds.format = "csv-features";
        ds.features.reserve(n * (lines.size() - firstData));
        for (size_t r = firstData; r < lines.size(); ++r) {
            const Line& l = lines[r];
            splitLine(l);
            if (fields.size() != columns)
                throw FormatError(where(l) + "expected " + std::to_string(columns) + " columns (" + std::to_string(n)
                    + " features and a label), found " + std::to_string(fields.size()));
            for (size_t k = 0; k < n; ++k) {
                float v = 0.0f;
                if (!parseNumber(fields[k], v))
                    throw FormatError(where(l) + "column " + std::to_string(k + 1) + ": '" + std::string(fields[k])
                        + "' is not a number");
                ds.features.push_back(v);
            }
            if (fields[n].empty())
                throw FormatError(where(l) + "empty label");
            rawLabels.emplace_back(fields[n]);
            ds.sources.push_back(path + ":" + std::to_string(l.number));
        }
        ds.labels = mapLabels(rawLabels, ds.classNames, path);
        const int64_t asked = static_cast<int64_t>(options.channels) * options.height * options.width;
        if (options.channels > 0 && options.height > 0 && options.width > 0 && asked == static_cast<int64_t>(n)) {
            ds.channels = options.channels;
            ds.height = options.height;
            ds.width = options.width;
        } else {
            ds.channels = static_cast<int>(n);
            ds.height = 1;
            ds.width = 1;
        }
        if (options.progress && !options.progress(ds.size(), ds.size()))
            throw DataError(path + ": loading cancelled");
        return ds;
    }

    // "path,label" rows.
    ds.format = "csv-images";
    const fs::path base = fs::path(path).parent_path();
    std::vector<detail::ImageJob> jobs;
    for (size_t r = firstData; r < lines.size(); ++r) {
        const Line& l = lines[r];
        splitLine(l);
        if (fields.size() != 2)
            throw FormatError(where(l)
                + "expected 2 columns 'path,label' (or numeric features with the label last), found "
                + std::to_string(fields.size()));
        if (fields[0].empty())
            throw FormatError(where(l) + "empty image path");
        if (fields[1].empty())
            throw FormatError(where(l) + "empty label");
        fs::path p { std::string(fields[0]) };
        if (p.is_relative())
            p = base / p;
        jobs.push_back({ p.lexically_normal().string(), 0 });
        rawLabels.emplace_back(fields[1]);
    }
    const std::vector<int32_t> labels = mapLabels(rawLabels, ds.classNames, path);
    for (size_t i = 0; i < jobs.size(); ++i)
        jobs[i].label = labels[i];

    detail::DecodedImages decoded = detail::decodeImages(jobs, options, path);
    if (decoded.labels.empty()) {
        std::string first = decoded.skipped.empty()
            ? std::string()
            : " (first: " + decoded.skipped.front().path + ": " + decoded.skipped.front().reason + ")";
        throw DataError(path + ": none of the " + std::to_string(jobs.size()) + " images could be read" + first);
    }
    ds.channels = decoded.channels;
    ds.height = decoded.height;
    ds.width = decoded.width;
    ds.pixels = std::move(decoded.pixels);
    ds.labels = std::move(decoded.labels);
    ds.sources = std::move(decoded.sources);
    ds.skipped = std::move(decoded.skipped);
    return ds;
}

} // namespace netcanvas
