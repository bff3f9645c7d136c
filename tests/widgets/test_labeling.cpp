// LabelingPanel and its parts over a real folder of generated images: labeling with the keys
// (and moving on), unlabeling, undo/redo through the panel's stack (and a refused undo that
// leaves stack and store agreeing), class create / rename / merge / delete / move through the
// class bar with undo, filters and counts, the confidence orders, accepting predictions (one,
// and all above a threshold), thumbnails decoded in the background (16-bit, alpha, gray, a
// large JPEG read reduced) with the corrupt file reported unreadable, dropping stale
// requests, the preview, refresh() after changes made outside the panel, and the model bar.
// Set NETCANVAS_LABELING_PNG=/path.png to save the panel's rendering for a look.
#include "engine/labels/LabelStore.h"
#include "widgets/labels/LabelBrowserModel.h"
#include "widgets/labels/LabelClassBar.h"
#include "widgets/labels/LabelFilterBar.h"
#include "widgets/labels/LabelGridView.h"
#include "widgets/labels/LabelPreview.h"
#include "widgets/labels/LabelingPanel.h"
#include "widgets/labels/ThumbnailCache.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <memory>

using namespace netcanvas;
using namespace netcanvas::widgets;

namespace {

LabelStoreOptions quick()
{
    LabelStoreOptions o;
    o.syncJournal = false;
    return o;
}

// A solid BGR image with a marker square, so images differ.
cv::Mat solid(int w, int h, cv::Scalar bgr, int marker)
{
    cv::Mat m(h, w, CV_8UC3, bgr);
    cv::rectangle(m, cv::Rect(marker % std::max(1, w - 4), 0, 4, 4), cv::Scalar(255, 255, 255), cv::FILLED);
    return m;
}

void write(const QString& path, const cv::Mat& m)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QVERIFY2(cv::imwrite(path.toStdString(), m), qPrintable(path));
}

std::vector<int> indicesOf(const LabelStore& s, const std::vector<std::string>& ids)
{
    std::vector<int> out;
    for (const auto& id : ids)
        out.push_back(s.indexOf(id));
    return out;
}

} // namespace

