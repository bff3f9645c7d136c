#pragma once
// LabelStore: the labels of one folder of images, kept so that no labeling work is lost.
//
// What this represents: the image files under a folder (found recursively; see ImageScan.h),
// an ordered list of classes, at most one class per image, and — in memory only — the
// latest model predictions. The user's images are never moved, renamed or modified: the
// store writes only its own files in the folder (docs/labels-format.md):
//   netcanvas-labels.json     the sidecar: classes and image → class, written atomically by save()
//   netcanvas-labels.journal  one JSON line per change, appended (and fsync'd) before the
//                             call returns; replayed on open after the sidecar
//   netcanvas-labels.lock     who has the folder open
// A change is durable once its mutating call returns, whether or not save() follows: a kill
// at any point loses at most the call in progress, never an earlier one.
//
// Undo: every mutating call applies a change, journals it and returns it as a LabelChange
// value; revert(change) undoes it and apply(change) redoes it (each journaled too). The
// changes of the make*() functions are computed without being applied, for an undo command
// whose redo() applies them.
//
// Requires: use from one thread (the UI thread). Image indices (0..imageCount()-1, in id
// order) are stable for the store's lifetime. Long jobs (decoding for training, export)
// take a LabeledImages value (labeledImages()) to a worker thread.
// Errors: DataError naming the class or image for an edit that cannot be made (the store is
// then unchanged); IoError when a file cannot be written (the edit is undone in memory);
// LockError when another window has the folder; FormatError when the sidecar is broken and
// the journal cannot restore it.
#include "engine/data/Dataset.h"
#include "engine/labels/LabelChange.h"
#include "engine/labels/LabeledImages.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace netcanvas {

class LabelLock;
struct LabelSnapshot;

// The points between the writes of the store, for tests that simulate a crash at each one.
enum class LabelWriteStep {
    SaveBegin, // save(): nothing written yet
    SidecarWritten, // save(): the new sidecar is in place, the journal still holds everything
    JournalReset, // save(): the journal is reset to one checkpoint line; save done
    AppendBegin, // a change: applied in memory, its journal line not written yet
    AppendWritten, // a change: its journal line written and synced; the call is about to return
};

struct LabelStoreOptions {
    // fsync the journal after each line (false: only write(), which survives the process
    // being killed but not the machine losing power).
    bool syncJournal = true;
    // save() runs by itself after a change once the journal is larger than this (0 = never).
    int64_t autoSaveJournalBytes = int64_t { 8 } << 20;
    // Test-only: called at each LabelWriteStep (a test may _exit() there to simulate a kill).
    std::function<void(LabelWriteStep)> faultHook;
};

// A model's prediction for one image.
struct ImagePrediction {
    int image = -1; // image index
    std::string className; // the predicted class (a name of the model's classes)
    float confidence = 0; // its probability, in [0, 1]
};

// What the browser shows: a filter and an order.
struct LabelQuery {
    enum class Labels { All, Labeled, Unlabeled, Class };
    enum class Order { Path, LeastConfident, MostConfident };
    Labels labels = Labels::All;
    std::string className; // Labels::Class: images labeled with this class
    std::string predictedClass; // non-empty: only images predicted as this class
    bool predictedOnly = false; // only images that have a prediction
    // Only images whose prediction's confidence is in [min, max]; narrowing the range below
    // [0, 1] also leaves out images without a prediction.
    float minConfidence = 0.0f;
    float maxConfidence = 1.0f;
    // LeastConfident: the images the model is least sure of first (active learning); images
    // without a prediction come last. Ties by path.
    Order order = Order::Path;
};

class LabelStore {
public:
    static constexpr const char* kSidecarName = "netcanvas-labels.json";
    static constexpr const char* kJournalName = "netcanvas-labels.journal";
    static constexpr const char* kLockName = "netcanvas-labels.lock";
    // Where a sidecar that could not be used (broken, or older than the journal) is set aside
    // when the store is recovered from the journal.
    static constexpr const char* kUnusedCopyName = "netcanvas-labels.unused.json";

