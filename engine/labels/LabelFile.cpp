// The sidecar and journal text formats. The sidecar is read with a small JSON parser of its
// own that remembers where each value is, so that any problem — a syntax error or a class
// that does not exist — is reported as "netcanvas-labels.json:12:5: ..." (nlohmann::json
// knows positions only for syntax errors).
#include "engine/labels/LabelFile.h"

#include "engine/core/Error.h"
#include "engine/labels/ImageScan.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <set>
#include <unordered_map>

namespace netcanvas {

namespace {

// ---- A JSON reader that keeps line:column of every value and key -------------------

struct Pos {
    int line = 1, col = 1;
};

struct PValue {
    enum class Type { Null, Bool, Number, String, Array, Object };
    Type type = Type::Null;
    Pos pos;
    std::string str; // String; Number: its text
    double number = 0;
    bool boolean = false;
    std::vector<PValue> items;
    struct Member;
    std::vector<Member> members;
};

struct PValue::Member {
    std::string key;
    Pos keyPos;
    PValue value;
};

class PositionParser {
public:
    PositionParser(const std::string& text, const std::string& source)
        : m_text(text)
        , m_source(source)
    {
        if (m_text.size() >= 3 && m_text.compare(0, 3, "\xEF\xBB\xBF") == 0)
            m_i = 3; // UTF-8 byte order mark
    }

    PValue parseDocument()
    {
        skipSpace();
        if (m_i >= m_text.size())
            fail(m_pos, "the file is empty");
        PValue v = parseValue(0);
        skipSpace();
        if (m_i < m_text.size())
            fail(m_pos, "invalid JSON: unexpected text after the end of the top-level object");
        return v;
    }

    [[noreturn]] void fail(Pos p, const std::string& what) const
    {
        throw FormatError(m_source + ":" + std::to_string(p.line) + ":" + std::to_string(p.col) + ": " + what);
    }

private:
    const std::string& m_text;
    const std::string& m_source;
    size_t m_i = 0;
    Pos m_pos;
    Pos m_valueEnd; // just after the last value read

    // Expected a separator or a closing bracket, found something else: when it is on a later
    // line than the value before it, the line at fault is the value's (a missing comma).
    [[noreturn]] void failSeparator(char close)
    {
        const std::string expected = std::string("expected ',' or '") + close + "'";
        if (!atEnd() && m_pos.line > m_valueEnd.line)
            fail(m_valueEnd,
                "invalid JSON: " + expected + " after this value (a missing comma at the end of the line?)");
        fail(m_pos, "invalid JSON: " + expected + ", found " + describe(peek()));
    }

    char peek() const { return m_i < m_text.size() ? m_text[m_i] : '\0'; }
    bool atEnd() const { return m_i >= m_text.size(); }

    void advance()
    {
        const auto c = static_cast<unsigned char>(m_text[m_i]);
        if (c == '\n') {
            ++m_pos.line;
            m_pos.col = 1;
        } else if ((c & 0xC0) != 0x80) { // columns count characters, not UTF-8 bytes
            ++m_pos.col;
        }
        ++m_i;
    }

    void skipSpace()
    {
        while (!atEnd()) {
            const char c = peek();
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
                break;
            advance();
        }
    }

    static std::string describe(char c)
    {
        if (c == '\0')
            return "the end of the file";
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x80)
            return "a stray character";
        return std::string("'") + c + "'";
    }

    PValue parseValue(int depth)
    {
        if (depth > 64)
            fail(m_pos, "invalid JSON: nested too deeply");
        PValue v;
        v.pos = m_pos;
        const char c = peek();
        if (c == '{') {
            v.type = PValue::Type::Object;
            parseObject(v, depth);
        } else if (c == '[') {
            v.type = PValue::Type::Array;
            parseArray(v, depth);
        } else if (c == '"') {
            v.type = PValue::Type::String;
            v.str = parseString();
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            v.type = PValue::Type::Number;
            parseNumber(v);
        } else if (literal("true")) {
            v.type = PValue::Type::Bool;
            v.boolean = true;
        } else if (literal("false")) {
            v.type = PValue::Type::Bool;
        } else if (literal("null")) {
            v.type = PValue::Type::Null;
        } else {
            fail(m_pos, "invalid JSON: expected a value, found " + describe(c));
        }
        m_valueEnd = m_pos;
        return v;
    }

