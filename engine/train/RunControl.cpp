#include "engine/train/RunControl.h"

#include "engine/core/Error.h"

#include <cstdio>

namespace netcanvas {

namespace {

std::string number(double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

} // namespace

const char* runChangeKindName(RunChangeKind kind)
{
    switch (kind) {
    case RunChangeKind::LearningRate:
        return "learning_rate";
    case RunChangeKind::Epochs:
        return "epochs";
    case RunChangeKind::Augmentation:
        return "augmentation";
    }
    return "?";
}

RunChangeKind runChangeKindFromName(const std::string& name)
{
    for (RunChangeKind k : { RunChangeKind::LearningRate, RunChangeKind::Epochs, RunChangeKind::Augmentation })
        if (name == runChangeKindName(k))
            return k;
    throw FormatError("unknown run change '" + name + "' (known: learning_rate, epochs, augmentation)");
}

std::string ChangeEvent::label() const
{
    switch (kind) {
    case RunChangeKind::LearningRate:
        return "lr " + number(from) + " \u2192 " + number(to);
    case RunChangeKind::Epochs:
        return "epochs " + number(from) + " \u2192 " + number(to);
    case RunChangeKind::Augmentation:
        return to != 0.0 ? "augmentation on" : "augmentation off";
    }
    return {};
}

nlohmann::json changeToJson(const ChangeEvent& c)
{
    return { { "kind", runChangeKindName(c.kind) }, { "from", c.from }, { "to", c.to }, { "step", c.globalStep },
        { "epoch", c.epoch }, { "batch", c.batch } };
}

ChangeEvent changeFromJson(const nlohmann::json& j)
{
    if (!j.is_object())
        throw FormatError("change: must be an object, not " + j.dump());
    auto need = [&](const char* key) -> const nlohmann::json& {
        if (!j.contains(key))
            throw FormatError(std::string("change: missing key '") + key + "'");
        return j.at(key);
    };
    ChangeEvent c;
    const auto& kind = need("kind");
    if (!kind.is_string())
        throw FormatError("change.kind: must be a string, not " + kind.dump());
    c.kind = runChangeKindFromName(kind.get<std::string>());
    for (const char* key : { "from", "to", "step", "epoch", "batch" })
        if (!need(key).is_number())
            throw FormatError(std::string("change.") + key + ": must be a number, not " + j.at(key).dump());
    c.from = j.at("from").get<double>();
    c.to = j.at("to").get<double>();
    c.globalStep = j.at("step").get<int64_t>();
    c.epoch = j.at("epoch").get<int>();
    c.batch = j.at("batch").get<int64_t>();
    return c;
}

void ControlChannel::post(const RunChange& change)
{
    std::lock_guard lock(m_mutex);
    m_changes.push_back(change);
    m_pending.store(true, std::memory_order_release);
}

std::vector<RunChange> ControlChannel::take()
{
    std::lock_guard lock(m_mutex);
    std::vector<RunChange> out;
    out.swap(m_changes);
    m_pending.store(false, std::memory_order_release);
    return out;
}

} // namespace netcanvas
