#include "engine/train/Metrics.h"

#include "engine/core/Error.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace netcanvas {

void ConfusionMatrix::reset(int classes)
{
    m_classes = std::max(0, classes);
    m_counts.assign(static_cast<size_t>(m_classes) * static_cast<size_t>(m_classes), 0);
}

void ConfusionMatrix::add(int truth, int predicted, int64_t count)
{
    if (truth < 0 || truth >= m_classes || predicted < 0 || predicted >= m_classes)
        throw DataError("confusion matrix: class pair (" + std::to_string(truth) + ", " + std::to_string(predicted)
            + ") outside [0, " + std::to_string(m_classes) + ")");
    m_counts[static_cast<size_t>(truth * m_classes + predicted)] += count;
}

void ConfusionMatrix::addBatch(const Tensor& scores, const std::vector<int32_t>& labels)
{
    if (scores.shape().rank() < 1 || scores.shape()[0] != static_cast<int64_t>(labels.size()))
        throw ShapeError(
            "confusion matrix: " + std::to_string(labels.size()) + " labels for scores " + scores.shape().toString());
    for (size_t r = 0; r < labels.size(); ++r)
        add(labels[r], argmaxRow(scores, static_cast<int64_t>(r)));
}

int64_t ConfusionMatrix::total() const
{
    int64_t t = 0;
    for (int64_t c : m_counts)
        t += c;
    return t;
}

double ConfusionMatrix::accuracy() const
{
    const int64_t t = total();
    if (t == 0)
        return std::numeric_limits<double>::quiet_NaN();
    int64_t correct = 0;
    for (int c = 0; c < m_classes; ++c)
        correct += at(c, c);
    return static_cast<double>(correct) / static_cast<double>(t);
}

double ConfusionMatrix::precision(int c) const
{
    int64_t predicted = 0;
    for (int t = 0; t < m_classes; ++t)
        predicted += at(t, c);
    return predicted == 0 ? 0.0 : static_cast<double>(at(c, c)) / static_cast<double>(predicted);
}

double ConfusionMatrix::recall(int c) const
{
    const int64_t s = support(c);
    return s == 0 ? 0.0 : static_cast<double>(at(c, c)) / static_cast<double>(s);
}

double ConfusionMatrix::f1(int c) const
{
    const double p = precision(c), r = recall(c);
    return p + r == 0.0 ? 0.0 : 2.0 * p * r / (p + r);
}

int64_t ConfusionMatrix::support(int c) const
{
    int64_t s = 0;
    for (int p = 0; p < m_classes; ++p)
        s += at(c, p);
    return s;
}

namespace {

// Display width of UTF-8 text: one column per code point (class names come from folder names).
size_t columns(const std::string& s)
{
    size_t n = 0;
    for (unsigned char ch : s)
        if ((ch & 0xC0) != 0x80)
            ++n;
    return n;
}

// At most `width` columns: long names keep their start and end ("very_lo…name").
std::string fitName(const std::string& s, size_t width)
{
    if (columns(s) <= width)
        return s;
    // Byte offsets of each code point.
    std::vector<size_t> starts;
    for (size_t i = 0; i < s.size(); ++i)
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80)
            starts.push_back(i);
    const size_t keep = width - 1; // one column for the ellipsis
    const size_t tail = keep / 3;
    const size_t head = keep - tail;
    return s.substr(0, starts[head]) + "\u2026" + s.substr(starts[starts.size() - tail]);
}

std::string padRight(const std::string& s, size_t width)
{
    const size_t c = columns(s);
    return c >= width ? s : s + std::string(width - c, ' ');
}

std::string padLeft(const std::string& s, size_t width)
{
    const size_t c = columns(s);
    return c >= width ? s : std::string(width - c, ' ') + s;
}

// "[3]", built by appending: GCC 12 warns falsely (-Wrestrict) on "[" + to_string(c) + "]".
std::string bracket(int c)
{
    std::string s = "[";
    s.append(std::to_string(c));
    s.push_back(']');
    return s;
}

std::string fixed(double v, int decimals)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

} // namespace

