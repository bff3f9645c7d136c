#pragma once
// CSV fields as RFC 4180 writes them, for every CSV the project writes (labels, predictions,
// metrics): one definition of the quoting rule.
#include <string>
#include <string_view>
#include <vector>

namespace netcanvas {

// The field as is, or in double quotes (inner quotes doubled) when it holds a comma, a quote,
// a line break, or starts or ends with a space.
std::string csvField(const std::string& s);
// Always in double quotes (inner quotes doubled): for names in a header row.
std::string csvQuoted(const std::string& s);

// A text file's lines that hold more than spaces, tabs and CRs, numbered from 1 for messages,
// a CR before each LF dropped: how every reader of line-based data (CSV, series, text) splits
// its file. The views point into `text`.
struct TextLine {
    int number = 0; // 1-based
    std::string_view text;
};
std::vector<TextLine> nonBlankLines(std::string_view text);

} // namespace netcanvas
