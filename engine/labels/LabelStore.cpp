#include "engine/labels/LabelStore.h"

#include "engine/core/Error.h"
#include "engine/io/AtomicFile.h"
#include "engine/labels/ImageScan.h"
#include "engine/labels/LabelFile.h"
#include "engine/labels/LabelLock.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <limits>
#include <set>
#include <unistd.h>

namespace netcanvas {

namespace fs = std::filesystem;

namespace {

std::string trim(const std::string& s)
{
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos)
        return {};
    const auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

std::string q(const std::string& s)
{
    return "'" + s + "'";
}

std::string images(size_t n)
{
    return std::to_string(n) + (n == 1 ? " image" : " images");
}

// Makes a rename durable: fsync the folder that holds the renamed file.
void syncFolder(const std::string& dir)
{
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

} // namespace

// ---- Opening -------------------------------------------------------------------------

LabelStore::LabelStore(const std::string& folder, LabelStoreOptions options)
    : m_options(std::move(options))
{
    std::error_code ec;
    const fs::path canonical = fs::canonical(folder, ec);
    if (ec || !fs::is_directory(canonical, ec))
        throw IoError(folder + ": not a folder");
    m_root = canonical.string();
    m_lock = std::make_unique<LabelLock>(m_root, file(kLockName));
    if (!m_lock->note().empty())
        m_notes.push_back(m_lock->note());

    ImageScan scan = scanImageFolder(m_root);
    m_images = std::move(scan.ids);
    m_notes.insert(m_notes.end(), scan.notes.begin(), scan.notes.end());
    m_index.reserve(m_images.size());
    for (size_t i = 0; i < m_images.size(); ++i)
        m_index.emplace(m_images[i], static_cast<int>(i));
    m_labels.assign(m_images.size(), -1);
    m_predClass.assign(m_images.size(), -1);
    m_predConfidence.assign(m_images.size(), std::numeric_limits<float>::quiet_NaN());
    try {
        load();
    } catch (...) {
        closeJournal();
        throw;
    }
}

LabelStore::~LabelStore()
{
    closeJournal();
}

void LabelStore::load()
{
    // Unfinished atomic writes of a crashed session (the lock is ours: nobody writes them now).
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(m_root, ec)) {
        const std::string name = e.path().filename().string();
        if (name.rfind(std::string(kSidecarName) + ".tmp-", 0) == 0
            || name.rfind(std::string(kJournalName) + ".tmp-", 0) == 0) {
            fs::remove(e.path(), ec);
            m_notes.push_back("removed " + name + ", an unfinished write left by a crash");
        }
    }

    const std::string sidecarPath = file(kSidecarName);
    const std::string journalPath = file(kJournalName);
    std::optional<LabelSnapshot> sidecar;
    std::string sidecarText, sidecarError;
    if (fs::exists(sidecarPath, ec)) {
        sidecarText = readFile(sidecarPath);
        try {
            sidecar = parseLabelFile(sidecarText, sidecarPath);
        } catch (const FormatError& e) {
            sidecarError = e.what();
        }
    }
    JournalContents journal;
    const bool journalExists = fs::exists(journalPath, ec);
    if (journalExists) {
        journal = parseJournal(readFile(journalPath), journalPath);
        m_notes.insert(m_notes.end(), journal.notes.begin(), journal.notes.end());
    }
    const JournalEntry* checkpoint
        = !journal.entries.empty() && journal.entries.front().checkpoint ? &journal.entries.front() : nullptr;