    // Opens `folder`: scans its images, takes the lock, reads the sidecar and replays the
    // journal. A broken sidecar is recovered from the journal (recoveryMessage() says so).
    explicit LabelStore(const std::string& folder, LabelStoreOptions options = {});
    // Releases the lock. Does not save (the journal holds every change).
    ~LabelStore();
    LabelStore(const LabelStore&) = delete;
    LabelStore& operator=(const LabelStore&) = delete;

    const std::string& root() const { return m_root; }
    // Non-empty when the labels were not read as saved: the sidecar was broken (the message
    // names file:line:column) or older than the journal, and what was done about it.
    const std::string& recoveryMessage() const { return m_recovery; }
    // Everything else worth telling: journal lines ignored (torn by a crash), a stale lock
    // taken over, images skipped by the scan, labels of images no longer in the folder.
    const std::vector<std::string>& notes() const { return m_notes; }

    // ---- Images --------------------------------------------------------------------
    int imageCount() const { return static_cast<int>(m_images.size()); }
    const std::string& imageId(int image) const { return m_images.at(static_cast<size_t>(image)); }
    std::string imagePath(int image) const { return m_root + "/" + imageId(image); }
    std::vector<std::string> imagePaths(const std::vector<int>& images) const;
    int indexOf(const std::string& id) const; // -1 when not in the folder
    // Labels kept for images that are not in the folder (moved away, deleted): never dropped,
    // saved again, applied when the file returns. id → class.
    std::map<std::string, std::string> missingImageLabels() const;
    // First-level sub-folders holding images: the classes importFolderPerClass() would create.
    std::vector<std::string> folderClassNames() const;

    // ---- Classes -------------------------------------------------------------------
    const std::vector<std::string>& classes() const { return m_classes; }
    int classIndex(const std::string& name) const; // -1 when there is none
    std::vector<int64_t> classCounts() const; // images present, per class
    int64_t unlabeledCount() const;

    // ---- Labels --------------------------------------------------------------------
    int label(int image) const { return m_labels.at(static_cast<size_t>(image)); } // class index or -1
    std::string labelName(int image) const; // "" when unlabeled

    // Mutations: each applies, journals and returns the change (empty() when nothing
    // changed: nothing is journaled). Names are trimmed; class names must be unique,
    // non-empty, without '/' (see classNameProblem). Throws DataError naming the class.
    LabelChange addClass(const std::string& name, int position = -1); // -1 = at the end
    LabelChange renameClass(const std::string& from, const std::string& to);
    LabelChange mergeClass(const std::string& from, const std::string& into); // from's images become into's; from goes
    LabelChange deleteClass(const std::string& name); // its images become unlabeled
    LabelChange moveClass(const std::string& name, int position);
    LabelChange assign(const std::vector<int>& images, const std::string& className);
    LabelChange unlabel(const std::vector<int>& images);
    // Creates a class per folderClassNames() entry (those missing) and labels the unlabeled
    // images under each with it; images that have a label keep it.
    LabelChange importFolderPerClass();
    // Labels images with their predicted class. Images without a prediction, or whose
    // predicted class is not a class of the store (deleted since), are left as they are.
    LabelChange acceptPredictions(const std::vector<int>& images);
    // Accepts every prediction with confidence >= threshold (of unlabeled images only, unless
    // onlyUnlabeled is false).
    LabelChange acceptPredictionsAbove(float threshold, bool onlyUnlabeled = true);

