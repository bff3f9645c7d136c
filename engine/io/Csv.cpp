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

std::vector<TextLine> nonBlankLines(std::string_view all)
{
    std::vector<TextLine> lines;
    int number = 0;
    size_t pos = 0;
    while (pos <= all.size()) {
        size_t end = all.find('\n', pos);
        if (end == std::string_view::npos)
            end = all.size();
        ++number;
        std::string_view l = all.substr(pos, end - pos);
        if (!l.empty() && l.back() == '\r')
            l.remove_suffix(1);
        if (l.find_first_not_of(" \t\r") != std::string_view::npos)
            lines.push_back({ number, l });
        if (end == all.size())
            break;
        pos = end + 1;
    }
    return lines;
}

} // namespace netcanvas
