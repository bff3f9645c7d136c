#pragma once
// The label files of a folder (docs/labels-format.md): the sidecar `netcanvas-labels.json`
// and the lines of the journal `netcanvas-labels.journal`, read and written as text.
// Internal to engine/labels (LabelStore owns the files); exposed for its tests.
#include "engine/labels/LabelChange.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace netcanvas {

inline constexpr int kLabelFormatVersion = 1;

// The labels as saved: what the sidecar holds, and what a journal checkpoint holds.
struct LabelSnapshot {
    int64_t seq = 0; // the last journal operation it includes
    std::vector<std::string> classes; // in order (the order of the keys 1–9)
    std::map<std::string, std::string> labels; // image id → class; unlabeled images absent
};

// Why `name` (already trimmed) cannot be a class name, or "" when it can: empty, not UTF-8,
// '/' '\' or a control character, "." or "..".
std::string classNameProblem(const std::string& name);
// Why `id` cannot be an image id, or "": empty, absolute, "." or ".." or empty components,
// not UTF-8.
std::string imageIdProblem(const std::string& id);

// The sidecar's text: one class and one image per line, images sorted.
std::string formatLabelFile(const LabelSnapshot& s);
// Parses a sidecar. Throws FormatError "<source>:<line>:<column>: <what>" for invalid JSON
// and for content that does not fit (unknown class, duplicate image, bad version...).
LabelSnapshot parseLabelFile(const std::string& text, const std::string& source);

// One journal entry: a checkpoint (the full labels; only as the first line) or the ops of
// one change. Each is one line of JSON ending in '\n'.
struct JournalEntry {
    int64_t seq = 0;
    int line = 0; // 1-based line in the journal
    bool checkpoint = false;
    LabelSnapshot snapshot; // checkpoint
    LabelChange change; // ops
};

struct JournalContents {
    std::vector<JournalEntry> entries;
    std::vector<std::string> notes; // lines ignored, with "<source>:<line>: ..."
    size_t validBytes = 0; // length of the complete lines (a torn tail is past it)
    bool tornTail = false;
};

// Parses a journal. Never throws: an unreadable line is ignored with a note; a last line
// without its '\n' (the program stopped while writing it) is ignored as torn.
JournalContents parseJournal(const std::string& bytes, const std::string& source);
std::string journalCheckpointLine(const LabelSnapshot& s);
std::string journalChangeLine(int64_t seq, const LabelChange& change);

} // namespace netcanvas
