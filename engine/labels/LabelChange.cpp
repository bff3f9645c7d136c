#include "engine/labels/LabelChange.h"

#include "engine/core/Error.h"

#include <nlohmann/json.hpp>

namespace netcanvas {

namespace {

const char* kindName(LabelOp::Kind k)
{
    switch (k) {
    case LabelOp::Kind::AddClass:
        return "add_class";
    case LabelOp::Kind::RemoveClass:
        return "remove_class";
    case LabelOp::Kind::RenameClass:
        return "rename_class";
    case LabelOp::Kind::MoveClass:
        return "move_class";
    case LabelOp::Kind::SetLabels:
        return "set";
    }
    return "?";
}

nlohmann::json labelJson(const std::string& s)
{
    return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
}

} // namespace

LabelOp LabelOp::inverse() const
{
    LabelOp r = *this;
    switch (kind) {
    case Kind::AddClass:
        r.kind = Kind::RemoveClass;
        break;
    case Kind::RemoveClass:
        r.kind = Kind::AddClass;
        break;
    case Kind::RenameClass:
        std::swap(r.name, r.newName);
        break;
    case Kind::MoveClass:
        std::swap(r.position, r.target);
        break;
    case Kind::SetLabels:
        for (auto& x : r.relabels)
            std::swap(x.before, x.after);
        break;
    }
    return r;
}

nlohmann::json LabelOp::toJson() const
{
    nlohmann::json j;
    j["op"] = kindName(kind);
    switch (kind) {
    case Kind::AddClass:
    case Kind::RemoveClass:
        j["name"] = name;
        j["at"] = position;
        break;
    case Kind::RenameClass:
        j["from"] = name;
        j["to"] = newName;
        break;
    case Kind::MoveClass:
        j["name"] = name;
        j["from"] = position;
        j["to"] = target;
        break;
    case Kind::SetLabels: {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& x : relabels)
            list.push_back(nlohmann::json::array({ x.image, labelJson(x.before), labelJson(x.after) }));
        j["labels"] = std::move(list);
        break;
    }
    }
    return j;
}

LabelOp LabelOp::fromJson(const nlohmann::json& j, const std::string& where)
{
    auto bad = [&](const std::string& why) { throw FormatError(where + ": " + why); };
    if (!j.is_object() || !j.contains("op") || !j["op"].is_string())
        bad("an operation must be an object with an \"op\"");
    auto str = [&](const char* key) {
        if (!j.contains(key) || !j[key].is_string() || j[key].get<std::string>().empty())
            bad(std::string("\"") + key + "\" must be a non-empty string");
        return j[key].get<std::string>();
    };
    auto num = [&](const char* key) {
        if (!j.contains(key) || !j[key].is_number_integer() || j[key].get<int64_t>() < 0
            || j[key].get<int64_t>() > 1000000)
            bad(std::string("\"") + key + "\" must be a non-negative integer");
        return j[key].get<int>();
    };
    const std::string op = j["op"].get<std::string>();
    LabelOp r;
    if (op == "add_class" || op == "remove_class") {
        r.kind = op == "add_class" ? Kind::AddClass : Kind::RemoveClass;
        r.name = str("name");
        r.position = num("at");
    } else if (op == "rename_class") {
        r.kind = Kind::RenameClass;
        r.name = str("from");
        r.newName = str("to");
    } else if (op == "move_class") {
        r.kind = Kind::MoveClass;
        r.name = str("name");
        r.position = num("from");
        r.target = num("to");
    } else if (op == "set") {
        r.kind = Kind::SetLabels;
        if (!j.contains("labels") || !j["labels"].is_array())
            bad("\"labels\" must be an array");
        const auto& list = j["labels"];
        r.relabels.reserve(list.size());
        auto label = [&](const nlohmann::json& v) {
            if (v.is_null())
                return std::string();
            if (!v.is_string() || v.get<std::string>().empty())
                bad("a label must be a class name or null");
            return v.get<std::string>();
        };
        for (const auto& x : list) {
            if (!x.is_array() || x.size() != 3 || !x[0].is_string() || x[0].get<std::string>().empty())
                bad("each label must be [image, before, after]");
            r.relabels.push_back({ x[0].get<std::string>(), label(x[1]), label(x[2]) });
        }
    } else {
        bad("unknown operation \"" + op + "\"");
    }
    return r;
}

bool LabelChange::empty() const
{
    for (const auto& op : ops)
        if (op.kind != LabelOp::Kind::SetLabels || !op.relabels.empty())
            return false;
    return true;
}

LabelChange LabelChange::inverse() const
{
    LabelChange r;
    r.text = text.rfind("Undo: ", 0) == 0 ? text.substr(6) : "Undo: " + text;
    r.ops.reserve(ops.size());
    for (auto it = ops.rbegin(); it != ops.rend(); ++it)
        r.ops.push_back(it->inverse());
    return r;
}

size_t LabelChange::relabeledCount() const
{
    size_t n = 0;
    for (const auto& op : ops)
        n += op.relabels.size();
    return n;
}

} // namespace netcanvas