    bool literal(const char* word)
    {
        const std::string w(word);
        if (m_text.compare(m_i, w.size(), w) != 0)
            return false;
        for (size_t k = 0; k < w.size(); ++k)
            advance();
        return true;
    }

    void parseObject(PValue& v, int depth)
    {
        advance(); // {
        skipSpace();
        if (peek() == '}') {
            advance();
            return;
        }
        while (true) {
            skipSpace();
            if (peek() != '"')
                fail(m_pos, "invalid JSON: expected a quoted key, found " + describe(peek()));
            PValue::Member m;
            m.keyPos = m_pos;
            m.key = parseString();
            skipSpace();
            if (peek() != ':')
                fail(m_pos, "invalid JSON: expected ':' after the key \"" + m.key + "\", found " + describe(peek()));
            advance();
            skipSpace();
            m.value = parseValue(depth + 1);
            v.members.push_back(std::move(m));
            skipSpace();
            if (peek() == ',') {
                const Pos comma = m_pos;
                advance();
                skipSpace();
                if (peek() == '}')
                    fail(comma, "invalid JSON: a comma after the last member (remove it)");
                continue;
            }
            if (peek() == '}') {
                advance();
                return;
            }
            failSeparator('}');
        }
    }

    void parseArray(PValue& v, int depth)
    {
        advance(); // [
        skipSpace();
        if (peek() == ']') {
            advance();
            return;
        }
        while (true) {
            skipSpace();
            v.items.push_back(parseValue(depth + 1));
            skipSpace();
            if (peek() == ',') {
                const Pos comma = m_pos;
                advance();
                skipSpace();
                if (peek() == ']')
                    fail(comma, "invalid JSON: a comma after the last item (remove it)");
                continue;
            }
            if (peek() == ']') {
                advance();
                return;
            }
            failSeparator(']');
        }
    }

    static void appendUtf8(std::string& out, uint32_t cp)
    {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    uint32_t hex4()
    {
        uint32_t v = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = peek();
            int d = -1;
            if (c >= '0' && c <= '9')
                d = c - '0';
            else if (c >= 'a' && c <= 'f')
                d = c - 'a' + 10;
            else if (c >= 'A' && c <= 'F')
                d = c - 'A' + 10;
            if (d < 0)
                fail(m_pos, "invalid JSON: \\u must be followed by 4 hex digits");
            v = v * 16 + static_cast<uint32_t>(d);
            advance();
        }
        return v;
    }

    std::string parseString()
    {
        const Pos start = m_pos;
        advance(); // "
        std::string out;
        while (true) {
            if (atEnd())
                fail(start, "invalid JSON: a string that never ends (a missing '\"'?)");
            const char c = peek();
            if (c == '"') {
                advance();
                break;
            }
            if (static_cast<unsigned char>(c) < 0x20)
                fail(m_pos,
                    c == '\n' ? "invalid JSON: a line break inside a string (a missing '\"'?)"
                              : "invalid JSON: a control character inside a string");
            if (c != '\\') {
                out += c;
                advance();
                continue;
            }
            const Pos escape = m_pos;
            advance();
            const char e = peek();
            if (atEnd())
                fail(start, "invalid JSON: a string that never ends");
            advance();
            switch (e) {
            case '"':
                out += '"';
                break;
            case '\\':
                out += '\\';
                break;
            case '/':
                out += '/';
                break;
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'u': {
                uint32_t cp = hex4();
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (peek() != '\\')
                        fail(escape, "invalid JSON: a lone UTF-16 surrogate");
                    advance();
                    if (peek() != 'u')
                        fail(escape, "invalid JSON: a lone UTF-16 surrogate");
                    advance();
                    const uint32_t lo = hex4();
                    if (lo < 0xDC00 || lo > 0xDFFF)
                        fail(escape, "invalid JSON: a lone UTF-16 surrogate");
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    fail(escape, "invalid JSON: a lone UTF-16 surrogate");
                }
                appendUtf8(out, cp);
                break;
            }
            default:
                fail(escape, std::string("invalid JSON: unknown escape '\\") + e + "'");
            }
        }
        if (!isValidUtf8(out))
            fail(start, "the string is not valid UTF-8");
        return out;
    }