    // The sidecar not used is kept under a name of its own: a second broken sidecar never
    // overwrites the copy set aside before (netcanvas-labels.unused.json, then .unused-2.json...).
    auto keepUnused = [&](const std::string& text) {
        std::string name = kUnusedCopyName;
        for (int n = 2; fs::exists(file(name.c_str()), ec); ++n) {
            if (readFile(file(name.c_str())) == text)
                break; // the same file, already kept
            name = "netcanvas-labels.unused-" + std::to_string(n) + ".json";
        }
        writeFileAtomic(file(name.c_str()), text);
        return "; the file that was not used is kept as " + name + " (the sidecar is replaced at the next save)";
    };
    std::string setAside;
    LabelSnapshot base;
    bool fromSidecar = false;
    if (sidecar) {
        if (checkpoint && checkpoint->snapshot.seq > sidecar->seq) {
            base = checkpoint->snapshot;
            setAside = keepUnused(sidecarText);
            m_recovery = sidecarPath + " is older than its journal (it holds the changes up to "
                + std::to_string(sidecar->seq) + ", the journal's last save " + std::to_string(checkpoint->snapshot.seq)
                + ": restored from a backup?): the labels were taken from the journal" + setAside;
            m_sidecarCurrent = false;
        } else {
            base = std::move(*sidecar);
            fromSidecar = true;
        }
    } else if (!sidecarError.empty()) {
        if (!checkpoint)
            throw FormatError(sidecarError
                + " (there is no journal to recover the labels from: fix that line, or move the file "
                  "away to start without labels)");
        base = checkpoint->snapshot;
        setAside = keepUnused(sidecarText);
        m_recovery
            = sidecarError + "\nThe labels were recovered from the journal " + std::string(kJournalName) + setAside;
        m_sidecarCurrent = false;
    } else if (checkpoint) {
        base = checkpoint->snapshot;
        m_sidecarCurrent = base.classes.empty() && base.labels.empty();
        if (!m_sidecarCurrent)
            m_notes.push_back(std::string(kSidecarName) + " is missing: the labels were restored from the journal");
    }

    setState(base);
    m_seq = m_savedSeq = base.seq;
    bool opsBeyondBase = false;
    for (const auto& e : journal.entries) {
        if (e.checkpoint)
            continue;
        if (e.seq > base.seq) {
            opsBeyondBase = true;
            try {
                applyInMemory(e.change);
            } catch (const Error& err) {
                m_notes.push_back(journalPath + ":" + std::to_string(e.line) + ": change " + std::to_string(e.seq)
                    + (e.change.text.empty() ? "" : " (" + e.change.text + ")")
                    + " could not be replayed and was skipped: " + err.what());
            }
        }
        m_seq = std::max(m_seq, e.seq);
    }
    if (!m_orphanLabels.empty())
        m_notes.push_back(images(m_orphanLabels.size())
            + " with a label are not in the folder (moved or deleted?): their labels are kept");

