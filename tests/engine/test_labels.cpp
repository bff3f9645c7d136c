// Tests of engine/labels: the LabelStore of a folder of images — classes, labels and their
// undo, the sidecar + journal surviving a kill between any two writes, a torn journal line,
// a hand-broken sidecar, the lock, predictions and the uncertainty sort, training sets and
// exports. Folders are generated in a QTemporaryDir; crashes are real: a forked child is
// _exit()ed at a write step and the parent reopens the folder.
#include "engine/core/Error.h"
#include "engine/data/Dataset.h"
#include "engine/io/AtomicFile.h"
#include "engine/labels/ImageScan.h"
#include "engine/labels/LabelFile.h"
#include "engine/labels/LabelLock.h"
#include "engine/labels/LabelStore.h"

#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sys/wait.h>
#include <unistd.h>

using namespace netcanvas;
namespace fs = std::filesystem;

namespace {

void writeBytes(const std::string& path, const std::string& bytes)
{
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// An 8×8 gray PNG whose pixels depend on `seed` (so every file's bytes differ).
void writePng(const std::string& path, int seed)
{
    fs::create_directories(fs::path(path).parent_path());
    cv::Mat img(8, 8, CV_8UC1);
    for (int y = 0; y < 8; ++y)
        for (int x = 0; x < 8; ++x)
            img.at<uint8_t>(y, x) = static_cast<uint8_t>((seed * 37 + y * 8 + x * 3) & 255);
    QVERIFY(cv::imwrite(path, img));
}

// img00.png ... img<n-1>.png at the top of `dir`.
void writeFlat(const std::string& dir, int n)
{
    for (int i = 0; i < n; ++i)
        writePng(dir + "/img" + (i < 10 ? "0" : "") + std::to_string(i) + ".png", i);
}

// The labels as plain values, to compare states.
struct State {
    std::vector<std::string> classes;
    std::vector<std::string> labels; // per image, "" = unlabeled
    bool operator==(const State&) const = default;
};

State stateOf(const LabelStore& s)
{
    State st;
    st.classes = s.classes();
    for (int i = 0; i < s.imageCount(); ++i)
        st.labels.push_back(s.labelName(i));
    return st;
}

std::string describe(const State& s)
{
    std::string out = "classes:";
    for (const auto& c : s.classes)
        out += " " + c;
    out += " | labels:";
    for (const auto& l : s.labels)
        out += " " + (l.empty() ? std::string("-") : l);
    return out;
}

#define COMPARE_STATE(a, b) QVERIFY2((a) == (b), (describe(a) + "\n   vs " + describe(b)).c_str())

// Expects `f` to throw E whose message contains every one of `parts`.
template <typename E, typename F> void expectThrow(F&& f, std::initializer_list<std::string> parts)
{
    try {
        f();
    } catch (const E& e) {
        const std::string msg = e.what();
        for (const auto& p : parts)
            QVERIFY2(msg.find(p) != std::string::npos, ("message '" + msg + "' lacks '" + p + "'").c_str());
        return;
    } catch (const std::exception& e) {
        QFAIL((std::string("wrong exception type: ") + e.what()).c_str());
    }
    QFAIL("no exception thrown");
}

bool contains(const std::vector<std::string>& notes, const std::string& part)
{
    for (const auto& n : notes)
        if (n.find(part) != std::string::npos)
            return true;
    return false;
}

std::string joined(const std::vector<std::string>& notes)
{
    std::string s;
    for (const auto& n : notes)
        s += n + "\n";
    return s;
}

int lineCount(const std::string& text)
{
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

// Fast options for tests that do not simulate a power loss.
LabelStoreOptions quick()
{
    LabelStoreOptions o;
    o.syncJournal = false;
    return o;
}

// A labeling session touching every kind of change and two saves. Deterministic.
void session(LabelStore& s)
{
    s.addClass("cat");
    s.addClass("dog");
    s.assign({ 0, 1, 2 }, "cat");
    s.assign({ 3, 4 }, "dog");
    s.save();
    s.addClass("bird", 0);
    s.assign({ 5, 6 }, "bird");
    s.renameClass("dog", "puppy");
    const LabelChange undone = s.assign({ 7 }, "cat");
    s.revert(undone);
    s.moveClass("bird", 2);
    s.mergeClass("bird", "cat");
    s.save();
    s.assign({ 8 }, "puppy");
    s.deleteClass("puppy");
    s.unlabel({ 0 });
}

} // namespace

class TestLabels : public QObject {
    Q_OBJECT

    QTemporaryDir m_tmp;
    int m_counter = 0;

    // A fresh folder under the temporary dir.
    std::string folder(const std::string& name)
    {
        const std::string dir
            = m_tmp.filePath(QString::fromStdString(name + "-" + std::to_string(++m_counter))).toStdString();
        fs::create_directories(dir);
        return dir;
    }

private slots:
    void initTestCase() { QVERIFY(m_tmp.isValid()); }

    void scanFindsImagesRecursivelyWithStableIds()
    {
        const std::string dir = folder("scan");
        writePng(dir + "/b.png", 1);
        writePng(dir + "/a/z.PNG", 2);
        writePng(dir + "/a/deeper/y.png", 3);
        writeBytes(dir + "/c.webp", "not decoded by the scan");
        writeBytes(dir + "/d.JPEG", "x");
        writeBytes(dir + "/notes.txt", "not an image");
        writePng(dir + "/.hidden/h.png", 4);
        writePng(dir + "/.h.png", 5);
        const ImageScan scan = scanImageFolder(dir);
        const std::vector<std::string> want { "a/deeper/y.png", "a/z.PNG", "b.png", "c.webp", "d.JPEG" };
        QCOMPARE(scan.ids, want);
        QVERIFY(isLabelImageFileName("x.tiff") && isLabelImageFileName("x.Jpg") && !isLabelImageFileName("x.gif"));
        QVERIFY(isValidUtf8("caf\xC3\xA9") && !isValidUtf8("caf\xE9") && !isValidUtf8("\xC0\x80"));

        LabelStore s(dir, quick());
        QCOMPARE(s.imageCount(), 5);
        QCOMPARE(s.indexOf("a/z.PNG"), 1);
        QCOMPARE(s.imagePath(1), fs::canonical(dir).string() + "/a/z.PNG");
        QCOMPARE(s.unlabeledCount(), int64_t { 5 });
        QCOMPARE(s.folderClassNames(), std::vector<std::string> { "a" });
    }

    // Classes: create, rename, merge, delete, move — each reverted by its returned change
    // and redone by applying it again; names trimmed, unique, non-empty; errors name the class.
    void classesAndTheirUndo()
    {
        const std::string dir = folder("classes");
        writeFlat(dir, 6);
        LabelStore s(dir, quick());
        const LabelChange addCat = s.addClass("  cat ");
        QCOMPARE(s.classes(), std::vector<std::string> { "cat" });
        s.addClass("dog");
        s.addClass("bird", 0);
        QCOMPARE(s.classes(), (std::vector<std::string> { "bird", "cat", "dog" }));
        expectThrow<DataError>([&] { s.addClass("cat"); }, { "'cat'", "already exists" });
        expectThrow<DataError>([&] { s.addClass("   "); }, { "empty" });
        expectThrow<DataError>([&] { s.addClass("a/b"); }, { "'a/b'", "'/'" });
        expectThrow<DataError>([&] { s.renameClass("cow", "ox"); }, { "no class 'cow'" });
        expectThrow<DataError>([&] { s.renameClass("cat", "dog"); }, { "'dog'", "already exists" });
        expectThrow<DataError>([&] { s.mergeClass("cat", "cat"); }, { "'cat'", "itself" });
        expectThrow<DataError>([&] { s.assign({ 0 }, "cow"); }, { "no class 'cow'" });
        expectThrow<DataError>([&] { s.assign({ 99 }, "cat"); }, { "image number 99" });

        s.assign({ 0, 1 }, "cat");
        s.assign({ 2, 3 }, "dog");
        s.assign({ 4 }, "bird");
        const State before = stateOf(s);

        // rename
        LabelChange c = s.renameClass("dog", " puppy ");
        QCOMPARE(s.classes(), (std::vector<std::string> { "bird", "cat", "puppy" }));
        QCOMPARE(s.labelName(2), std::string("puppy"));
        QVERIFY2(
            c.text.find("'dog'") != std::string::npos && c.text.find("'puppy'") != std::string::npos, c.text.c_str());
        s.revert(c);
        COMPARE_STATE(stateOf(s), before);
        s.apply(c);
        QCOMPARE(s.labelName(3), std::string("puppy"));
        s.revert(c);

        // merge: cat's images become dog's, cat goes
        c = s.mergeClass("cat", "dog");
        QCOMPARE(s.classes(), (std::vector<std::string> { "bird", "dog" }));
        QCOMPARE(s.classCounts(), (std::vector<int64_t> { 1, 4 }));
        QCOMPARE(c.relabeledCount(), size_t { 2 });
        s.revert(c);
        COMPARE_STATE(stateOf(s), before);

        // delete: its images become unlabeled
        c = s.deleteClass("bird");
        QCOMPARE(s.classes(), (std::vector<std::string> { "cat", "dog" }));
        QCOMPARE(s.label(4), -1);
        QCOMPARE(s.label(0), 0); // indices shifted with the class list
        QCOMPARE(s.unlabeledCount(), int64_t { 2 });
        s.revert(c);
        COMPARE_STATE(stateOf(s), before);

        // move: the order of the keys 1–9
        c = s.moveClass("bird", 2);
        QCOMPARE(s.classes(), (std::vector<std::string> { "cat", "dog", "bird" }));
        QCOMPARE(s.labelName(4), std::string("bird"));
        QCOMPARE(s.labelName(0), std::string("cat"));
        s.revert(c);
        COMPARE_STATE(stateOf(s), before);

        // Undoing the very first change after the others are undone: the empty store again.
        s.unlabel({ 0, 1, 2, 3, 4 });
        s.deleteClass("bird");
        s.deleteClass("dog");
        s.revert(addCat);
        QVERIFY(s.classes().empty());
        QVERIFY(s.hasUnsavedChanges());
    }

    void assignAndUndo()
    {
        const std::string dir = folder("assign");
        writeFlat(dir, 5);
        LabelStore s(dir, quick());
        s.addClass("a");
        s.addClass("b");
        const State empty = stateOf(s);
        const LabelChange c1 = s.assign({ 0, 1, 1, 2 }, "a");
        QCOMPARE(c1.relabeledCount(), size_t { 3 }); // duplicates once
        QCOMPARE(c1.text, std::string("Label 3 images 'a'"));
        const State afterC1 = stateOf(s);
        const LabelChange c2 = s.assign({ 1, 2, 3 }, "b");
        QCOMPARE(s.classCounts(), (std::vector<int64_t> { 1, 3 }));
        // The returned change holds the previous labels: reverting restores them exactly.
        QCOMPARE(c2.ops.at(0).relabels.at(0).before, std::string("a"));
        QCOMPARE(c2.ops.at(0).relabels.at(2).before, std::string(""));
        s.revert(c2);
        COMPARE_STATE(stateOf(s), afterC1);
        s.revert(c1);
        COMPARE_STATE(stateOf(s), empty);
        s.apply(c1); // redo
        s.apply(c2);
        QCOMPARE(s.labelName(2), std::string("b"));
        // Labeling with the label they have changes nothing and is not journaled.
        QVERIFY(s.assign({ 1, 2 }, "b").empty());
        // A change that does not fit the labels (out of undo order) is refused, unchanged.
        const State now = stateOf(s);
        expectThrow<DataError>([&] { s.apply(c1); }, { "img0", "as the change expects" });
        COMPARE_STATE(stateOf(s), now);
        const LabelChange u = s.unlabel({ 0, 3 });
        QCOMPARE(s.unlabeledCount(), int64_t { 3 });
        QCOMPARE(u.text, std::string("Unlabel 2 images"));
        // make*() computes without applying.
        const LabelChange planned = s.makeAssign({ 4 }, "a");
        QCOMPARE(s.label(4), -1);
        s.apply(planned);
        QCOMPARE(s.labelName(4), std::string("a"));
    }

    void importExistingFolderPerClassDataset()
    {
        const std::string dir = folder("import");
        writePng(dir + "/cat/1.png", 1);
        writePng(dir + "/cat/2.png", 2);
        writePng(dir + "/dog/1.png", 3);
        writePng(dir + "/dog/sub/2.png", 4);
        writePng(dir + "/loose.png", 5);
        LabelStore s(dir, quick());
        s.addClass("dog");
        s.assign({ s.indexOf("cat/2.png") }, "dog"); // a label the user gave wins
        const State before = stateOf(s);
        QCOMPARE(s.folderClassNames(), (std::vector<std::string> { "cat", "dog" }));
        const LabelChange c = s.importFolderPerClass();
        QCOMPARE(s.classes(), (std::vector<std::string> { "dog", "cat" }));
        QCOMPARE(s.labelName(s.indexOf("cat/1.png")), std::string("cat"));
        QCOMPARE(s.labelName(s.indexOf("cat/2.png")), std::string("dog"));
        QCOMPARE(s.labelName(s.indexOf("dog/sub/2.png")), std::string("dog"));
        QCOMPARE(s.labelName(s.indexOf("loose.png")), std::string(""));
        s.revert(c);
        COMPARE_STATE(stateOf(s), before);
    }

    // Changes are in the journal the moment the call returns: closing without save() and
    // reopening gives the same labels; save() writes the documented sidecar and resets the
    // journal to one checkpoint line.
    void sidecarAndJournalRoundTrip()
    {
        const std::string dir = folder("roundtrip");
        writeFlat(dir, 10);
        writePng(dir + "/sub/x.png", 11);
        State want;
        {
            LabelStore s(dir);
            s.addClass("cat");
            s.addClass("dög, \"the\" dog");
            s.assign({ 0, 1 }, "cat");
            s.assign({ 2, 10 }, "dög, \"the\" dog");
            want = stateOf(s);
            QVERIFY(s.hasUnsavedChanges());
        }
        QVERIFY(!fs::exists(dir + "/netcanvas-labels.json"));
        QVERIFY(!fs::exists(dir + "/netcanvas-labels.lock")); // released
        {
            LabelStore s(dir);
            COMPARE_STATE(stateOf(s), want);
            QVERIFY2(s.recoveryMessage().empty(), s.recoveryMessage().c_str());
            QVERIFY(s.hasUnsavedChanges());
            s.save();
            QVERIFY(!s.hasUnsavedChanges());
            QCOMPARE(lineCount(readFile(dir + "/netcanvas-labels.journal")), 1);
        }
        const std::string text = readFile(dir + "/netcanvas-labels.json");
        const auto j = nlohmann::json::parse(text);
        QCOMPARE(j["format"].get<std::string>(), std::string("netcanvas-labels"));
        QCOMPARE(j["version"].get<int>(), 1);
        QCOMPARE(j["journal_seq"].get<int>(), 4);
        QCOMPARE(j["classes"], nlohmann::json({ "cat", "dög, \"the\" dog" }));
        QCOMPARE(j["labels"].size(), size_t { 4 });
        QCOMPARE(j["labels"]["sub/x.png"].get<std::string>(), std::string("dög, \"the\" dog"));
        QVERIFY2(text.find("\n    \"img01.png\": \"cat\",\n") != std::string::npos, text.c_str()); // one image per line
        QCOMPARE(parseLabelFile(text, "x").labels.size(), size_t { 4 });
        {
            LabelStore s(dir);
            COMPARE_STATE(stateOf(s), want);
            QVERIFY(!s.hasUnsavedChanges());
            s.unlabel({ 0 });
            want = stateOf(s);
        }
        LabelStore s(dir);
        COMPARE_STATE(stateOf(s), want);
        QVERIFY2(s.notes().empty(), joined(s.notes()).c_str());
    }

    // A kill between any two writes loses no label. A forked child runs a labeling session
    // and _exit()s at its k-th write step (every step of every change and of both saves);
    // the parent reopens the folder (taking over the dead child's lock) and must find every
    // change whose call returned — and the one whose journal line was written.
    void killBetweenAnyTwoWritesLosesNothing()
    {
        // The reference run: the state that must survive a kill at each step.
        std::vector<State> durable; // per hook call
        std::vector<LabelWriteStep> steps;
        {
            const std::string dir = folder("reference");
            writeFlat(dir, 10);
            LabelStore* self = nullptr;
            State lastDurable;
            LabelStoreOptions o;
            o.faultHook = [&](LabelWriteStep step) {
                steps.push_back(step);
                // At AppendBegin the change is applied in memory but not written: not durable.
                if (step != LabelWriteStep::AppendBegin)
                    lastDurable = stateOf(*self);
                durable.push_back(lastDurable);
            };
            LabelStore s(dir, o);
            self = &s;
            lastDurable = stateOf(s);
            session(s);
        }
        QVERIFY(steps.size() > 30);
        QCOMPARE(std::count(steps.begin(), steps.end(), LabelWriteStep::SidecarWritten), 2L);

        for (size_t k = 0; k < steps.size(); ++k) {
            const std::string dir = folder("kill");
            writeFlat(dir, 10);
            const pid_t pid = ::fork();
            QVERIFY(pid >= 0);
            if (pid == 0) {
                size_t calls = 0;
                LabelStoreOptions o;
                o.faultHook = [&](LabelWriteStep) {
                    if (calls++ == k)
                        ::_exit(0); // killed: no destructor, no unlock, no cleanup
                };
                try {
                    LabelStore s(dir, o);
                    session(s);
                } catch (...) {
                    ::_exit(3);
                }
                ::_exit(2);
            }
            int status = 0;
            QCOMPARE(::waitpid(pid, &status, 0), pid);
            QVERIFY(WIFEXITED(status));
            QCOMPARE(WEXITSTATUS(status), 0);
            QVERIFY(fs::exists(dir + "/netcanvas-labels.lock")); // left behind by the "kill"

            const std::string at = "killed at write step " + std::to_string(k);
            std::optional<LabelStore> s;
            s.emplace(dir, quick());
            QVERIFY2(stateOf(*s) == durable[k],
                (at + ": " + describe(stateOf(*s)) + "\n   vs " + describe(durable[k])).c_str());
            QVERIFY2(contains(s->notes(), "took over the lock"), (at + ": " + joined(s->notes())).c_str());
            QVERIFY2(s->recoveryMessage().empty(), (at + ": " + s->recoveryMessage()).c_str());
            // And work goes on from there: a change, a save, a clean reopen.
            s->addClass("after-crash");
            s->assign({ 9 }, "after-crash");
            s->save();
            const State resumed = stateOf(*s);
            s.reset();
            s.emplace(dir, quick());
            QVERIFY2(stateOf(*s) == resumed, at.c_str());
            QVERIFY2(s->notes().empty(), (at + ": " + joined(s->notes())).c_str());
        }
    }

    // A kill inside writeFileAtomic leaves a temp file beside the sidecar: ignored and removed.
    void unfinishedAtomicWriteIsIgnored()
    {
        const std::string dir = folder("tmpfile");
        writeFlat(dir, 3);
        State want;
        {
            LabelStore s(dir, quick());
            s.addClass("x");
            s.assign({ 1 }, "x");
            s.save();
            want = stateOf(s);
        }
        writeBytes(dir + "/netcanvas-labels.json.tmp-4242", "{\"format\": \"netcanv");
        writeBytes(dir + "/netcanvas-labels.journal.tmp-77", "{\"seq\"");
        LabelStore s(dir, quick());
        COMPARE_STATE(stateOf(s), want);
        QVERIFY(!fs::exists(dir + "/netcanvas-labels.json.tmp-4242"));
        QVERIFY(!fs::exists(dir + "/netcanvas-labels.journal.tmp-77"));
        QVERIFY(contains(s.notes(), "unfinished write"));
        QCOMPARE(s.imageCount(), 3);
    }

    // The crash hit mid-append: the last line has no '\n'. It is ignored with a note, cut
    // off, and the next change lands on a line of its own.
    void tornJournalLineIsIgnored()
    {
        const std::string dir = folder("torn");
        writeFlat(dir, 4);
        State want;
        {
            LabelStore s(dir, quick());
            s.addClass("x");
            s.assign({ 0 }, "x");
            want = stateOf(s);
        }
        const std::string journal = dir + "/netcanvas-labels.journal";
        std::string bytes = readFile(journal);
        const std::string next = "{\"seq\":3,\"ops\":[{\"op\":\"set\",\"labels\":[[\"img01.png\",null,\"x\"]]}]}";
        bytes += next.substr(0, next.size() / 2);
        writeBytes(journal, bytes);
        {
            LabelStore s(dir, quick());
            COMPARE_STATE(stateOf(s), want);
            QVERIFY2(
                contains(s.notes(), "netcanvas-labels.journal:4: an incomplete last line"), joined(s.notes()).c_str());
            s.assign({ 2 }, "x");
            want = stateOf(s);
        }
        LabelStore s(dir, quick());
        COMPARE_STATE(stateOf(s), want);
        QVERIFY2(s.notes().empty(), joined(s.notes()).c_str());
        QCOMPARE(s.labelName(1), std::string(""));
        // A garbled line in the middle is skipped with a note naming it; the rest replays.
        const JournalContents jc
            = parseJournal("{\"seq\":0,\"checkpoint\":{\"classes\":[],\"labels\":{}}}\nnot json\n", "j");
        QCOMPARE(jc.entries.size(), size_t { 1 });
        QVERIFY(contains(jc.notes, "j:2: invalid JSON"));
        QVERIFY(!jc.tornTail);
    }

    // A sidecar edited by hand into a broken state: reported with the line at fault, the
    // labels recovered from the journal (its checkpoint + the changes after it), the broken
    // file set aside; save() then writes a good one.
    void brokenSidecarIsReportedAndRecovered()
    {
        const std::string dir = folder("broken");
        writeFlat(dir, 6);
        State want;
        {
            LabelStore s(dir, quick());
            s.addClass("cat");
            s.addClass("dog");
            s.assign({ 0, 1, 2 }, "cat");
            s.assign({ 3 }, "dog");
            s.save();
            s.assign({ 4 }, "dog"); // after the save: only in the journal
            want = stateOf(s);
        }
        const std::string sidecar = dir + "/netcanvas-labels.json";
        const std::string good = readFile(sidecar);

        // 1. Valid JSON, wrong content: a class that does not exist.
        std::string text = good;
        const std::string target = "\"img02.png\": \"cat\"";
        const size_t at = text.find(target);
        QVERIFY(at != std::string::npos);
        text.replace(at, target.size(), "\"img02.png\": \"cta\"");
        const int line = lineCount(text.substr(0, at)) + 1;
        const int col = static_cast<int>(at - text.rfind('\n', at)) + 13; // the value's quote
        writeBytes(sidecar, text);
        {
            LabelStore s(dir, quick());
            const std::string where = "netcanvas-labels.json:" + std::to_string(line) + ":" + std::to_string(col) + ":";
            QVERIFY2(
                s.recoveryMessage().find(where) != std::string::npos, (where + " in " + s.recoveryMessage()).c_str());
            QVERIFY2(s.recoveryMessage().find("'cta'") == std::string::npos
                    && s.recoveryMessage().find("\"cta\" is not in \"classes\"") != std::string::npos,
                s.recoveryMessage().c_str());
            QVERIFY(s.recoveryMessage().find("recovered from the journal") != std::string::npos);
            COMPARE_STATE(stateOf(s), want);
            QCOMPARE(readFile(dir + "/netcanvas-labels.unused.json"), text);
            QVERIFY(s.hasUnsavedChanges());
        }
        {
            // Not saved yet: still recovered (the journal still holds everything).
            LabelStore s(dir, quick());
            COMPARE_STATE(stateOf(s), want);
            QVERIFY(!s.recoveryMessage().empty());
            s.save();
        }
        {
            LabelStore s(dir, quick());
            QVERIFY2(s.recoveryMessage().empty(), s.recoveryMessage().c_str());
            COMPARE_STATE(stateOf(s), want);
        }

        // 2. A syntax error: a comma deleted at the end of a line is reported on that line.
        text = readFile(sidecar);
        const size_t comma = text.find("\"img01.png\": \"cat\",");
        QVERIFY(comma != std::string::npos);
        const int commaLine = lineCount(text.substr(0, comma)) + 1;
        text.erase(comma + std::string("\"img01.png\": \"cat\"").size(), 1);
        writeBytes(sidecar, text);
        {
            LabelStore s(dir, quick());
            const std::string where = "netcanvas-labels.json:" + std::to_string(commaLine) + ":23: invalid JSON";
            QVERIFY2(
                s.recoveryMessage().find(where) != std::string::npos, (where + " in " + s.recoveryMessage()).c_str());
            QVERIFY(s.recoveryMessage().find("missing comma") != std::string::npos);
            COMPARE_STATE(stateOf(s), want);
        }

        // 3. No journal to recover from: the error itself, with the line, and nothing changed.
        fs::remove(dir + "/netcanvas-labels.journal");
        expectThrow<FormatError>([&] { LabelStore s(dir, quick()); },
            { "netcanvas-labels.json:" + std::to_string(commaLine) + ":23:", "no journal" });
        QCOMPARE(readFile(sidecar), text);
        QVERIFY(!fs::exists(dir + "/netcanvas-labels.lock"));
    }

    // A sidecar older than the journal's checkpoint (a backup restored over it): the
    // journal's newer labels win, with a message; the old file is set aside.
    void olderSidecarLosesToTheJournal()
    {
        const std::string dir = folder("older");
        writeFlat(dir, 4);
        const std::string sidecar = dir + "/netcanvas-labels.json";
        std::string old;
        State want;
        {
            LabelStore s(dir, quick());
            s.addClass("x");
            s.assign({ 0 }, "x");
            s.save();
            old = readFile(sidecar);
            s.assign({ 1, 2 }, "x");
            s.save();
            s.unlabel({ 0 });
            want = stateOf(s);
        }
        writeBytes(sidecar, old);
        LabelStore s(dir, quick());
        COMPARE_STATE(stateOf(s), want);
        QVERIFY2(s.recoveryMessage().find("older than its journal") != std::string::npos, s.recoveryMessage().c_str());
        QCOMPARE(readFile(dir + "/netcanvas-labels.unused.json"), old);
        QVERIFY(s.hasUnsavedChanges());
    }

    void sidecarErrorsNameLineAndColumn()
    {
        auto err = [](const std::string& text) {
            try {
                parseLabelFile(text, "f.json");
            } catch (const FormatError& e) {
                return std::string(e.what());
            }
            return std::string("no error");
        };
        const std::string head = "{\n  \"format\": \"netcanvas-labels\",\n  \"version\": 1,\n";
        QCOMPARE(err(""), std::string("f.json:1:1: the file is empty"));
        QVERIFY2(err("[1]").rfind("f.json:1:1: the labels file must be a JSON object", 0) == 0, err("[1]").c_str());
        QVERIFY2(err(head + "  \"classes\": [\"a\", \"a\"],\n  \"labels\": {}\n}")
                     .rfind("f.json:4:20: class \"a\" is listed twice", 0)
                == 0,
            err(head + "  \"classes\": [\"a\", \"a\"],\n  \"labels\": {}\n}").c_str());
        const std::string dup = err(
            head + "  \"classes\": [\"a\"],\n  \"labels\": {\n    \"x.png\": \"a\",\n    \"x.png\": null\n  }\n}");
        QVERIFY2(dup.rfind("f.json:7:5: image \"x.png\" is listed twice (first at line 6)", 0) == 0, dup.c_str());
        const std::string trailing
            = err(head + "  \"classes\": [\"a\"],\n  \"labels\": {\n    \"x.png\": \"a\",\n  }\n}");
        QVERIFY2(trailing.rfind("f.json:6:17: invalid JSON: a comma after the last member", 0) == 0, trailing.c_str());
        const std::string version
            = err("{\"format\": \"netcanvas-labels\", \"version\": 9, \"classes\": [], \"labels\": {}}");
        QVERIFY2(version.rfind("f.json:1:43: version 9 is newer", 0) == 0, version.c_str());
        const std::string escape = err(head + "  \"classes\": [\"a\\q\"],\n  \"labels\": {}\n}");
        QVERIFY2(escape.rfind("f.json:4:17: invalid JSON: unknown escape", 0) == 0, escape.c_str());
        const std::string path = err(head + "  \"classes\": [\"a\"],\n  \"labels\": {\"../x.png\": \"a\"}\n}");
        QVERIFY2(path.rfind("f.json:5:14: image \"../x.png\"", 0) == 0, path.c_str());
        // Columns count characters: "é" is one.
        const std::string utf = err(head + "  \"classes\": [\"é\", 3],\n  \"labels\": {}\n}");
        QVERIFY2(utf.rfind("f.json:4:20: a class name must be a string", 0) == 0, utf.c_str());
        // What formatLabelFile writes, parseLabelFile reads.
        LabelSnapshot snap;
        snap.seq = 7;
        snap.classes = { "a", "b \"quoted\"", "ü" };
        snap.labels = { { "x/1.png", "a" }, { "y.png", "ü" }, { "z,1.png", "b \"quoted\"" } };
        const LabelSnapshot back = parseLabelFile(formatLabelFile(snap), "f");
        QCOMPARE(back.seq, int64_t { 7 });
        QCOMPARE(back.classes, snap.classes);
        QCOMPARE(back.labels, snap.labels);
    }

    // Labels of images that left the folder are kept (and saved) until they come back.
    void labelsOfMissingImagesAreKept()
    {
        const std::string dir = folder("missing");
        writeFlat(dir, 3);
        {
            LabelStore s(dir, quick());
            s.addClass("x");
            s.assign({ 0, 1 }, "x");
            s.save();
        }
        fs::rename(dir + "/img01.png", dir + "/../img01-away.png");
        {
            LabelStore s(dir, quick());
            QCOMPARE(s.imageCount(), 2);
            QCOMPARE(s.missingImageLabels(), (std::map<std::string, std::string> { { "img01.png", "x" } }));
            QVERIFY(contains(s.notes(), "1 image with a label are not in the folder"));
            // Deleting the class unlabels it too; undo brings it back.
            const LabelChange c = s.deleteClass("x");
            QVERIFY(s.missingImageLabels().empty());
            s.revert(c);
            s.save();
        }
        fs::rename(dir + "/../img01-away.png", dir + "/img01.png");
        LabelStore s(dir, quick());
        QCOMPARE(s.labelName(1), std::string("x"));
        QVERIFY(s.missingImageLabels().empty());
    }

    void lockRefusesSecondStoreAndTakesOverStaleOnes()
    {
        const std::string dir = folder("lock");
        writeFlat(dir, 2);
        const std::string root = fs::canonical(dir).string();
        const std::string lock = dir + "/netcanvas-labels.lock";
        const std::string host = LabelLock::hostName();
        {
            LabelStore first(dir, quick());
            QVERIFY(fs::exists(lock));
            const auto holder = LabelLock::readHolder(lock);
            QVERIFY(holder.has_value());
            QCOMPARE(holder->pid, static_cast<int64_t>(::getpid()));
            QCOMPARE(holder->host, host);
            expectThrow<LockError>([&] { LabelStore second(dir, quick()); },
                { "labels of " + root + " are open in another NetCanvas window (pid " + std::to_string(::getpid())
                    + " on " + host });
            // The refused store changed nothing.
            QCOMPARE(LabelLock::readHolder(lock)->pid, static_cast<int64_t>(::getpid()));
        }
        QVERIFY(!fs::exists(lock)); // released on destruction
        {
            LabelStore again(dir, quick());
        }

        // A lock file naming a live process of this host (another NetCanvas whose file system
        // ignores flock): refused. Once that process is dead — even before it is reaped — taken over.
        const pid_t child = ::fork();
        QVERIFY(child >= 0);
        if (child == 0) {
            for (;;)
                ::pause();
        }
        const auto comm = [] {
            std::ifstream in("/proc/self/comm");
            std::string s;
            std::getline(in, s);
            return s;
        }();
        const nlohmann::json holder { { "pid", child }, { "host", host }, { "program", comm },
            { "since", "2024-01-01 00:00:00 UTC" } };
        writeBytes(lock, holder.dump());
        expectThrow<LockError>([&] { LabelStore s(dir, quick()); },
            { "(pid " + std::to_string(child) + " on " + host + " since 2024-01-01 00:00:00 UTC)" });
        ::kill(child, SIGKILL);
        for (int i = 0; i < 200 && LabelLock::processAlive(child, comm); ++i)
            ::usleep(10000);
        {
            LabelStore s(dir, quick()); // a zombie holds nothing
            QVERIFY2(
                contains(s.notes(), "took over the lock of pid " + std::to_string(child)), joined(s.notes()).c_str());
            QCOMPARE(LabelLock::readHolder(lock)->pid, static_cast<int64_t>(::getpid()));
        }
        ::waitpid(child, nullptr, 0);

        // A pid that is now another program's: stale too.
        writeBytes(lock, nlohmann::json { { "pid", 1 }, { "host", host }, { "program", "no-such-program" } }.dump());
        {
            LabelStore s(dir, quick());
        }

        // Another host: never taken over; the message says which file to delete.
        writeBytes(lock, nlohmann::json { { "pid", 4242 }, { "host", "far-away-host" }, { "program", comm } }.dump());
        expectThrow<LockError>([&] { LabelStore s(dir, quick()); }, { "pid 4242 on far-away-host", "delete " + lock });
        fs::remove(lock);
    }

    // Predictions: filters for the browser, the least-confident-first order of active
    // learning, and accepting predictions as an undoable label change.
    void predictionsQueriesAndUncertaintySort()
    {
        const std::string dir = folder("predict");
        writeFlat(dir, 8);
        LabelStore s(dir, quick());
        s.addClass("cat");
        s.addClass("dog");
        s.assign({ 0 }, "cat");
        s.assign({ 1 }, "dog");
        const std::vector<float> conf { 0.99f, 0.40f, 0.75f, 0.55f, 0.95f, 0.35f, 0.80f };
        std::vector<ImagePrediction> preds;
        for (int i = 0; i < 7; ++i)
            preds.push_back({ i, i % 2 ? "dog" : "cat", conf[static_cast<size_t>(i)] });
        s.setPredictions(preds, true); // image 7 has none
        QCOMPARE(s.predictedClass(2), std::string("cat"));
        QCOMPARE(s.confidence(3), 0.55f);
        QVERIFY(!s.hasPrediction(7) && std::isnan(s.confidence(7)));

        LabelQuery q;
        q.order = LabelQuery::Order::LeastConfident;
        QCOMPARE(s.query(q), (std::vector<int> { 5, 1, 3, 2, 6, 4, 0, 7 }));
        q.labels = LabelQuery::Labels::Unlabeled;
        const std::vector<int> leastSure = s.query(q);
        QCOMPARE(leastSure, (std::vector<int> { 5, 3, 2, 6, 4, 7 }));
        for (size_t i = 1; i + 1 < leastSure.size(); ++i) // sorted by the model's confidence
            QVERIFY(s.confidence(leastSure[i - 1]) <= s.confidence(leastSure[i]));
        q.order = LabelQuery::Order::MostConfident;
        QCOMPARE(s.query(q), (std::vector<int> { 4, 6, 2, 3, 5, 7 }));
        LabelQuery byClass;
        byClass.labels = LabelQuery::Labels::Class;
        byClass.className = "dog";
        QCOMPARE(s.query(byClass), std::vector<int> { 1 });
        LabelQuery predicted;
        predicted.predictedClass = "dog";
        QCOMPARE(s.query(predicted), (std::vector<int> { 1, 3, 5 }));
        LabelQuery range;
        range.minConfidence = 0.5f;
        range.maxConfidence = 0.9f;
        QCOMPARE(s.query(range), (std::vector<int> { 2, 3, 6 }));
        LabelQuery labeled;
        labeled.labels = LabelQuery::Labels::Labeled;
        QCOMPARE(s.query(labeled), (std::vector<int> { 0, 1 }));
        QCOMPARE(s.query(LabelQuery {}).size(), size_t { 8 });

        // Accept one (a key in the browser) and all above a threshold; each undoable.
        const State before = stateOf(s);
        const LabelChange one = s.acceptPredictions({ 3, 7 }); // 7 has no prediction: left alone
        QCOMPARE(s.labelName(3), std::string("dog"));
        QCOMPARE(s.labelName(7), std::string(""));
        QCOMPARE(one.relabeledCount(), size_t { 1 });
        const LabelChange all = s.acceptPredictionsAbove(0.75f);
        QCOMPARE(all.relabeledCount(), size_t { 3 }); // 2, 4, 6 (0 is labeled already)
        QCOMPARE(s.labelName(4), std::string("cat"));
        QCOMPARE(s.labelName(5), std::string(""));
        s.revert(all);
        s.revert(one);
        COMPARE_STATE(stateOf(s), before);
        // Predictions follow a renamed class.
        s.renameClass("dog", "puppy");
        QCOMPARE(s.predictedClass(1), std::string("puppy"));
        s.acceptPredictions({ 5 });
        QCOMPARE(s.labelName(5), std::string("puppy"));
        expectThrow<DataError>([&] { s.setPredictions({ { 99, "cat", 0.5f } }); }, { "image number 99" });
        s.clearPredictions();
        QVERIFY(!s.hasPrediction(0));
    }

    // The training set: labeled images decoded at a geometry; a corrupt one skipped and
    // listed, never fatal; progress and cancel.
    void buildDatasetSkipsCorruptImages()
    {
        const std::string dir = folder("dataset");
        writeFlat(dir, 6);
        writeBytes(dir + "/broken.png", "this is not a png");
        LabelStore s(dir, quick());
        expectThrow<DataError>([&] { s.buildDataset({}); }, { "no image is labeled" });
        s.addClass("a");
        s.addClass("b");
        s.addClass("empty");
        s.assign({ s.indexOf("img00.png"), s.indexOf("img01.png"), s.indexOf("broken.png") }, "a");
        s.assign({ s.indexOf("img02.png"), s.indexOf("img03.png") }, "b");
        DatasetOptions o;
        o.channels = 1;
        o.height = 4;
        o.width = 4;
        int64_t lastDone = -1;
        o.progress = [&](int64_t done, int64_t total) {
            lastDone = done;
            return total == 5;
        };
        const Dataset d = s.buildDataset(o);
        QCOMPARE(lastDone, int64_t { 5 });
        QCOMPARE(d.size(), int64_t { 4 });
        QCOMPARE(d.classNames, (std::vector<std::string> { "a", "b", "empty" }));
        QCOMPARE(d.classCounts(), (std::vector<int64_t> { 2, 2, 0 }));
        QCOMPARE(d.sampleShape(), (Shape { 1, 4, 4 }));
        QCOMPARE(d.format, std::string("labels"));
        QCOMPARE(d.skipped.size(), size_t { 1 });
        QVERIFY(d.skipped[0].path.find("broken.png") != std::string::npos);
        QVERIFY(!d.skipped[0].reason.empty());
        for (int64_t i = 0; i < d.size(); ++i) {
            const std::string id = fs::path(d.sources[static_cast<size_t>(i)]).filename().string();
            QCOMPARE(d.classNames[static_cast<size_t>(d.labels[static_cast<size_t>(i)])], s.labelName(s.indexOf(id)));
        }
        // What is left to predict.
        QCOMPARE(s.imagePaths(s.unlabeledImages()).size(), size_t { 2 });
        o.progress = [](int64_t, int64_t) { return false; };
        expectThrow<DataError>([&] { s.buildDataset(o); }, { "cancelled" });
    }

    // The exported folder equals the labels: one folder per class, the same bytes, the same
    // counts — and openDataset reads it back. The originals stay where they are.
    void exportFolderPerClassEqualsTheLabels()
    {
        const std::string dir = folder("export-src");
        writeFlat(dir, 7);
        writePng(dir + "/nested/deep.png", 42);
        LabelStore s(dir, quick());
        s.addClass("cat");
        s.addClass("dog");
        s.addClass("unused");
        s.assign({ 0, 1, 2, s.indexOf("nested/deep.png") }, "cat");
        s.assign({ 3, 4 }, "dog");

        const std::string out = m_tmp.filePath("exported").toStdString();
        const ExportResult r = s.exportFolderPerClass(out);
        QCOMPARE(r.copied, int64_t { 6 });
        QVERIFY(r.skipped.empty());
        const LabeledImages set = s.labeledImages();
        std::map<std::string, int64_t> counts;
        for (const auto& e : fs::recursive_directory_iterator(out)) {
            if (!e.is_regular_file())
                continue;
            const std::string rel = fs::relative(e.path(), out).generic_string();
            const std::string cls = rel.substr(0, rel.find('/'));
            const std::string id = rel.substr(rel.find('/') + 1);
            ++counts[cls];
            const int i = s.indexOf(id);
            QVERIFY2(i >= 0, rel.c_str());
            QCOMPARE(s.labelName(i), cls);
            QVERIFY2(readFile(e.path().string()) == readFile(s.imagePath(i)), rel.c_str()); // byte for byte
        }
        QCOMPARE(counts, (std::map<std::string, int64_t> { { "cat", 4 }, { "dog", 2 } }));
        QVERIFY(!fs::exists(out + "/unused"));
        QVERIFY(fs::exists(dir + "/img00.png")); // copied, not moved
        const Dataset back = openDataset(out);
        QCOMPARE(back.classNames, (std::vector<std::string> { "cat", "dog" }));
        QCOMPARE(back.classCounts(), (std::vector<int64_t> { 4, 2 }));
        // No hidden temp folder left beside it.
        for (const auto& e : fs::directory_iterator(fs::path(out).parent_path()))
            QVERIFY2(e.path().filename().string().find("netcanvas-export") == std::string::npos, e.path().c_str());

        // Refused: a non-empty target, a target inside the labeled folder. An empty one is fine.
        expectThrow<IoError>([&] { s.exportFolderPerClass(out); }, { "exported", "not empty" });
        expectThrow<DataError>([&] { s.exportFolderPerClass(dir + "/export"); }, { "inside the labeled folder" });
        const std::string empty = m_tmp.filePath("empty-target").toStdString();
        fs::create_directories(empty);
        QCOMPARE(s.exportFolderPerClass(empty).copied, int64_t { 6 });
        // Cancelled: nothing at the target.
        const std::string cancelled = m_tmp.filePath("cancelled").toStdString();
        expectThrow<DataError>(
            [&] { s.exportFolderPerClass(cancelled, [](int64_t, int64_t) { return false; }); }, { "cancelled" });
        QVERIFY(!fs::exists(cancelled));
    }

    void exportCsvReadsBack()
    {
        const std::string dir = folder("csv-src");
        writeFlat(dir, 4);
        writePng(dir + "/with, comma.png", 9);
        LabelStore s(dir, quick());
        s.addClass("cat");
        s.addClass("dog");
        s.assign({ 0, s.indexOf("with, comma.png") }, "cat");
        s.assign({ 2 }, "dog");
        const std::string csv = m_tmp.filePath("labels-out/labels.csv").toStdString();
        s.exportCsv(csv);
        const std::string text = readFile(csv);
        QVERIFY2(text.rfind("path,label\n", 0) == 0, text.c_str());
        QCOMPARE(lineCount(text), 4);
        const std::string rel = fs::path(dir).lexically_relative(fs::path(csv).parent_path()).generic_string();
        QVERIFY2(text.find(rel + "/img00.png,cat\n") != std::string::npos, text.c_str());
        QVERIFY2(text.find("\"" + rel + "/with, comma.png\",cat\n") != std::string::npos, text.c_str());
        DatasetOptions o;
        o.channels = 1;
        o.height = 8;
        o.width = 8;
        const Dataset back = openDataset(csv, o);
        QCOMPARE(back.size(), int64_t { 3 });
        QCOMPARE(back.skipped.size(), size_t { 0 });
        for (int64_t i = 0; i < back.size(); ++i) {
            const std::string id = fs::path(back.sources[static_cast<size_t>(i)]).filename().string();
            QCOMPARE(
                back.classNames[static_cast<size_t>(back.labels[static_cast<size_t>(i)])], s.labelName(s.indexOf(id)));
        }
    }
};

QTEST_APPLESS_MAIN(TestLabels)
#include "test_labels.moc"