    void parseNumber(PValue& v)
    {
        const size_t begin = m_i;
        const Pos start = m_pos;
        auto digits = [&] {
            const size_t s = m_i;
            while (peek() >= '0' && peek() <= '9')
                advance();
            return m_i > s;
        };
        if (peek() == '-')
            advance();
        if (peek() == '0')
            advance();
        else if (!digits())
            fail(start, "invalid JSON: a malformed number");
        if (peek() == '.') {
            advance();
            if (!digits())
                fail(start, "invalid JSON: a malformed number");
        }
        if (peek() == 'e' || peek() == 'E') {
            advance();
            if (peek() == '+' || peek() == '-')
                advance();
            if (!digits())
                fail(start, "invalid JSON: a malformed number");
        }
        v.str = m_text.substr(begin, m_i - begin);
        v.number = std::strtod(v.str.c_str(), nullptr);
    }
};

const char* typeName(PValue::Type t)
{
    switch (t) {
    case PValue::Type::Null:
        return "null";
    case PValue::Type::Bool:
        return "a boolean";
    case PValue::Type::Number:
        return "a number";
    case PValue::Type::String:
        return "a string";
    case PValue::Type::Array:
        return "an array";
    case PValue::Type::Object:
        return "an object";
    }
    return "?";
}

bool isNonNegativeInteger(const PValue& v)
{
    return v.type == PValue::Type::Number && v.str.find_first_of(".eE-") == std::string::npos && v.str.size() <= 18;
}

std::string quoted(const std::string& s)
{
    return nlohmann::json(s).dump();
}

std::string nowUtc()
{
    const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm {};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

nlohmann::json snapshotJson(const LabelSnapshot& s)
{
    nlohmann::json labels = nlohmann::json::object();
    for (const auto& [id, cls] : s.labels)
        labels[id] = cls;
    return nlohmann::json { { "classes", s.classes }, { "labels", std::move(labels) } };
}

// The checkpoint of a journal line, checked like a sidecar (without positions).
LabelSnapshot snapshotFromJson(const nlohmann::json& j, int64_t seq, const std::string& where)
{
    auto bad = [&](const std::string& why) { throw FormatError(where + ": checkpoint: " + why); };
    if (!j.is_object() || !j.contains("classes") || !j["classes"].is_array() || !j.contains("labels")
        || !j["labels"].is_object())
        bad("must hold \"classes\" (an array) and \"labels\" (an object)");
    LabelSnapshot s;
    s.seq = seq;
    std::set<std::string> names;
    for (const auto& c : j["classes"]) {
        if (!c.is_string())
            bad("class names must be strings");
        const std::string name = c.get<std::string>();
        if (const std::string p = classNameProblem(name); !p.empty())
            bad("class " + quoted(name) + ": " + p);
        if (!names.insert(name).second)
            bad("class " + quoted(name) + " is listed twice");
        s.classes.push_back(name);
    }
    for (const auto& [id, cls] : j["labels"].items()) {
        if (const std::string p = imageIdProblem(id); !p.empty())
            bad("image " + quoted(id) + ": " + p);
        if (cls.is_null())
            continue;
        if (!cls.is_string() || !names.count(cls.get<std::string>()))
            bad("image " + quoted(id) + ": its class is not in \"classes\"");
        s.labels[id] = cls.get<std::string>();
    }
    return s;
}

} // namespace

std::string classNameProblem(const std::string& name)
{
    if (name.empty())
        return "a class name cannot be empty";
    if (!isValidUtf8(name))
        return "a class name must be valid UTF-8";
    if (name == "." || name == "..")
        return "a class name cannot be \".\" or \"..\" (it names a folder when exported)";
    for (unsigned char c : name) {
        if (c == '/' || c == '\\')
            return "a class name cannot contain '/' or '\\' (it names a folder when exported)";
        if (c < 0x20 || c == 0x7F)
            return "a class name cannot contain control characters";
    }
    if (name.front() == ' ' || name.back() == ' ' || name.front() == '\t' || name.back() == '\t')
        return "a class name cannot start or end with a space";
    return {};
}

