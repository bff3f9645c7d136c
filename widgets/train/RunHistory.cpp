#include "widgets/train/RunHistory.h"

#include <algorithm>

namespace netcanvas::widgets {

RunHistory::RunHistory(QObject* parent)
    : QObject(parent)
{
}

int RunHistory::addRun(RunRecord run)
{
    run.id = m_nextId++;
    run.running = true;
    m_runs.push_back(std::make_unique<RunRecord>(std::move(run)));
    emit runAdded(m_runs.back()->id);
    return m_runs.back()->id;
}

RunRecord* RunHistory::find(int id)
{
    for (auto& r : m_runs)
        if (r->id == id)
            return r.get();
    return nullptr;
}

const RunRecord* RunHistory::run(int id) const
{
    for (const auto& r : m_runs)
        if (r->id == id)
            return r.get();
    return nullptr;
}

std::vector<int> RunHistory::ids() const
{
    std::vector<int> out;
    out.reserve(m_runs.size());
    for (const auto& r : m_runs)
        out.push_back(r->id);
    return out;
}

void RunHistory::appendBatches(int id, const std::vector<BatchEvent>& events)
{
    if (RunRecord* r = find(id); r && !events.empty()) {
        r->batches.insert(r->batches.end(), events.begin(), events.end());
        emit runUpdated(id);
    }
}

void RunHistory::appendEpoch(int id, const EpochEvent& event)
{
    if (RunRecord* r = find(id)) {
        r->epochs.push_back(event);
        emit runUpdated(id);
    }
}

void RunHistory::reopenRun(int id)
{
    if (RunRecord* r = find(id)) {
        r->running = true;
        r->failed = false;
        emit runUpdated(id);
    }
}

void RunHistory::appendChange(int id, const ChangeEvent& change)
{
    if (RunRecord* r = find(id)) {
        r->changes.push_back(change);
        emit runUpdated(id);
    }
}

void RunHistory::appendLayerStats(int id, const LayerStatsEvent& stats)
{
    if (RunRecord* r = find(id)) {
        r->layerStats.push_back(stats);
        emit layerStatsAdded(id);
    }
}

void RunHistory::finishRun(int id, const RunSummary& summary)
{
    if (RunRecord* r = find(id)) {
        r->running = false;
        r->summary = summary;
        emit runFinished(id);
    }
}

void RunHistory::failRun(int id, const QString& message)
{
    if (RunRecord* r = find(id)) {
        r->running = false;
        r->failed = true;
        r->summary.message = message.toStdString();
        emit runFinished(id);
    }
}

void RunHistory::renameRun(int id, const QString& label)
{
    const std::string trimmed = label.trimmed().toStdString();
    if (RunRecord* r = find(id); r && r->label != trimmed) {
        r->label = trimmed;
        emit runRenamed(id);
    }
}

bool RunHistory::removeRun(int id)
{
    auto it = std::find_if(m_runs.begin(), m_runs.end(), [id](const auto& r) { return r->id == id; });
    if (it == m_runs.end() || (*it)->running)
        return false;
    m_runs.erase(it);
    emit runRemoved(id);
    return true;
}

void RunHistory::clear()
{
    m_runs.clear();
    m_nextId = 1;
    emit cleared();
}

void RunHistory::restore(std::vector<RunRecord> runs)
{
    clear();
    for (RunRecord& r : runs) {
        r.running = false;
        m_nextId = std::max(m_nextId, r.id + 1);
        m_runs.push_back(std::make_unique<RunRecord>(std::move(r)));
        const int id = m_runs.back()->id;
        emit runAdded(id);
        emit runFinished(id);
    }
}

} // namespace netcanvas::widgets
