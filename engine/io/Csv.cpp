#include "engine/io/Csv.h"

namespace netcanvas {

std::string csvQuoted(const std::string& s)
{
    std::string out = "\"";
    for (char c : s)
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string csvField(const std::string& s)
{
    const bool quote
        = s.find_first_of(",\"\r\n") != std::string::npos || (!s.empty() && (s.front() == ' ' || s.back() == ' '));
    return quote ? csvQuoted(s) : s;
}

} // namespace netcanvas