std::string imageIdProblem(const std::string& id)
{
    if (id.empty())
        return "an image path cannot be empty";
    if (!isValidUtf8(id))
        return "an image path must be valid UTF-8";
    if (id.front() == '/')
        return "an image path must be relative to the folder";
    size_t start = 0;
    while (start <= id.size()) {
        size_t end = id.find('/', start);
        if (end == std::string::npos)
            end = id.size();
        const std::string part = id.substr(start, end - start);
        if (part.empty() || part == "." || part == "..")
            return "an image path cannot have empty, \".\" or \"..\" parts";
        start = end + 1;
    }
    for (unsigned char c : id)
        if (c < 0x20)
            return "an image path cannot contain control characters";
    return {};
}

std::string formatLabelFile(const LabelSnapshot& s)
{
    std::string out;
    out.reserve(64 + s.labels.size() * 48);
    out += "{\n  \"format\": \"netcanvas-labels\",\n  \"version\": " + std::to_string(kLabelFormatVersion) + ",\n";
    out += "  \"journal_seq\": " + std::to_string(s.seq) + ",\n";
    out += "  \"classes\": [";
    for (size_t k = 0; k < s.classes.size(); ++k)
        out += (k ? ",\n    " : "\n    ") + quoted(s.classes[k]);
    out += s.classes.empty() ? "],\n" : "\n  ],\n";
    out += "  \"labels\": {";
    bool first = true;
    for (const auto& [id, cls] : s.labels) {
        out += first ? "\n    " : ",\n    ";
        first = false;
        out += quoted(id) + ": " + quoted(cls);
    }
    out += s.labels.empty() ? "}\n}\n" : "\n  }\n}\n";
    return out;
}

LabelSnapshot parseLabelFile(const std::string& text, const std::string& source)
{
    PositionParser parser(text, source);
    const PValue root = parser.parseDocument();
    if (root.type != PValue::Type::Object)
        parser.fail(root.pos, "the labels file must be a JSON object, not " + std::string(typeName(root.type)));

    std::unordered_map<std::string, const PValue::Member*> top;
    for (const auto& m : root.members) {
        auto [it, fresh] = top.emplace(m.key, &m);
        if (!fresh)
            parser.fail(m.keyPos,
                "\"" + m.key + "\" appears twice (first at line " + std::to_string(it->second->keyPos.line) + ")");
    }
    auto member = [&](const char* key) -> const PValue::Member* {
        const auto it = top.find(key);
        return it == top.end() ? nullptr : it->second;
    };

    const auto* format = member("format");
    if (!format)
        parser.fail(root.pos, "missing \"format\": \"netcanvas-labels\"");
    if (format->value.type != PValue::Type::String || format->value.str != "netcanvas-labels")
        parser.fail(format->value.pos, "\"format\" must be \"netcanvas-labels\"");
    const auto* version = member("version");
    if (!version)
        parser.fail(root.pos, "missing \"version\"");
    if (!isNonNegativeInteger(version->value) || version->value.number < 1)
        parser.fail(version->value.pos, "\"version\" must be a positive integer");
    if (version->value.number > kLabelFormatVersion)
        parser.fail(version->value.pos,
            "version " + version->value.str + " is newer than this NetCanvas reads (up to "
                + std::to_string(kLabelFormatVersion) + ")");

    LabelSnapshot s;
    if (const auto* seq = member("journal_seq")) {
        if (!isNonNegativeInteger(seq->value))
            parser.fail(seq->value.pos, "\"journal_seq\" must be a non-negative integer");
        s.seq = static_cast<int64_t>(seq->value.number);
    }

    const auto* classes = member("classes");
    if (!classes)
        parser.fail(root.pos, "missing \"classes\" (an array of class names)");
    if (classes->value.type != PValue::Type::Array)
        parser.fail(classes->value.pos,
            "\"classes\" must be an array of class names, not " + std::string(typeName(classes->value.type)));
    std::unordered_map<std::string, Pos> classPos;
    for (const auto& c : classes->value.items) {
        if (c.type != PValue::Type::String)
            parser.fail(c.pos, "a class name must be a string, not " + std::string(typeName(c.type)));
        if (const std::string p = classNameProblem(c.str); !p.empty())
            parser.fail(c.pos, "class " + quoted(c.str) + ": " + p);
        auto [it, fresh] = classPos.emplace(c.str, c.pos);
        if (!fresh)
            parser.fail(c.pos,
                "class " + quoted(c.str) + " is listed twice (first at line " + std::to_string(it->second.line) + ")");
        s.classes.push_back(c.str);
    }

    const auto* labels = member("labels");
    if (!labels)
        parser.fail(root.pos, "missing \"labels\" (an object of image path: class)");
    if (labels->value.type != PValue::Type::Object)
        parser.fail(labels->value.pos,
            "\"labels\" must be an object of image path: class, not " + std::string(typeName(labels->value.type)));
    std::unordered_map<std::string, int> seenAt;
    for (const auto& m : labels->value.members) {
        if (const std::string p = imageIdProblem(m.key); !p.empty())
            parser.fail(m.keyPos, "image " + quoted(m.key) + ": " + p);
        auto [it, fresh] = seenAt.emplace(m.key, m.keyPos.line);
        if (!fresh)
            parser.fail(m.keyPos,
                "image " + quoted(m.key) + " is listed twice (first at line " + std::to_string(it->second) + ")");
        if (m.value.type == PValue::Type::Null)
            continue; // unlabeled, written by hand
        if (m.value.type != PValue::Type::String)
            parser.fail(m.value.pos,
                "the label of " + quoted(m.key) + " must be a class name (a string) or null, not "
                    + typeName(m.value.type));
        if (!classPos.count(m.value.str))
            parser.fail(
                m.value.pos, "image " + quoted(m.key) + ": class " + quoted(m.value.str) + " is not in \"classes\"");
        s.labels.emplace(m.key, m.value.str);
    }
    return s;
}

