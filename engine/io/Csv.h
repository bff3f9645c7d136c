#pragma once
// CSV fields as RFC 4180 writes them, for every CSV the project writes (labels, predictions,
// metrics): one definition of the quoting rule.
#include <string>

namespace netcanvas {

// The field as is, or in double quotes (inner quotes doubled) when it holds a comma, a quote,
// a line break, or starts or ends with a space.
std::string csvField(const std::string& s);
// Always in double quotes (inner quotes doubled): for names in a header row.
std::string csvQuoted(const std::string& s);

} // namespace netcanvas