class TestLabeling : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<LabelStore> m_store;
    std::unique_ptr<LabelingPanel> m_panel;

    // Red cats, blue dogs, green loose images, plus odd formats and one broken file.
    void makeFolder(const QString& root)
    {
        for (int i = 0; i < 12; ++i)
            write(root + QStringLiteral("/cats/cat_%1.png").arg(i, 2, 10, QLatin1Char('0')),
                solid(24, 20, cv::Scalar(30, 30, 220), i));
        for (int i = 0; i < 12; ++i)
            write(root + QStringLiteral("/dogs/dog_%1.png").arg(i, 2, 10, QLatin1Char('0')),
                solid(20, 24, cv::Scalar(220, 60, 30), i));
        for (int i = 0; i < 6; ++i)
            write(root + QStringLiteral("/loose_%1.jpg").arg(i), solid(32, 32, cv::Scalar(40, 200, 40), i));
        cv::Mat deep(16, 16, CV_16UC1, cv::Scalar(65535)); // 16-bit white
        write(root + QStringLiteral("/deep16.png"), deep);
        cv::Mat alpha(16, 16, CV_8UC4, cv::Scalar(0, 0, 255, 128)); // half-transparent red
        write(root + QStringLiteral("/alpha.png"), alpha);
        cv::Mat gray(16, 16, CV_8UC1, cv::Scalar(100));
        write(root + QStringLiteral("/gray.png"), gray);
        cv::Mat big = solid(1600, 1200, cv::Scalar(200, 200, 40), 0);
        write(root + QStringLiteral("/big.jpg"), big);
        QFile broken(root + QStringLiteral("/broken.png"));
        QVERIFY(broken.open(QIODevice::WriteOnly));
        broken.write("\x89PNG\r\n\x1a\n this is not really a png at all");
    }

    int idx(const char* id) const { return m_store->indexOf(id); }
    LabelGridView* grid() const { return m_panel->grid(); }
    void key(Qt::Key k, Qt::KeyboardModifiers mods = Qt::NoModifier)
    {
        grid()->setFocus();
        QTest::keyClick(grid(), k, mods);
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        makeFolder(m_dir.path());
    }

    void init()
    {
        // A fresh store per test: remove the label files of the previous one.
        m_panel.reset();
        m_store.reset();
        for (const char* f : { LabelStore::kSidecarName, LabelStore::kJournalName })
            QFile::remove(m_dir.filePath(QString::fromLatin1(f)));
        m_store = std::make_unique<LabelStore>(m_dir.path().toStdString(), quick());
        m_panel = std::make_unique<LabelingPanel>();
        m_panel->resize(1280, 800);
        m_panel->setStore(m_store.get());
        m_panel->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_panel.get()));
    }

    void cleanup()
    {
        m_panel.reset();
        m_store.reset();
    }

    void placeholderWithoutStore()
    {
        LabelingPanel panel;
        panel.resize(800, 500);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        QSignalSpy open(&panel, &LabelingPanel::openFolderRequested);
        auto* button = panel.findChild<QPushButton*>(QStringLiteral("openFolderButton"));
        QVERIFY(button && button->isVisible());
        auto* placeholder = panel.findChild<QLabel*>(QStringLiteral("placeholder"));
        QVERIFY(placeholder && placeholder->isVisible());
        QCOMPARE(placeholder->text(), QStringLiteral("Open a folder of images to label"));
        QTest::mouseClick(button, Qt::LeftButton);
        QCOMPARE(open.count(), 1);
        QVERIFY(!panel.findChild<QPushButton*>(QStringLiteral("trainButton"))->isEnabled());
        QVERIFY(panel.selectedImages().empty());
        QCOMPARE(panel.store(), nullptr);
    }

    void shownAtOpen()
    {
        QCOMPARE(m_panel->store(), m_store.get());
        QCOMPARE(static_cast<int>(m_panel->shownImages().size()), m_store->imageCount());
        QCOMPARE(m_store->imageCount(), 12 + 12 + 6 + 5);
        QCOMPARE(m_panel->filterBar()->countText(), QStringLiteral("35 images"));
        QCOMPARE(m_panel->classBar()->unlabeledText(), QStringLiteral("Unlabeled 35"));
        QVERIFY(m_panel->classBar()->importShown()); // cats/ and dogs/ are not classes yet
        QCOMPARE(m_panel->selectedImages(), std::vector<int>({ 0 }));
        QCOMPARE(m_panel->undoStack()->count(), 0);
    }

    void createClassesWithUndo()
    {
        QSignalSpy changed(m_panel.get(), &LabelingPanel::labelsChanged);
        m_panel->classBar()->createClass(QStringLiteral("cat"));
        m_panel->classBar()->createClass(QStringLiteral(" dog "));
        QCOMPARE(m_store->classes(), std::vector<std::string>({ "cat", "dog" }));
        QCOMPARE(m_panel->classBar()->classNamesShown(), QStringList({ "cat", "dog" }));
        QCOMPARE(m_panel->classBar()->rowText(1), QStringLiteral("2 dog 0"));
        QCOMPARE(m_panel->undoStack()->count(), 2);
        QCOMPARE(changed.count(), 2);
        m_panel->undoStack()->undo();
        QCOMPARE(m_store->classes(), std::vector<std::string>({ "cat" }));
        QCOMPARE(m_panel->classBar()->classNamesShown(), QStringList({ "cat" }));
        m_panel->undoStack()->redo();
        QCOMPARE(m_store->classes(), std::vector<std::string>({ "cat", "dog" }));
        QCOMPARE(changed.count(), 4);

        // Refused: a duplicate and a name with '/'. Reported; nothing on the stack.
        QSignalSpy errors(m_panel.get(), &LabelingPanel::errorOccurred);
        m_panel->classBar()->createClass(QStringLiteral("cat"));
        m_panel->classBar()->createClass(QStringLiteral("a/b"));
        QCOMPARE(errors.count(), 2);
        QVERIFY2(errors.at(0).at(0).toString().contains(QStringLiteral("already exists")),
            qPrintable(errors.at(0).at(0).toString()));
        QCOMPARE(m_panel->undoStack()->count(), 2);
        QCOMPARE(m_store->classes().size(), size_t { 2 });
    }

    // 0 is the tenth class's key (the number row's last key); an eleventh class has none.
    void tenthClassIsKeyZero()
    {
        for (int c = 1; c <= 11; ++c)
            m_store->addClass("class" + std::to_string(c));
        m_panel->refresh();
        QVERIFY2(m_panel->classBar()->rowText(9).startsWith(QStringLiteral("0 class10")),
            qPrintable(m_panel->classBar()->rowText(9)));
        QVERIFY2(m_panel->classBar()->rowText(10).startsWith(QStringLiteral("class11")),
            qPrintable(m_panel->classBar()->rowText(10)));
        m_panel->selectImages({ 2 });
        key(Qt::Key_0);
        QCOMPARE(m_store->labelName(2), std::string("class10"));
        QCOMPARE(m_panel->selectedImages(), std::vector<int>({ 3 })); // moved on, as with 1–9
        key(Qt::Key_9);
        QCOMPARE(m_store->labelName(3), std::string("class9"));
    }

    void labelWithKeysAndMoveOn()
    {
        m_store->addClass("cat"); // outside the panel: refresh() shows it
        m_store->addClass("dog");
        m_panel->refresh();
        QCOMPARE(m_panel->classBar()->classNamesShown(), QStringList({ "cat", "dog" }));

        m_panel->selectImages({ 0 });
        key(Qt::Key_1);
        QCOMPARE(m_store->labelName(0), std::string("cat"));
        QCOMPARE(m_panel->selectedImages(), std::vector<int>({ 1 })); // moved on
        key(Qt::Key_2);
        QCOMPARE(m_store->labelName(1), std::string("dog"));
        QCOMPARE(m_panel->selectedImages(), std::vector<int>({ 2 }));

        // Several at once, then the next after the last of them.
        m_panel->selectImages({ 3, 4, 5 });
        key(Qt::Key_1);
        for (int i : { 3, 4, 5 })
            QCOMPARE(m_store->labelName(i), std::string("cat"));
        QCOMPARE(m_panel->selectedImages(), std::vector<int>({ 6 }));
        QCOMPARE(m_panel->classBar()->rowText(0), QStringLiteral("1 cat 4"));
        QCOMPARE(m_panel->classBar()->unlabeledText(), QStringLiteral("Unlabeled 30"));
        QCOMPARE(m_panel->browserModel()
                     ->data(m_panel->browserModel()->index(3), LabelBrowserModel::LabelNameRole)
                     .toString(),
            QStringLiteral("cat"));

        // Backspace and Delete unlabel (and keep the selection: the images are still shown).
        m_panel->selectImages({ 3 });
        key(Qt::Key_Backspace);
        QCOMPARE(m_store->label(3), -1);
        QCOMPARE(m_panel->selectedImages(), std::vector<int>({ 3 }));
        m_panel->selectImages({ 4 });
        key(Qt::Key_Delete);
        QCOMPARE(m_store->label(4), -1);

        // A key without a class: nothing happens but a hint.
        const int before = m_panel->undoStack()->count();
        key(Qt::Key_7);
        QCOMPARE(m_panel->undoStack()->count(), before);
        QVERIFY2(m_panel->hintText().contains(QStringLiteral("key 7")), qPrintable(m_panel->hintText()));

        // Undo / redo through the stack and through Ctrl+Z / Ctrl+Shift+Z in the grid.
        m_panel->undoStack()->undo();
        QCOMPARE(m_store->labelName(4), std::string("cat"));
        m_panel->undoStack()->undo();
        QCOMPARE(m_store->labelName(3), std::string("cat"));
        key(Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(m_store->label(5), -1);
        QCOMPARE(m_store->label(3), -1);
        key(Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(m_store->labelName(3), std::string("cat"));
        QCOMPARE(m_store->labelName(5), std::string("cat"));
        QCOMPARE(m_panel->classBar()->rowText(0), QStringLiteral("1 cat 4"));

        // Clicking a class row labels the selection too.
        m_panel->selectImages({ 10 });
        QTest::mouseClick(m_panel->classBar()->classRow(1), Qt::LeftButton, {}, QPoint(40, 10));
        QCOMPARE(m_store->labelName(10), std::string("dog"));
        QCOMPARE(m_panel->selectedImages(), std::vector<int>({ 11 }));

        // Ctrl+A selects every shown image.
        key(Qt::Key_A, Qt::ControlModifier);
        QCOMPARE(static_cast<int>(m_panel->selectedImages().size()), m_store->imageCount());
    }

    void labelingUnderUnlabeledFilter()
    {
        m_store->addClass("cat");
        m_panel->refresh();
        LabelQuery q;
        q.labels = LabelQuery::Labels::Unlabeled;
        m_panel->setQuery(q);
        QCOMPARE(m_panel->filterBar()->countText(), QStringLiteral("35 images"));
        const std::vector<int> shown = m_panel->shownImages();
        m_panel->selectImages({ shown[2] });
        key(Qt::Key_1);
        QCOMPARE(m_store->labelName(shown[2]), std::string("cat"));
        // The labeled image leaves the list; the one after it is selected.
        QCOMPARE(static_cast<int>(m_panel->shownImages().size()), 34);
        QCOMPARE(m_panel->selectedImages(), std::vector<int>({ shown[3] }));
        QCOMPARE(m_panel->filterBar()->countText(), QStringLiteral("34 of 35 shown"));
        // The last one: labeled, the one before takes its place.
        m_panel->selectImages({ shown.back() });
        key(Qt::Key_1);
        QCOMPARE(m_panel->selectedImages(), std::vector<int>({ shown[shown.size() - 2] }));
        // Undo brings it back into the list.
        m_panel->undoStack()->undo();
        QCOMPARE(static_cast<int>(m_panel->shownImages().size()), 34);
        QVERIFY(m_panel->browserModel()->rowOf(shown.back()) >= 0);
    }

    void renameMergeDeleteMoveWithUndo()
    {
        auto* bar = m_panel->classBar();
        bar->createClass(QStringLiteral("cat"));
        bar->createClass(QStringLiteral("dog"));
        const std::vector<int> cats = indicesOf(*m_store, { "cats/cat_00.png", "cats/cat_01.png", "cats/cat_02.png" });
        const std::vector<int> dogs = indicesOf(*m_store, { "dogs/dog_00.png", "dogs/dog_01.png" });
        m_panel->selectImages(cats);
        QVERIFY(m_panel->assignToSelection(QStringLiteral("cat")));
        m_panel->selectImages(dogs);
        QVERIFY(m_panel->assignToSelection(QStringLiteral("dog")));

        // Rename (the class filter follows the new name).
        LabelQuery q;
        q.labels = LabelQuery::Labels::Class;
        q.className = "cat";
        m_panel->setQuery(q);
        QCOMPARE(m_panel->shownImages(), cats);
        bar->renameClass(QStringLiteral("cat"), QStringLiteral("kitty"));
        QCOMPARE(m_store->classes(), std::vector<std::string>({ "kitty", "dog" }));
        QCOMPARE(m_store->labelName(cats[0]), std::string("kitty"));
        QCOMPARE(m_panel->query().className, std::string("kitty"));
        QCOMPARE(m_panel->shownImages(), cats);
        m_panel->undoStack()->undo();
        QCOMPARE(m_store->labelName(cats[0]), std::string("cat"));
        QCOMPARE(m_panel->classBar()->classNamesShown(), QStringList({ "cat", "dog" }));
        m_panel->setQuery(LabelQuery {});

        // Merge dog into cat, undo.
        bar->mergeClass(QStringLiteral("dog"), QStringLiteral("cat"));
        QCOMPARE(m_store->classes(), std::vector<std::string>({ "cat" }));
        for (int i : dogs)
            QCOMPARE(m_store->labelName(i), std::string("cat"));
        QCOMPARE(m_panel->classBar()->rowText(0), QStringLiteral("1 cat 5"));
        m_panel->undoStack()->undo();
        QCOMPARE(m_store->classes(), std::vector<std::string>({ "cat", "dog" }));
        for (int i : dogs)
            QCOMPARE(m_store->labelName(i), std::string("dog"));

        // Delete: its images become unlabeled; undo restores them.
        bar->deleteClass(QStringLiteral("cat"));
        QCOMPARE(m_store->classes(), std::vector<std::string>({ "dog" }));
        for (int i : cats)
            QCOMPARE(m_store->label(i), -1);
        QCOMPARE(m_panel->classBar()->rowText(0), QStringLiteral("1 dog 2"));
        m_panel->undoStack()->undo();
        for (int i : cats)
            QCOMPARE(m_store->labelName(i), std::string("cat"));

        // Move: the keys follow the order.
        bar->moveClass(QStringLiteral("dog"), 0);
        QCOMPARE(m_store->classes(), std::vector<std::string>({ "dog", "cat" }));
        QCOMPARE(m_panel->classBar()->rowText(0), QStringLiteral("1 dog 2"));
        m_panel->selectImages({ idx("loose_0.jpg") });
        key(Qt::Key_1);
        QCOMPARE(m_store->labelName(idx("loose_0.jpg")), std::string("dog"));
        m_panel->undoStack()->undo();
        m_panel->undoStack()->undo();
        QCOMPARE(m_store->classes(), std::vector<std::string>({ "cat", "dog" }));
        QCOMPARE(m_store->label(idx("loose_0.jpg")), -1);

        // Import the sub-folders as classes: one undoable change.
        const int before = m_panel->undoStack()->index();
        emit bar->importFoldersRequested();
        QCOMPARE(m_store->classes(), std::vector<std::string>({ "cat", "dog", "cats", "dogs" }));
        QCOMPARE(m_store->labelName(idx("cats/cat_05.png")), std::string("cats"));
        QCOMPARE(m_store->labelName(idx("cats/cat_00.png")), std::string("cat")); // kept its label
        QVERIFY(!bar->importShown());
        QCOMPARE(m_panel->undoStack()->index(), before + 1);
        m_panel->undoStack()->undo();
        QCOMPARE(m_store->classes().size(), size_t { 2 });
        QVERIFY(bar->importShown());
    }

    void filtersAndCounts()
    {
        m_store->addClass("cat");
        m_store->addClass("dog");
        m_store->assign(indicesOf(*m_store, { "cats/cat_00.png", "cats/cat_01.png" }), "cat");
        m_store->assign(indicesOf(*m_store, { "dogs/dog_00.png" }), "dog");
        m_panel->refresh();
        LabelFilterBar* fb = m_panel->filterBar();

        LabelQuery q;
        q.labels = LabelQuery::Labels::Unlabeled;
        fb->setQuery(q);
        QCOMPARE(m_panel->shownImages(), m_store->unlabeledImages());
        QCOMPARE(fb->countText(), QStringLiteral("32 of 35 shown"));
        q.labels = LabelQuery::Labels::Labeled;
        fb->setQuery(q);
        QCOMPARE(fb->countText(), QStringLiteral("3 of 35 shown"));
        q.labels = LabelQuery::Labels::Class;
        q.className = "dog";
        fb->setQuery(q);
        QCOMPARE(m_panel->shownImages(), indicesOf(*m_store, { "dogs/dog_00.png" }));
        QCOMPARE(fb->countText(), QStringLiteral("1 of 35 shown"));
        QCOMPARE(fb->query().className, std::string("dog"));

        // Predictions: the loose images and two dogs, with confidences.
        std::vector<ImagePrediction> preds;
        const std::vector<std::pair<const char*, float>> conf
            = { { "loose_0.jpg", 0.95f }, { "loose_1.jpg", 0.40f }, { "loose_2.jpg", 0.70f }, { "loose_3.jpg", 0.99f },
                  { "dogs/dog_01.png", 0.55f }, { "dogs/dog_02.png", 0.92f } };
        for (const auto& [id, c] : conf)
            preds.push_back({ idx(id), std::string(id).rfind("dogs", 0) == 0 ? "dog" : "cat", c });
        m_store->setPredictions(preds);
        m_panel->refresh();

        q = LabelQuery {};
        q.labels = LabelQuery::Labels::Unlabeled;
        q.predictedClass = "cat";
        fb->setQuery(q);
        QCOMPARE(m_panel->shownImages(),
            indicesOf(*m_store, { "loose_0.jpg", "loose_1.jpg", "loose_2.jpg", "loose_3.jpg" }));
        q.minConfidence = 0.9f;
        fb->setQuery(q);
        QCOMPARE(m_panel->shownImages(), indicesOf(*m_store, { "loose_0.jpg", "loose_3.jpg" }));
        QCOMPARE(fb->countText(), QStringLiteral("2 of 35 shown"));

        // Least confident first (active learning); images without a prediction last.
        q = LabelQuery {};
        q.labels = LabelQuery::Labels::Unlabeled;
        q.order = LabelQuery::Order::LeastConfident;
        fb->setQuery(q);
        std::vector<int> shown = m_panel->shownImages();
        QCOMPARE(static_cast<int>(shown.size()), 32);
        const std::vector<int> head(shown.begin(), shown.begin() + 6);
        QCOMPARE(head,
            indicesOf(*m_store,
                { "loose_1.jpg", "dogs/dog_01.png", "loose_2.jpg", "dogs/dog_02.png", "loose_0.jpg", "loose_3.jpg" }));
        QVERIFY(!m_store->hasPrediction(shown[6]));
        q.order = LabelQuery::Order::MostConfident;
        fb->setQuery(q);
        QCOMPARE(m_panel->shownImages().front(), idx("loose_3.jpg"));
        // The grid draws in that order.
        QCOMPARE(m_panel->browserModel()
                     ->data(m_panel->browserModel()->index(0), LabelBrowserModel::ConfidenceRole)
                     .toFloat(),
            0.99f);
        QCOMPARE(m_panel->browserModel()
                     ->data(m_panel->browserModel()->index(0), LabelBrowserModel::PredictedClassRole)
                     .toString(),
            QStringLiteral("cat"));

        // A class filter whose class is deleted falls back to all images.
        q = LabelQuery {};
        q.labels = LabelQuery::Labels::Class;
        q.className = "dog";
        fb->setQuery(q);
        m_panel->classBar()->deleteClass(QStringLiteral("dog"));
        QCOMPARE(m_panel->query().labels, LabelQuery::Labels::All);
        QCOMPARE(static_cast<int>(m_panel->shownImages().size()), 35);
    }

    void acceptPredictions()
    {
        m_store->addClass("cat");
        m_store->addClass("dog");
        m_panel->refresh();
        const int a = idx("loose_0.jpg"), b = idx("loose_1.jpg"), c = idx("loose_2.jpg"), d = idx("loose_3.jpg");
        m_store->setPredictions({ { a, "cat", 0.95f }, { b, "dog", 0.50f }, { c, "dog", 0.91f }, { d, "cow", 0.99f } });
        m_panel->refresh();

        // A accepts the selection's prediction and moves on.
        m_panel->selectImages({ b });
        key(Qt::Key_A);
        QCOMPARE(m_store->labelName(b), std::string("dog"));
        QCOMPARE(m_panel->selectedImages(), std::vector<int>({ b + 1 }));
        // Nothing to accept without a prediction: a hint.
        m_panel->selectImages({ idx("gray.png") });
        key(Qt::Key_A);
        QCOMPARE(m_store->label(idx("gray.png")), -1);
        QVERIFY(m_panel->hintText().contains(QStringLiteral("No prediction")));

        // Accept all ≥ 0.90: a and c (d's class "cow" does not exist).
        m_panel->setAcceptThreshold(0.90);
        QCOMPARE(m_panel->acceptableCount(), 2);
        auto* button = m_panel->findChild<QPushButton*>(QStringLiteral("acceptAboveButton"));
        QCOMPARE(button->text(), QStringLiteral("Accept 2"));
        QVERIFY(button->isEnabled());
        QTest::mouseClick(button, Qt::LeftButton);
        QCOMPARE(m_store->labelName(a), std::string("cat"));
        QCOMPARE(m_store->labelName(c), std::string("dog"));
        QCOMPARE(m_store->label(d), -1);
        QCOMPARE(m_panel->acceptableCount(), 0);
        QVERIFY(!button->isEnabled());
        m_panel->undoStack()->undo();
        QCOMPARE(m_store->label(a), -1);
        QCOMPARE(m_store->label(c), -1);
        QCOMPARE(m_store->labelName(b), std::string("dog"));
        QCOMPARE(m_panel->acceptableCount(), 2);
    }

    void refusedUndoKeepsStackAndStoreAgreeing()
    {
        m_panel->classBar()->createClass(QStringLiteral("cat"));
        m_panel->classBar()->createClass(QStringLiteral("dog"));
        m_panel->selectImages({ 0 });
        key(Qt::Key_1);
        QCOMPARE(m_store->labelName(0), std::string("cat"));
        // Behind the panel's back: the undo no longer fits.
        m_store->assign({ 0 }, "dog");
        m_panel->refresh();
        QSignalSpy errors(m_panel.get(), &LabelingPanel::errorOccurred);
        const int index = m_panel->undoStack()->index();
        m_panel->undoStack()->undo();
        QCOMPARE(errors.count(), 1);
        QVERIFY2(errors.at(0).at(0).toString().startsWith(QStringLiteral("Cannot undo")),
            qPrintable(errors.at(0).at(0).toString()));
        QCOMPARE(m_store->labelName(0), std::string("dog")); // unchanged
        QCOMPARE(m_panel->undoStack()->index(), index); // the stack still says "labeled"
        // Earlier commands still undo.
        m_panel->undoStack()->setIndex(0);
        QVERIFY(m_store->classes().size() <= 2);
    }

    void thumbnailsArriveAndBrokenIsReported()
    {
        m_panel->setThumbnailSide(64); // every tile on screen
        ThumbnailCache* cache = m_panel->thumbnailCache();
        const int broken = idx("broken.png");
        QVERIFY(broken >= 0);
        QTRY_VERIFY_WITH_TIMEOUT(cache->isFailed(broken), 10000);
        // Refused by its header (the check every decoder makes before decoding), or by OpenCV.
        QVERIFY2(cache->failureReason(broken).contains(QStringLiteral("cannot decode image"))
                || cache->failureReason(broken).contains(QStringLiteral("cannot be decoded")),
            qPrintable(cache->failureReason(broken)));
        const QModelIndex bi = m_panel->browserModel()->index(m_panel->browserModel()->rowOf(broken));
        QCOMPARE(
            bi.data(LabelBrowserModel::ThumbnailStateRole).toInt(), static_cast<int>(ThumbnailCache::State::Failed));
        QVERIFY(bi.data(Qt::ToolTipRole).toString().contains(QStringLiteral("Unreadable")));

        // Every other image on screen arrives.
        for (int i = 0; i < m_store->imageCount(); ++i)
            if (i != broken)
                QTRY_VERIFY_WITH_TIMEOUT(cache->state(i) == ThumbnailCache::State::Ready, 10000);
        const QImage cat = cache->thumbnail(idx("cats/cat_03.png"));
        QCOMPARE(cat.size(), QSize(24, 20)); // small: kept at its size (drawn enlarged)
        QCOMPARE(QColor(cat.pixel(12, 12)), QColor(220, 30, 30));
        QCOMPARE(QColor(cache->thumbnail(idx("deep16.png")).pixel(5, 5)), QColor(255, 255, 255));
        QCOMPARE(QColor(cache->thumbnail(idx("gray.png")).pixel(5, 5)), QColor(100, 100, 100));
        const QImage alpha = cache->thumbnail(idx("alpha.png"));
        QVERIFY(alpha.hasAlphaChannel());
        QVERIFY(std::abs(qAlpha(alpha.pixel(3, 3)) - 128) <= 1);
        const QColor unpremultiplied = alpha.pixelColor(3, 3);
        QVERIFY2(unpremultiplied.red() >= 250 && unpremultiplied.green() <= 3 && unpremultiplied.blue() <= 3,
            qPrintable(unpremultiplied.name(QColor::HexArgb)));
        const QImage big = cache->thumbnail(idx("big.jpg"));
        // Fitted to the box (or to the larger box of before the size changed: kept until evicted).
        QVERIFY(std::max(big.width(), big.height()) >= cache->thumbnailSide());
        QVERIFY(std::max(big.width(), big.height()) <= 192);
        QCOMPARE(big.width() * 3, big.height() * 4); // 4:3 kept
        QVERIFY(cache->usedBytes() > 0 && cache->usedBytes() <= cache->budgetBytes());

        // The reduced decode of a large JPEG, directly.
        QString reason;
        const QImage reduced = ThumbnailCache::decode(m_dir.filePath(QStringLiteral("big.jpg")), 100, &reason);
        QCOMPARE(reduced.size(), QSize(100, 75));
        QVERIFY(ThumbnailCache::decode(m_dir.filePath(QStringLiteral("nope.png")), 100, &reason).isNull());
        QCOMPARE(reason, QStringLiteral("file not found"));

        // The delegate draws the states without trouble (and the panel grabs).
        const QImage shot = m_panel->grab().toImage();
        QVERIFY(!shot.isNull());
        if (const QByteArray out = qgetenv("NETCANVAS_LABELING_PNG"); !out.isEmpty())
            shot.save(QString::fromLocal8Bit(out));
    }

    void thumbnailRefusesAPixelBombFromItsHeader()
    {
        // 398 bytes whose PNG header declares 30000×30000 (3.4 GB decoded): refused from the
        // header, named by its size, without decoding; a real image of the same kind decodes.
        QTemporaryDir elsewhere;
        const QString bomb = elsewhere.filePath(QStringLiteral("bomb.png"));
        QVERIFY(QFile::copy(QStringLiteral(NETCANVAS_SOURCE_DIR "/fuzz/regressions/image/bomb-30000x30000.png"), bomb));
        QElapsedTimer timer;
        timer.start();
        QString reason;
        QVERIFY(ThumbnailCache::decode(bomb, 128, &reason).isNull());
        QVERIFY2(timer.elapsed() < 2000, qPrintable(QString::number(timer.elapsed())));
        QVERIFY2(reason.contains(QStringLiteral("30000\u00d730000")) && reason.contains(QStringLiteral("pixels")),
            qPrintable(reason));
        reason.clear();
        const QImage cat = ThumbnailCache::decode(m_dir.filePath(QStringLiteral("cats/cat_03.png")), 128, &reason);
        QCOMPARE(cat.size(), QSize(24, 20));
        QCOMPARE(QColor(cat.pixel(12, 12)), QColor(220, 30, 30));
        QVERIFY(reason.isEmpty());

        // Through the cache, as the browser asks for it: state Failed with that reason.
        ThumbnailCache cache;
        cache.setSource([bomb](int) { return bomb; });
        cache.request(0);
        QTRY_VERIFY_WITH_TIMEOUT(cache.isFailed(0), 10000);
        QVERIFY2(
            cache.failureReason(0).contains(QStringLiteral("30000\u00d730000")), qPrintable(cache.failureReason(0)));
    }

    void staleRequestsAreDropped()
    {
        // A cache of its own over the 35 files: request all, then say only one is on screen.
        ThumbnailCache cache;
        LabelStore* store = m_store.get();
        cache.setSource([store](int i) { return QString::fromStdString(store->imagePath(i)); });
        QSignalSpy ready(&cache, &ThumbnailCache::thumbnailReady);
        QSignalSpy failed(&cache, &ThumbnailCache::thumbnailFailed);
        for (int i = 0; i < store->imageCount(); ++i)
            cache.request(i);
        const int wanted = idx("cats/cat_07.png");
        cache.setVisibleImages({ wanted });
        // Left: the wanted one and at most the decodes already running.
        QVERIFY2(
            cache.pendingCount() <= 1 + ThumbnailCache::kMaxThreads, qPrintable(QString::number(cache.pendingCount())));
        QTRY_COMPARE_WITH_TIMEOUT(cache.pendingCount(), 0, 10000);
        QTRY_VERIFY(cache.state(wanted) == ThumbnailCache::State::Ready);
        QVERIFY(ready.count() + failed.count() < store->imageCount()); // the dropped ones were never decoded

        // The byte budget bounds what is kept.
        cache.setBudgetBytes(1 << 20);
        cache.setThumbnailSide(512);
        std::vector<int> all;
        for (int i = 0; i < store->imageCount(); ++i)
            all.push_back(i);
        cache.setVisibleImages(all);
        QTRY_COMPARE_WITH_TIMEOUT(cache.pendingCount(), 0, 20000);
        QVERIFY(cache.usedBytes() <= cache.budgetBytes());
    }

    void previewShowsTheCurrentImage()
    {
        m_store->addClass("cat");
        m_store->assign({ idx("cats/cat_04.png") }, "cat");
        m_store->setPredictions({ { idx("loose_2.jpg"), "cat", 0.875f } });
        m_panel->refresh();
        LabelPreview* preview = m_panel->preview();
        QVERIFY(m_panel->isPreviewVisible());
        QSignalSpy ready(preview, &LabelPreview::pictureReady);
        m_panel->selectImages({ idx("cats/cat_04.png") });
        QTRY_VERIFY(preview->image() == idx("cats/cat_04.png") && !preview->picture().isNull());
        QCOMPARE(preview->titleText(), QStringLiteral("cat_04.png"));
        QVERIFY2(preview->detailText().contains(QStringLiteral("Label:"))
                && preview->detailText().contains(QStringLiteral("cat")),
            qPrintable(preview->detailText()));
        m_panel->selectImages({ idx("loose_2.jpg") });
        QTRY_VERIFY(preview->image() == idx("loose_2.jpg") && !preview->picture().isNull());
        QVERIFY2(
            preview->detailText().contains(QStringLiteral("Predicted: cat 88%")), qPrintable(preview->detailText()));
        m_panel->selectImages({ idx("broken.png") });
        QTRY_VERIFY(
            preview->image() == idx("broken.png") && preview->detailText().contains(QStringLiteral("Unreadable")));

        // Space hides and shows it.
        key(Qt::Key_Space);
        QVERIFY(!m_panel->isPreviewVisible());
        key(Qt::Key_Space);
        QVERIFY(m_panel->isPreviewVisible());
    }

    void refreshAfterOutsideChanges()
    {
        m_store->addClass("cat");
        m_panel->refresh();
        m_store->assign({ 0, 1 }, "cat");
        m_store->setPredictions({ { 2, "cat", 0.97f } });
        // Not yet re-read: the model still says unlabeled.
        m_panel->refresh();
        QCOMPARE(m_panel->classBar()->rowText(0), QStringLiteral("1 cat 2"));
        QCOMPARE(
            m_panel->browserModel()->data(m_panel->browserModel()->index(1), LabelBrowserModel::LabelIndexRole).toInt(),
            0);
        QCOMPARE(m_panel->acceptableCount(), 1);
        QVERIFY(m_panel->findChild<QPushButton*>(QStringLiteral("exportButton"))->isEnabled());
        m_store->clearPredictions();
        m_panel->refresh();
        QCOMPARE(m_panel->acceptableCount(), 0);
    }

    void modelBarAndActivation()
    {
        auto* train = m_panel->findChild<QPushButton*>(QStringLiteral("trainButton"));
        auto* predict = m_panel->findChild<QPushButton*>(QStringLiteral("predictButton"));
        auto* progress = m_panel->findChild<QProgressBar*>(QStringLiteral("busyProgress"));
        m_store->addClass("cat");
        m_store->assign({ 0 }, "cat");
        m_panel->refresh();
        QVERIFY(train->isEnabled() && predict->isEnabled());
        QSignalSpy trainSpy(m_panel.get(), &LabelingPanel::trainRequested);
        QSignalSpy predictSpy(m_panel.get(), &LabelingPanel::predictRequested);
        QSignalSpy exportSpy(m_panel.get(), &LabelingPanel::exportRequested);
        QTest::mouseClick(train, Qt::LeftButton);
        QTest::mouseClick(predict, Qt::LeftButton);
        QTest::mouseClick(m_panel->findChild<QPushButton*>(QStringLiteral("exportButton")), Qt::LeftButton);
        QCOMPARE(trainSpy.count(), 1);
        QCOMPARE(predictSpy.count(), 1);
        QCOMPARE(exportSpy.count(), 1);

        m_panel->setBusy(true, QStringLiteral("Training…"));
        QVERIFY(!train->isEnabled() && !predict->isEnabled());
        QVERIFY(progress->isVisible());
        QCOMPARE(progress->maximum(), 0); // busy indicator
        m_panel->setProgress(3, 10);
        QCOMPARE(progress->maximum(), 10);
        QCOMPARE(progress->value(), 3);
        m_panel->setBusy(false);
        QVERIFY(!progress->isVisible());
        QVERIFY(train->isEnabled());
        m_panel->setModelStatus(QStringLiteral("Model: trained on 1 labeled"));
        QCOMPARE(m_panel->modelStatus(), QStringLiteral("Model: trained on 1 labeled"));

        // Double-click activates the image.
        QSignalSpy activated(m_panel.get(), &LabelingPanel::imageActivated);
        const QModelIndex i3 = m_panel->browserModel()->index(3);
        const QRect r = grid()->visualRect(i3);
        QTest::mouseClick(grid()->viewport(), Qt::LeftButton, {}, r.center());
        QTest::mouseDClick(grid()->viewport(), Qt::LeftButton, {}, r.center());
        QCOMPARE(activated.count(), 1);
        QCOMPARE(activated.at(0).at(0).toInt(), m_panel->browserModel()->imageAt(3));

        // The thumbnail size slider relays the grid out.
        const QSize before = grid()->visualRect(i3).size();
        m_panel->setThumbnailSide(160);
        QCOMPARE(m_panel->thumbnailSide(), 160);
        QVERIFY(grid()->visualRect(i3).width() > before.width());

        // A store change clears the undo stack.
        m_panel->classBar()->createClass(QStringLiteral("dog"));
        QCOMPARE(m_panel->undoStack()->count(), 1);
        m_panel->setStore(nullptr);
        QCOMPARE(m_panel->undoStack()->count(), 0);
        m_panel->setStore(m_store.get());
        QCOMPARE(m_panel->undoStack()->count(), 0);
    }
};

QTEST_MAIN(TestLabeling)
#include "test_labeling.moc"