JournalContents parseJournal(const std::string& bytes, const std::string& source)
{
    JournalContents r;
    size_t start = 0;
    int line = 0;
    while (start < bytes.size()) {
        ++line;
        const size_t nl = bytes.find('\n', start);
        const std::string where = source + ":" + std::to_string(line);
        if (nl == std::string::npos) {
            r.tornTail = true;
            r.notes.push_back(where + ": an incomplete last line (NetCanvas stopped while writing it) was ignored");
            break;
        }
        const std::string text = bytes.substr(start, nl - start);
        start = nl + 1;
        r.validBytes = start;
        if (text.find_first_not_of(" \t\r") == std::string::npos)
            continue;
        try {
            nlohmann::json j;
            try {
                j = nlohmann::json::parse(text);
            } catch (const nlohmann::json::exception&) {
                throw FormatError(where + ": invalid JSON");
            }
            if (!j.is_object() || !j.contains("seq") || !j["seq"].is_number_integer() || j["seq"].get<int64_t>() < 0)
                throw FormatError(where + ": a journal line must be an object with a \"seq\" number");
            JournalEntry e;
            e.seq = j["seq"].get<int64_t>();
            e.line = line;
            if (j.contains("checkpoint")) {
                if (!r.entries.empty())
                    throw FormatError(where + ": a checkpoint can only be the first line");
                e.checkpoint = true;
                e.snapshot = snapshotFromJson(j["checkpoint"], e.seq, where);
            } else {
                if (!j.contains("ops") || !j["ops"].is_array())
                    throw FormatError(where + ": a journal line must hold \"ops\" (an array) or a \"checkpoint\"");
                if (!r.entries.empty() && e.seq <= r.entries.back().seq)
                    throw FormatError(where + ": operation " + std::to_string(e.seq) + " is out of order (after "
                        + std::to_string(r.entries.back().seq) + ")");
                if (j.contains("text") && j["text"].is_string())
                    e.change.text = j["text"].get<std::string>();
                for (const auto& op : j["ops"])
                    e.change.ops.push_back(LabelOp::fromJson(op, where));
            }
            r.entries.push_back(std::move(e));
        } catch (const FormatError& e) {
            r.notes.push_back(std::string(e.what()) + ": line ignored");
        } catch (const nlohmann::json::exception& e) {
            r.notes.push_back(where + ": " + e.what() + ": line ignored");
        }
    }
    return r;
}

std::string journalCheckpointLine(const LabelSnapshot& s)
{
    nlohmann::json j { { "seq", s.seq }, { "time", nowUtc() }, { "checkpoint", snapshotJson(s) } };
    return j.dump() + "\n";
}

std::string journalChangeLine(int64_t seq, const LabelChange& change)
{
    nlohmann::json ops = nlohmann::json::array();
    for (const auto& op : change.ops)
        ops.push_back(op.toJson());
    nlohmann::json j { { "seq", seq }, { "time", nowUtc() }, { "text", change.text }, { "ops", std::move(ops) } };
    return j.dump() + "\n";
}

} // namespace netcanvas