    // The same changes computed without applying them (throw like the mutations).
    LabelChange makeAddClass(const std::string& name, int position = -1) const;
    LabelChange makeRenameClass(const std::string& from, const std::string& to) const;
    LabelChange makeMergeClass(const std::string& from, const std::string& into) const;
    LabelChange makeDeleteClass(const std::string& name) const;
    LabelChange makeMoveClass(const std::string& name, int position) const;
    LabelChange makeAssign(const std::vector<int>& images, const std::string& className) const; // "" = unlabel
    LabelChange makeImportFolderPerClass() const;
    LabelChange makeAcceptPredictions(const std::vector<int>& images) const;
    LabelChange makeAcceptPredictionsAbove(float threshold, bool onlyUnlabeled = true) const;

    // Redo / undo. Requires: the labels are as right before (apply) or right after (revert)
    // the change — an undo stack's order. Throws DataError when they are not (unchanged then).
    void apply(const LabelChange& change);
    void revert(const LabelChange& change);

    // ---- Persistence ---------------------------------------------------------------
    // Writes the sidecar (atomically), then resets the journal to one checkpoint line.
    void save();
    // Changes journaled since the sidecar was last written (or the sidecar needs rewriting).
    bool hasUnsavedChanges() const { return m_seq != m_savedSeq || !m_sidecarCurrent; }

    // ---- Predictions (in memory only; see docs/labels-format.md) ---------------------
    // Sets predictions (replacing all when replaceAll, else only those images').
    void setPredictions(const std::vector<ImagePrediction>& predictions, bool replaceAll = false);
    void clearPredictions();
    bool hasPrediction(int image) const { return m_predClass.at(static_cast<size_t>(image)) >= 0; }
    std::string predictedClass(int image) const; // "" without a prediction
    float confidence(int image) const; // NaN without a prediction
    std::vector<int> query(const LabelQuery& q) const;

    // ---- Training ------------------------------------------------------------------
    LabeledImages labeledImages() const;
    std::vector<int> unlabeledImages() const;
    // loadLabeledImages(labeledImages(), options): decodes on the calling thread's workers.
    Dataset buildDataset(const DatasetOptions& options) const;

    // ---- Export (see LabeledImages.h) ------------------------------------------------
    ExportResult exportFolderPerClass(const std::string& target, const LabelProgress& progress = {}) const;
    void exportCsv(const std::string& csvPath) const;

private:
    std::string m_root;
    LabelStoreOptions m_options;
    std::unique_ptr<LabelLock> m_lock;
    std::vector<std::string> m_images;
    std::unordered_map<std::string, int> m_index;
    std::vector<std::string> m_classes;
    std::vector<int> m_labels; // per image: class index or -1
    std::map<std::string, int> m_orphanLabels; // labels of images not in the folder
    std::vector<std::string> m_predClassNames;
    std::vector<int> m_predClass; // per image: index into m_predClassNames or -1
    std::vector<float> m_predConfidence;
    int64_t m_seq = 0; // the last journaled change
    int64_t m_savedSeq = 0; // the last change in the sidecar
    bool m_sidecarCurrent = true;
    int m_journalFd = -1;
    int64_t m_journalBytes = 0;
    std::string m_recovery;
    std::vector<std::string> m_notes;

    std::string file(const char* name) const { return m_root + "/" + name; }
    void load();
    void setState(const LabelSnapshot& s);
    LabelSnapshot snapshot() const;
    void openJournal();
    void closeJournal();
    void rewriteJournal(const LabelSnapshot& s);
    void appendJournal(const LabelChange& change);
    void hook(LabelWriteStep step) const;
    void commit(const LabelChange& change); // apply in memory + journal, or nothing
    LabelChange committed(LabelChange change);
    void applyInMemory(const LabelChange& change);
    void applyOp(const LabelOp& op);
    int labelOfId(const std::string& id) const;
    void setLabelOfId(const std::string& id, int cls);
    void remapClasses(const std::vector<int>& oldToNew);
    std::string checkedNewClassName(const std::string& name) const;
    int existingClass(const std::string& name) const;
    LabelOp relabelAll(int cls, const std::string& after) const;
};

} // namespace netcanvas