std::string ConfusionMatrix::toText(const std::vector<std::string>& classNames) const
{
    constexpr size_t kMaxName = 20;
    std::vector<std::string> names;
    size_t nameWidth = 5; // "class"
    for (int c = 0; c < m_classes; ++c) {
        std::string n = static_cast<size_t>(c) < classNames.size() ? classNames[static_cast<size_t>(c)] : std::string();
        if (n.empty())
            n = std::to_string(c);
        n = fitName(n, kMaxName);
        nameWidth = std::max(nameWidth, columns(n));
        names.push_back(std::move(n));
    }
    // Columns of the matrix are labelled by class index (names would make it too wide).
    int64_t largest = 0;
    for (int64_t v : m_counts)
        largest = std::max(largest, v);
    const size_t idxWidth = 2 + std::to_string(std::max(0, m_classes - 1)).size();
    const size_t cellWidth = std::max<size_t>(std::to_string(largest).size() + 1, idxWidth) + 1;
    const size_t labelWidth = nameWidth + idxWidth + 1;

    std::string out = "Confusion matrix (rows: true class, columns: predicted class)\n";
    out += padRight("", labelWidth);
    for (int c = 0; c < m_classes; ++c)
        out += padLeft(bracket(c), cellWidth);
    out += "\n";
    for (int t = 0; t < m_classes; ++t) {
        out += padRight(bracket(t), idxWidth) + " " + padRight(names[static_cast<size_t>(t)], nameWidth);
        for (int p = 0; p < m_classes; ++p)
            out += padLeft(std::to_string(at(t, p)), cellWidth);
        out += "\n";
    }
    out += "\n";
    const size_t numWidth = 11;
    out += padRight("class", labelWidth) + padLeft("precision", numWidth) + padLeft("recall", numWidth)
        + padLeft("f1", numWidth) + padLeft("support", numWidth) + "\n";
    for (int c = 0; c < m_classes; ++c) {
        out += padRight(bracket(c), idxWidth) + " " + padRight(names[static_cast<size_t>(c)], nameWidth);
        out += padLeft(fixed(precision(c), 3), numWidth) + padLeft(fixed(recall(c), 3), numWidth)
            + padLeft(fixed(f1(c), 3), numWidth) + padLeft(std::to_string(support(c)), numWidth) + "\n";
    }
    const double acc = accuracy();
    out += padRight("accuracy", labelWidth)
        + padLeft(std::isnan(acc) ? std::string("n/a") : fixed(acc, 3), numWidth * 3)
        + padLeft(std::to_string(total()), numWidth) + "\n";
    return out;
}

int argmaxRow(const Tensor& scores, int64_t row)
{
    const int64_t k = scores.sampleSize();
    const float* p = scores.data() + row * k;
    int64_t best = 0;
    for (int64_t j = 1; j < k; ++j)
        if (p[j] > p[best] || (std::isnan(p[best]) && !std::isnan(p[j])))
            best = j;
    return static_cast<int>(best);
}

void RegressionMetrics::add(const float* predicted, const float* target, int64_t count)
{
    for (int64_t i = 0; i < count; ++i) {
        const double t = target[i];
        const double d = static_cast<double>(predicted[i]) - t;
        m_sse += d * d;
        m_sae += std::abs(d);
        m_sum += t;
        m_sumSquares += t * t;
    }
    m_count += count;
}

double RegressionMetrics::rmse(double scale) const
{
    return m_count ? std::sqrt(m_sse / static_cast<double>(m_count)) * scale : std::numeric_limits<double>::quiet_NaN();
}

double RegressionMetrics::mae(double scale) const
{
    return m_count ? m_sae / static_cast<double>(m_count) * scale : std::numeric_limits<double>::quiet_NaN();
}

double RegressionMetrics::r2() const
{
    if (m_count == 0)
        return std::numeric_limits<double>::quiet_NaN();
    const double n = static_cast<double>(m_count);
    const double sst = m_sumSquares - m_sum * m_sum / n;
    if (!(sst > 1e-12 * std::max(1.0, m_sumSquares)))
        return std::numeric_limits<double>::quiet_NaN();
    return 1.0 - m_sse / sst;
}

} // namespace netcanvas
