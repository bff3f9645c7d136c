#include "LiveControl.h"

#include "engine/core/Error.h"
#include "engine/io/AtomicFile.h"

#include <cstdio>
#include <filesystem>
#include <iostream>

namespace netcanvas::cli {

namespace fs = std::filesystem;

std::string controlFileOf(const std::string& runDir)
{
    return (fs::path(runDir) / "control.json").string();
}

int runControl(const ControlOptions& o)
{
    std::error_code ec;
    if (!fs::is_directory(o.runDir, ec))
        throw IoError(o.runDir + ": not a run folder");
    nlohmann::json changes = nlohmann::json::array();
    if (o.lr)
        changes.push_back({ { "kind", "learning_rate" }, { "value", *o.lr } });
    if (o.epochs)
        changes.push_back({ { "kind", "epochs" }, { "value", *o.epochs } });
    if (o.augmentOff || o.augmentOn)
        changes.push_back({ { "kind", "augmentation" }, { "value", o.augmentOn ? 1 : 0 } });
    if (changes.empty())
        throw IoError("control: nothing to change: give --lr, --epochs or --augment");
    const std::string file = controlFileOf(o.runDir);
    writeFileAtomic(file, nlohmann::json { { "changes", changes } }.dump() + "\n");
    std::cout << "requested " << changes.size() << " change" << (changes.size() == 1 ? "" : "s") << " of the run in "
              << o.runDir << " (applied at its next step; the run removes " << file << ")\n";
    return 0;
}

ControlWatcher::ControlWatcher(std::string runDir, std::chrono::milliseconds interval)
    : m_file(runDir.empty() ? std::string() : controlFileOf(runDir))
    , m_interval(interval)
{
}

int ControlWatcher::poll(TrainingSession& session)
{
    if (m_file.empty()) // no run folder to watch
        return 0;
    const auto now = std::chrono::steady_clock::now();
    if (now < m_next)
        return 0;
    m_next = now + m_interval;
    std::error_code ec;
    if (!fs::exists(m_file, ec))
        return 0;
    int posted = 0;
    try {
        const nlohmann::json request = nlohmann::json::parse(readFile(m_file));
        if (!request.is_object() || !request.contains("changes") || !request["changes"].is_array())
            throw FormatError("must be an object with a \"changes\" array");
        for (const auto& c : request["changes"]) {
            if (!c.is_object() || !c.contains("kind") || !c["kind"].is_string() || !c.contains("value")
                || !c["value"].is_number())
                throw FormatError("a change must be {\"kind\": name, \"value\": number}, not " + c.dump());
            RunChange change;
            change.kind = runChangeKindFromName(c["kind"].get<std::string>());
            change.value = c["value"].get<double>();
            session.requestChange(change);
            ++posted;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "\nnetcanvas-cli: %s: ignored: %s\n", m_file.c_str(), e.what());
    }
    fs::remove(m_file, ec);
    return posted;
}

LayerStatsLog::LayerStatsLog(const std::string& runDir, bool append)
    : m_path((fs::path(runDir) / "layer-stats.jsonl").string())
{
    std::error_code ec;
    fs::create_directories(runDir, ec);
    m_out.open(m_path, append ? std::ios::app : std::ios::trunc);
    if (!m_out)
        throw IoError(m_path + ": cannot write the layer stats");
}

void LayerStatsLog::write(const LayerStatsEvent& event)
{
    m_out << layerStatsToJson(event).dump() << '\n';
    m_out.flush();
}

} // namespace netcanvas::cli