    // The journal must start with a checkpoint of the last saved labels, so that a broken
    // sidecar can be recovered. Rewrite it when it has nothing past the sidecar and does not
    // hold that checkpoint (no journal yet, a hand-edited sidecar, a crash after a save wrote
    // the sidecar), or cut a torn last line so that the next line starts on a line of its own.
    const LabelSnapshot now = snapshot();
    const bool checkpointMatches = checkpoint && checkpoint->snapshot.seq == now.seq
        && checkpoint->snapshot.classes == now.classes && checkpoint->snapshot.labels == now.labels;
    if (!journalExists || (fromSidecar && !opsBeyondBase && (!checkpointMatches || !journal.notes.empty()))) {
        rewriteJournal(now);
    } else {
        if (journal.tornTail && ::truncate(journalPath.c_str(), static_cast<off_t>(journal.validBytes)) != 0)
            throw IoError("cannot repair '" + journalPath + "': " + std::strerror(errno));
        openJournal();
    }
}

void LabelStore::setState(const LabelSnapshot& s)
{
    m_classes = s.classes;
    std::unordered_map<std::string, int> cls;
    for (size_t k = 0; k < m_classes.size(); ++k)
        cls.emplace(m_classes[k], static_cast<int>(k));
    std::fill(m_labels.begin(), m_labels.end(), -1);
    m_orphanLabels.clear();
    for (const auto& [id, name] : s.labels) {
        const auto c = cls.find(name);
        if (c == cls.end())
            continue; // cannot happen: the readers check it
        const auto it = m_index.find(id);
        if (it != m_index.end())
            m_labels[static_cast<size_t>(it->second)] = c->second;
        else
            m_orphanLabels[id] = c->second;
    }
}

LabelSnapshot LabelStore::snapshot() const
{
    LabelSnapshot s;
    s.seq = m_seq;
    s.classes = m_classes;
    for (size_t i = 0; i < m_images.size(); ++i)
        if (m_labels[i] >= 0)
            s.labels.emplace_hint(s.labels.end(), m_images[i], m_classes[static_cast<size_t>(m_labels[i])]);
    for (const auto& [id, c] : m_orphanLabels)
        s.labels.emplace(id, m_classes[static_cast<size_t>(c)]);
    return s;
}

// ---- Journal and save ------------------------------------------------------------------

void LabelStore::hook(LabelWriteStep step) const
{
    if (m_options.faultHook)
        m_options.faultHook(step);
}

void LabelStore::openJournal()
{
    closeJournal();
    const std::string path = file(kJournalName);
    m_journalFd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (m_journalFd < 0)
        throw IoError("cannot open '" + path + "': " + std::strerror(errno));
    const off_t end = ::lseek(m_journalFd, 0, SEEK_END);
    m_journalBytes = end < 0 ? 0 : static_cast<int64_t>(end);
}

void LabelStore::closeJournal()
{
    if (m_journalFd >= 0)
        ::close(m_journalFd);
    m_journalFd = -1;
}

void LabelStore::rewriteJournal(const LabelSnapshot& s)
{
    closeJournal();
    try {
        writeFileAtomic(file(kJournalName), journalCheckpointLine(s));
        syncFolder(m_root);
    } catch (...) {
        openJournal(); // the old journal is still complete
        throw;
    }
    openJournal();
}

void LabelStore::appendJournal(const LabelChange& change)
{
    const std::string path = file(kJournalName);
    if (m_journalFd < 0)
        openJournal();
    const std::string line = journalChangeLine(m_seq + 1, change);
    hook(LabelWriteStep::AppendBegin);
    auto fail = [&](const std::string& why) {
        // Cut what was written, so the next line does not land after half of this one.
        [[maybe_unused]] const int cut = ::ftruncate(m_journalFd, static_cast<off_t>(m_journalBytes));
        throw IoError("cannot write '" + path + "': " + why);
    };
    size_t off = 0;
    while (off < line.size()) {
        const ssize_t w = ::write(m_journalFd, line.data() + off, line.size() - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            fail(std::strerror(errno));
        }
        off += static_cast<size_t>(w);
    }
    if (m_options.syncJournal && ::fdatasync(m_journalFd) != 0)
        fail(std::strerror(errno));
    m_journalBytes += static_cast<int64_t>(line.size());
    ++m_seq;
    hook(LabelWriteStep::AppendWritten);
}

void LabelStore::save()
{
    hook(LabelWriteStep::SaveBegin);
    const LabelSnapshot s = snapshot();
    // 1. The sidecar, atomically (temp + fsync + rename), and the rename made durable.
    //    A crash before this completes leaves the old sidecar and the whole journal.
    writeFileAtomic(file(kSidecarName), formatLabelFile(s));
    syncFolder(m_root);
    hook(LabelWriteStep::SidecarWritten);
    // 2. The journal reset to a checkpoint of the same labels. A crash before this leaves the
    //    new sidecar and the old journal, whose changes (seq <= s.seq) the sidecar includes.
    rewriteJournal(s);
    m_savedSeq = m_seq;
    m_sidecarCurrent = true;
    hook(LabelWriteStep::JournalReset);
}

// ---- Applying changes --------------------------------------------------------------------

int LabelStore::labelOfId(const std::string& id) const
{
    const auto it = m_index.find(id);
    if (it != m_index.end())
        return m_labels[static_cast<size_t>(it->second)];
    const auto o = m_orphanLabels.find(id);
    return o == m_orphanLabels.end() ? -1 : o->second;
}

void LabelStore::setLabelOfId(const std::string& id, int cls)
{
    const auto it = m_index.find(id);
    if (it != m_index.end())
        m_labels[static_cast<size_t>(it->second)] = cls;
    else if (cls < 0)
        m_orphanLabels.erase(id);
    else
        m_orphanLabels[id] = cls;
}

void LabelStore::remapClasses(const std::vector<int>& oldToNew)
{
    for (int& l : m_labels)
        if (l >= 0)
            l = oldToNew[static_cast<size_t>(l)];
    for (auto& [id, l] : m_orphanLabels)
        l = oldToNew[static_cast<size_t>(l)];
}

void LabelStore::applyOp(const LabelOp& op)
{
    const int n = static_cast<int>(m_classes.size());
    switch (op.kind) {
    case LabelOp::Kind::AddClass: {
        if (const std::string p = classNameProblem(op.name); !p.empty())
            throw DataError("class " + q(op.name) + ": " + p);
        if (classIndex(op.name) >= 0)
            throw DataError("class " + q(op.name) + " already exists");
        if (op.position < 0 || op.position > n)
            throw DataError("class " + q(op.name) + ": position " + std::to_string(op.position) + " is out of range");
        std::vector<int> map(static_cast<size_t>(n));
        for (int k = 0; k < n; ++k)
            map[static_cast<size_t>(k)] = k < op.position ? k : k + 1;
        m_classes.insert(m_classes.begin() + op.position, op.name);
        remapClasses(map);
        break;
    }
    case LabelOp::Kind::RemoveClass: {
        if (op.position < 0 || op.position >= n || m_classes[static_cast<size_t>(op.position)] != op.name)
            throw DataError("class " + q(op.name) + " is not class number " + std::to_string(op.position + 1));
        size_t used = static_cast<size_t>(std::count(m_labels.begin(), m_labels.end(), op.position));
        for (const auto& [id, l] : m_orphanLabels)
            used += l == op.position ? 1 : 0;
        if (used > 0)
            throw DataError("class " + q(op.name) + " still labels " + images(used));
        std::vector<int> map(static_cast<size_t>(n));
        for (int k = 0; k < n; ++k)
            map[static_cast<size_t>(k)] = k < op.position ? k : (k == op.position ? -1 : k - 1);
        m_classes.erase(m_classes.begin() + op.position);
        remapClasses(map);
        break;
    }
    case LabelOp::Kind::RenameClass: {
        const int k = classIndex(op.name);
        if (k < 0)
            throw DataError("there is no class " + q(op.name));
        if (const std::string p = classNameProblem(op.newName); !p.empty())
            throw DataError("class " + q(op.newName) + ": " + p);
        if (classIndex(op.newName) >= 0)
            throw DataError("class " + q(op.newName) + " already exists");
        m_classes[static_cast<size_t>(k)] = op.newName;
        for (auto& name : m_predClassNames) // predictions follow the class
            if (name == op.name)
                name = op.newName;
        break;
    }
    case LabelOp::Kind::MoveClass: {
        if (op.position < 0 || op.position >= n || m_classes[static_cast<size_t>(op.position)] != op.name)
            throw DataError("class " + q(op.name) + " is not class number " + std::to_string(op.position + 1));
        if (op.target < 0 || op.target >= n)
            throw DataError("class " + q(op.name) + ": position " + std::to_string(op.target) + " is out of range");
        std::vector<int> order(static_cast<size_t>(n)); // new position → old index
        for (int k = 0; k < n; ++k)
            order[static_cast<size_t>(k)] = k;
        order.erase(order.begin() + op.position);
        order.insert(order.begin() + op.target, op.position);
        std::vector<int> map(static_cast<size_t>(n));
        std::vector<std::string> classes(static_cast<size_t>(n));
        for (int k = 0; k < n; ++k) {
            map[static_cast<size_t>(order[static_cast<size_t>(k)])] = k;
            classes[static_cast<size_t>(k)] = m_classes[static_cast<size_t>(order[static_cast<size_t>(k)])];
        }
        m_classes = std::move(classes);
        remapClasses(map);
        break;
    }
    case LabelOp::Kind::SetLabels: {
        // Check every image first: all or nothing.
        std::vector<int> after(op.relabels.size());
        for (size_t i = 0; i < op.relabels.size(); ++i) {
            const auto& r = op.relabels[i];
            const int cur = labelOfId(r.image);
            const std::string curName = cur < 0 ? std::string() : m_classes[static_cast<size_t>(cur)];
            if (curName != r.before)
                throw DataError("image " + q(r.image) + " is " + (cur < 0 ? "unlabeled" : "labeled " + q(curName))
                    + ", not " + (r.before.empty() ? "unlabeled" : q(r.before)) + " as the change expects");
            after[i] = r.after.empty() ? -1 : classIndex(r.after);
            if (!r.after.empty() && after[i] < 0)
                throw DataError("image " + q(r.image) + ": there is no class " + q(r.after));
        }
        for (size_t i = 0; i < op.relabels.size(); ++i)
            setLabelOfId(op.relabels[i].image, after[i]);
        break;
    }
    }
}

void LabelStore::applyInMemory(const LabelChange& change)
{
    size_t done = 0;
    try {
        for (; done < change.ops.size(); ++done)
            applyOp(change.ops[done]);
    } catch (...) {
        while (done > 0) // undo the ops already applied: all or nothing
            applyOp(change.ops[--done].inverse());
        throw;
    }
}

void LabelStore::commit(const LabelChange& change)
{
    if (change.empty())
        return;
    applyInMemory(change);
    try {
        appendJournal(change);
    } catch (...) {
        applyInMemory(change.inverse());
        throw;
    }
    if (m_options.autoSaveJournalBytes > 0 && m_journalBytes > m_options.autoSaveJournalBytes) {
        try {
            save();
        } catch (const Error&) {
            // The change is in the journal; the next save() reports what is wrong.
        }
    }
}

void LabelStore::apply(const LabelChange& change)
{
    commit(change);
}

void LabelStore::revert(const LabelChange& change)
{
    commit(change.inverse());
}

// ---- Queries -----------------------------------------------------------------------------

std::vector<std::string> LabelStore::imagePaths(const std::vector<int>& images) const
{
    std::vector<std::string> out;
    out.reserve(images.size());
    for (int i : images)
        out.push_back(imagePath(i));
    return out;
}

int LabelStore::indexOf(const std::string& id) const
{
    const auto it = m_index.find(id);
    return it == m_index.end() ? -1 : it->second;
}

std::map<std::string, std::string> LabelStore::missingImageLabels() const
{
    std::map<std::string, std::string> out;
    for (const auto& [id, c] : m_orphanLabels)
        out.emplace(id, m_classes[static_cast<size_t>(c)]);
    return out;
}

std::vector<std::string> LabelStore::folderClassNames() const
{
    std::set<std::string> names;
    for (const auto& id : m_images) {
        const auto slash = id.find('/');
        if (slash != std::string::npos)
            names.insert(id.substr(0, slash));
    }
    return { names.begin(), names.end() };
}

int LabelStore::classIndex(const std::string& name) const
{
    const auto it = std::find(m_classes.begin(), m_classes.end(), name);
    return it == m_classes.end() ? -1 : static_cast<int>(it - m_classes.begin());
}

std::vector<int64_t> LabelStore::classCounts() const
{
    std::vector<int64_t> counts(m_classes.size(), 0);
    for (int l : m_labels)
        if (l >= 0)
            ++counts[static_cast<size_t>(l)];
    return counts;
}

int64_t LabelStore::unlabeledCount() const
{
    return static_cast<int64_t>(std::count(m_labels.begin(), m_labels.end(), -1));
}

std::string LabelStore::labelName(int image) const
{
    const int l = label(image);
    return l < 0 ? std::string() : m_classes[static_cast<size_t>(l)];
}

// ---- Making changes ----------------------------------------------------------------------

std::string LabelStore::checkedNewClassName(const std::string& name) const
{
    const std::string t = trim(name);
    if (const std::string p = classNameProblem(t); !p.empty())
        throw DataError("class " + q(name) + ": " + p);
    if (classIndex(t) >= 0)
        throw DataError("class " + q(t) + " already exists");
    return t;
}

int LabelStore::existingClass(const std::string& name) const
{
    const int k = classIndex(trim(name));
    if (k < 0)
        throw DataError("there is no class " + q(trim(name)));
    return k;
}

LabelOp LabelStore::relabelAll(int cls, const std::string& after) const
{
    LabelOp op;
    op.kind = LabelOp::Kind::SetLabels;
    const std::string& before = m_classes[static_cast<size_t>(cls)];
    for (size_t i = 0; i < m_images.size(); ++i)
        if (m_labels[i] == cls)
            op.relabels.push_back({ m_images[i], before, after });
    for (const auto& [id, l] : m_orphanLabels)
        if (l == cls)
            op.relabels.push_back({ id, before, after });
    return op;
}

LabelChange LabelStore::makeAddClass(const std::string& name, int position) const
{
    LabelOp op;
    op.kind = LabelOp::Kind::AddClass;
    op.name = checkedNewClassName(name);
    const int n = static_cast<int>(m_classes.size());
    op.position = position < 0 ? n : position;
    if (op.position > n)
        throw DataError("class " + q(op.name) + ": position " + std::to_string(position) + " is out of range (0.."
            + std::to_string(n) + ")");
    return { "Add class " + q(op.name), { op } };
}

LabelChange LabelStore::makeRenameClass(const std::string& from, const std::string& to) const
{
    const int k = existingClass(from);
    LabelOp op;
    op.kind = LabelOp::Kind::RenameClass;
    op.name = m_classes[static_cast<size_t>(k)];
    if (trim(to) == op.name)
        return { "Rename class " + q(op.name), {} };
    op.newName = checkedNewClassName(to);
    return { "Rename class " + q(op.name) + " to " + q(op.newName), { op } };
}

LabelChange LabelStore::makeMergeClass(const std::string& from, const std::string& into) const
{
    const int a = existingClass(from);
    const int b = existingClass(into);
    const std::string& fromName = m_classes[static_cast<size_t>(a)];
    const std::string& intoName = m_classes[static_cast<size_t>(b)];
    if (a == b)
        throw DataError("cannot merge class " + q(fromName) + " into itself");
    LabelChange c;
    c.ops.push_back(relabelAll(a, intoName));
    c.text = "Merge class " + q(fromName) + " into " + q(intoName) + " (" + images(c.ops[0].relabels.size()) + ")";
    LabelOp remove;
    remove.kind = LabelOp::Kind::RemoveClass;
    remove.name = fromName;
    remove.position = a;
    c.ops.push_back(remove);
    return c;
}

LabelChange LabelStore::makeDeleteClass(const std::string& name) const
{
    const int a = existingClass(name);
    const std::string& className = m_classes[static_cast<size_t>(a)];
    LabelChange c;
    c.ops.push_back(relabelAll(a, ""));
    c.text = "Delete class " + q(className) + " (" + images(c.ops[0].relabels.size()) + " unlabeled)";
    LabelOp remove;
    remove.kind = LabelOp::Kind::RemoveClass;
    remove.name = className;
    remove.position = a;
    c.ops.push_back(remove);
    return c;
}

LabelChange LabelStore::makeMoveClass(const std::string& name, int position) const
{
    const int k = existingClass(name);
    const int n = static_cast<int>(m_classes.size());
    if (position < 0 || position >= n)
        throw DataError("class " + q(m_classes[static_cast<size_t>(k)]) + ": position " + std::to_string(position)
            + " is out of range (0.." + std::to_string(n - 1) + ")");
    LabelChange c { "Move class " + q(m_classes[static_cast<size_t>(k)]), {} };
    if (position != k) {
        LabelOp op;
        op.kind = LabelOp::Kind::MoveClass;
        op.name = m_classes[static_cast<size_t>(k)];
        op.position = k;
        op.target = position;
        c.ops.push_back(op);
    }
    return c;
}

LabelChange LabelStore::makeAssign(const std::vector<int>& imgs, const std::string& className) const
{
    const int cls = trim(className).empty() ? -1 : existingClass(className);
    const std::string after = cls < 0 ? std::string() : m_classes[static_cast<size_t>(cls)];
    std::vector<int> sorted = imgs;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    LabelOp op;
    op.kind = LabelOp::Kind::SetLabels;
    for (int i : sorted) {
        if (i < 0 || i >= imageCount())
            throw DataError("image number " + std::to_string(i) + " is out of range (the folder has "
                + images(m_images.size()) + ")");
        const int cur = m_labels[static_cast<size_t>(i)];
        if (cur != cls)
            op.relabels.push_back({ m_images[static_cast<size_t>(i)],
                cur < 0 ? std::string() : m_classes[static_cast<size_t>(cur)], after });
    }
    LabelChange c;
    c.text = cls < 0 ? "Unlabel " + images(op.relabels.size()) : "Label " + images(op.relabels.size()) + " " + q(after);
    if (!op.relabels.empty())
        c.ops.push_back(std::move(op));
    return c;
}

LabelChange LabelStore::makeImportFolderPerClass() const
{
    LabelChange c;
    std::map<std::string, std::string> classOfFolder; // folder name → class name
    int position = static_cast<int>(m_classes.size());
    for (const auto& folder : folderClassNames()) {
        const std::string name = trim(folder);
        if (!classNameProblem(name).empty())
            continue;
        classOfFolder[folder] = name;
        if (classIndex(name) >= 0)
            continue;
        LabelOp add;
        add.kind = LabelOp::Kind::AddClass;
        add.name = name;
        add.position = position++;
        c.ops.push_back(add);
    }
    LabelOp set;
    set.kind = LabelOp::Kind::SetLabels;
    for (size_t i = 0; i < m_images.size(); ++i) {
        if (m_labels[i] >= 0)
            continue;
        const auto slash = m_images[i].find('/');
        if (slash == std::string::npos)
            continue;
        const auto it = classOfFolder.find(m_images[i].substr(0, slash));
        if (it != classOfFolder.end())
            set.relabels.push_back({ m_images[i], "", it->second });
    }
    c.text
        = "Import " + images(set.relabels.size()) + " from " + std::to_string(classOfFolder.size()) + " class folders";
    if (!set.relabels.empty())
        c.ops.push_back(std::move(set));
    return c;
}

LabelChange LabelStore::makeAcceptPredictions(const std::vector<int>& imgs) const
{
    std::vector<int> sorted = imgs;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    LabelOp op;
    op.kind = LabelOp::Kind::SetLabels;
    for (int i : sorted) {
        if (i < 0 || i >= imageCount())
            throw DataError("image number " + std::to_string(i) + " is out of range (the folder has "
                + images(m_images.size()) + ")");
        const int p = m_predClass[static_cast<size_t>(i)];
        if (p < 0)
            continue;
        const std::string& name = m_predClassNames[static_cast<size_t>(p)];
        const int cls = classIndex(name);
        const int cur = m_labels[static_cast<size_t>(i)];
        if (cls < 0 || cls == cur)
            continue;
        op.relabels.push_back(
            { m_images[static_cast<size_t>(i)], cur < 0 ? std::string() : m_classes[static_cast<size_t>(cur)], name });
    }
    LabelChange c;
    c.text
        = "Accept " + std::to_string(op.relabels.size()) + (op.relabels.size() == 1 ? " prediction" : " predictions");
    if (!op.relabels.empty())
        c.ops.push_back(std::move(op));
    return c;
}

LabelChange LabelStore::makeAcceptPredictionsAbove(float threshold, bool onlyUnlabeled) const
{
    std::vector<int> chosen;
    for (size_t i = 0; i < m_images.size(); ++i)
        if (m_predClass[i] >= 0 && m_predConfidence[i] >= threshold && (!onlyUnlabeled || m_labels[i] < 0))
            chosen.push_back(static_cast<int>(i));
    LabelChange c = makeAcceptPredictions(chosen);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f%%", 100.0 * threshold);
    c.text += std::string(" above ") + buf;
    return c;
}

LabelChange LabelStore::committed(LabelChange change)
{
    commit(change);
    return change;
}

LabelChange LabelStore::addClass(const std::string& name, int position)
{
    return committed(makeAddClass(name, position));
}
LabelChange LabelStore::renameClass(const std::string& from, const std::string& to)
{
    return committed(makeRenameClass(from, to));
}
LabelChange LabelStore::mergeClass(const std::string& from, const std::string& into)
{
    return committed(makeMergeClass(from, into));
}
LabelChange LabelStore::deleteClass(const std::string& name)
{
    return committed(makeDeleteClass(name));
}
LabelChange LabelStore::moveClass(const std::string& name, int position)
{
    return committed(makeMoveClass(name, position));
}
LabelChange LabelStore::assign(const std::vector<int>& imgs, const std::string& className)
{
    return committed(makeAssign(imgs, className));
}
LabelChange LabelStore::unlabel(const std::vector<int>& imgs)
{
    return committed(makeAssign(imgs, ""));
}
LabelChange LabelStore::importFolderPerClass()
{
    return committed(makeImportFolderPerClass());
}
LabelChange LabelStore::acceptPredictions(const std::vector<int>& imgs)
{
    return committed(makeAcceptPredictions(imgs));
}
LabelChange LabelStore::acceptPredictionsAbove(float threshold, bool onlyUnlabeled)
{
    return committed(makeAcceptPredictionsAbove(threshold, onlyUnlabeled));
}

// ---- Predictions -------------------------------------------------------------------------

void LabelStore::setPredictions(const std::vector<ImagePrediction>& predictions, bool replaceAll)
{
    for (const auto& p : predictions) {
        if (p.image < 0 || p.image >= imageCount())
            throw DataError("prediction for image number " + std::to_string(p.image) + ": out of range (the folder has "
                + images(m_images.size()) + ")");
        if (p.className.empty())
            throw DataError("prediction for " + q(imageId(p.image)) + ": no class");
    }
    if (replaceAll)
        clearPredictions();
    for (const auto& p : predictions) {
        auto it = std::find(m_predClassNames.begin(), m_predClassNames.end(), p.className);
        if (it == m_predClassNames.end())
            it = m_predClassNames.insert(m_predClassNames.end(), p.className);
        const auto i = static_cast<size_t>(p.image);
        m_predClass[i] = static_cast<int>(it - m_predClassNames.begin());
        m_predConfidence[i] = std::isnan(p.confidence) ? 0.0f : std::clamp(p.confidence, 0.0f, 1.0f);
    }
}

void LabelStore::clearPredictions()
{
    m_predClassNames.clear();
    std::fill(m_predClass.begin(), m_predClass.end(), -1);
    std::fill(m_predConfidence.begin(), m_predConfidence.end(), std::numeric_limits<float>::quiet_NaN());
}

std::string LabelStore::predictedClass(int image) const
{
    const int p = m_predClass.at(static_cast<size_t>(image));
    return p < 0 ? std::string() : m_predClassNames[static_cast<size_t>(p)];
}

float LabelStore::confidence(int image) const
{
    return m_predConfidence.at(static_cast<size_t>(image));
}

std::vector<int> LabelStore::query(const LabelQuery& qy) const
{
    int cls = -1;
    if (qy.labels == LabelQuery::Labels::Class) {
        cls = classIndex(qy.className);
        if (cls < 0)
            return {};
    }
    int predicted = -2; // any
    if (!qy.predictedClass.empty()) {
        const auto it = std::find(m_predClassNames.begin(), m_predClassNames.end(), qy.predictedClass);
        if (it == m_predClassNames.end())
            return {};
        predicted = static_cast<int>(it - m_predClassNames.begin());
    }
    const bool narrowed = qy.minConfidence > 0.0f || qy.maxConfidence < 1.0f;
    const bool needPrediction = qy.predictedOnly || narrowed || predicted >= 0;

    std::vector<int> out;
    for (size_t i = 0; i < m_images.size(); ++i) {
        const int l = m_labels[i];
        switch (qy.labels) {
        case LabelQuery::Labels::All:
            break;
        case LabelQuery::Labels::Labeled:
            if (l < 0)
                continue;
            break;
        case LabelQuery::Labels::Unlabeled:
            if (l >= 0)
                continue;
            break;
        case LabelQuery::Labels::Class:
            if (l != cls)
                continue;
            break;
        }
        const int p = m_predClass[i];
        if (p < 0) {
            if (needPrediction)
                continue;
        } else {
            if (predicted >= 0 && m_predClassNames[static_cast<size_t>(p)] != qy.predictedClass)
                continue;
            if (m_predConfidence[i] < qy.minConfidence || m_predConfidence[i] > qy.maxConfidence)
                continue;
        }
        out.push_back(static_cast<int>(i));
    }
    if (qy.order != LabelQuery::Order::Path) {
        const float sign = qy.order == LabelQuery::Order::LeastConfident ? 1.0f : -1.0f;
        auto key = [&](int i) {
            const auto k = static_cast<size_t>(i);
            return m_predClass[k] < 0 ? std::numeric_limits<float>::infinity() : sign * m_predConfidence[k];
        };
        std::stable_sort(out.begin(), out.end(), [&](int a, int b) { return key(a) < key(b); });
    }
    return out;
}

// ---- Training and export -------------------------------------------------------------------

LabeledImages LabelStore::labeledImages() const
{
    LabeledImages s;
    s.root = m_root;
    s.classNames = m_classes;
    for (size_t i = 0; i < m_images.size(); ++i) {
        if (m_labels[i] < 0)
            continue;
        s.ids.push_back(m_images[i]);
        s.labels.push_back(m_labels[i]);
    }
    return s;
}

std::vector<int> LabelStore::unlabeledImages() const
{
    std::vector<int> out;
    for (size_t i = 0; i < m_images.size(); ++i)
        if (m_labels[i] < 0)
            out.push_back(static_cast<int>(i));
    return out;
}

Dataset LabelStore::buildDataset(const DatasetOptions& options) const
{
    return loadLabeledImages(labeledImages(), options);
}

ExportResult LabelStore::exportFolderPerClass(const std::string& target, const LabelProgress& progress) const
{
    return netcanvas::exportFolderPerClass(labeledImages(), target, progress);
}

void LabelStore::exportCsv(const std::string& csvPath) const
{
    exportLabelsCsv(labeledImages(), csvPath);
}

} // namespace netcanvas
