// DatasetView: the header counts, the per-class bar chart and its imbalance warning, the
// thumbnails picked per class and their pixels (in the image and on screen), the numeric
// features case, the skipped-files list, double-click activation and clearing with nullptr.
// Set NETCANVAS_DATASETVIEW_PNG=/path.png to save the 340×600 rendering for a look.
#include "common/Fixtures.h"
#include "widgets/data/DatasetView.h"

#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QSignalSpy>
#include <QTest>
#include <QToolButton>

#include <memory>

using namespace netcanvas;
using namespace netcanvas::widgets;

namespace {

// Counts are shown with group separators even in the C locale.
QString number(qlonglong n)
{
    QLocale loc;
    loc.setNumberOptions(loc.numberOptions() & ~QLocale::OmitGroupSeparator);
    return loc.toString(n);
}

// A dataset with the given samples per class, each image filled from its index so samples differ.
std::shared_ptr<Dataset> countsDataset(
    const std::vector<int>& perClass, int channels = 1, int height = 4, int width = 5)
{
    auto d = std::make_shared<Dataset>();
    d->channels = channels;
    d->height = height;
    d->width = width;
    d->format = "folder";
    d->root = "/data/pets";
    for (size_t c = 0; c < perClass.size(); ++c)
        d->classNames.push_back("class" + std::to_string(c));
    // Interleave the classes, as real files rarely come sorted.
    std::vector<int> left = perClass;
    for (bool any = true; any;) {
        any = false;
        for (size_t c = 0; c < left.size(); ++c) {
            if (left[c] == 0)
                continue;
            --left[c];
            any = true;
            const int64_t i = d->size();
            for (int64_t k = 0; k < d->sampleSize(); ++k)
                d->pixels.push_back(static_cast<uint8_t>((i * 31 + k * 7) % 256));
            d->labels.push_back(static_cast<int32_t>(c));
            d->sources.push_back("/data/pets/" + d->classNames[c] + "/" + std::to_string(i) + ".png");
        }
    }
    return d;
}

std::vector<int64_t> expectedPicks(const Dataset& d, int cls, int perClass)
{
    std::vector<int64_t> members;
    for (int64_t i = 0; i < d.size(); ++i)
        if (d.labels[static_cast<size_t>(i)] == cls)
            members.push_back(i);
    const auto n = static_cast<int64_t>(members.size());
    const int64_t k = std::min<int64_t>(perClass, n);
    std::vector<int64_t> picks;
    for (int64_t j = 0; j < k; ++j)
        picks.push_back(members[static_cast<size_t>(j * n / k)]);
    return picks;
}

} // namespace

class TestDatasetView : public QObject {
    Q_OBJECT
private slots:
    void placeholderUntilADatasetIsSet();
    void headerCountsSamplesAndClasses();
    void chartShowsPerClassCountsAndWarnsOfImbalance();
    void thumbnailsArePickedPerClass();
    void thumbnailPixelsMatchTheDataset();
    void colorThumbnailsAreRgb();
    void numericFeaturesShowNoThumbnails();
    void skippedFilesAreListed();
    void doubleClickActivatesTheSample();
    void rendersInASidePanel();
    void nullptrClears();
};

void TestDatasetView::placeholderUntilADatasetIsSet()
{
    DatasetView view;
    auto* placeholder = view.findChild<QLabel*>(QStringLiteral("placeholder"));
    QVERIFY(placeholder);
    QCOMPARE(placeholder->text(), QStringLiteral("No dataset loaded"));
    QVERIFY(placeholder->isVisibleTo(&view));
    QVERIFY(view.headerText().isEmpty());
    QVERIFY(view.thumbnailSamples().empty());
}

void TestDatasetView::headerCountsSamplesAndClasses()
{
    DatasetView view;
    auto d = std::make_shared<Dataset>(fixtures::barsDataset(400, 7));
    view.setDataset(d);
    const QString header = view.headerText();
    QVERIFY2(header.contains(number(1200) + QStringLiteral(" samples")), qPrintable(header));
    QVERIFY2(header.contains(QStringLiteral("3 classes")), qPrintable(header));
    QVERIFY2(header.contains(QStringLiteral("1×8×8")), qPrintable(header));
    QVERIFY2(header.contains(QStringLiteral("synthetic")), qPrintable(header));
    QCOMPARE(number(1200), QStringLiteral("1,200").replace(QLatin1Char(','), QLocale().groupSeparator()));
    QVERIFY(!view.findChild<QLabel*>(QStringLiteral("placeholder"))->isVisibleTo(&view));
}

void TestDatasetView::chartShowsPerClassCountsAndWarnsOfImbalance()
{
    DatasetView view;
    view.setDataset(countsDataset({ 200, 120, 19, 20 }));
    QCOMPARE(view.classCountsShown(), (std::vector<int64_t> { 200, 120, 19, 20 }));
    // 19 is under 10% of 200; 20 is not.
    const QString note = view.findChild<QLabel*>(QStringLiteral("chartNote"))->text();
    QVERIFY2(note.contains(QStringLiteral("1 class has under 10%")), qPrintable(note));
    QVERIFY2(note.contains(QStringLiteral("class2")), qPrintable(note));
    QVERIFY2(!note.contains(QStringLiteral("class3")), qPrintable(note));

    view.setDataset(countsDataset({ 50, 50 }));
    QCOMPARE(view.classCountsShown(), (std::vector<int64_t> { 50, 50 }));
    QVERIFY(view.findChild<QLabel*>(QStringLiteral("chartNote"))->text().contains(QStringLiteral("Balanced")));
}

void TestDatasetView::thumbnailsArePickedPerClass()
{
    DatasetView view;
    QCOMPARE(view.thumbnailsPerClass(), 8);
    auto d = countsDataset({ 400, 3, 0, 8 });
    view.setDataset(d);
    QVERIFY(view.thumbnailNote().isEmpty());
    std::vector<int64_t> expected;
    for (int c = 0; c < 4; ++c)
        for (int64_t s : expectedPicks(*d, c, 8))
            expected.push_back(s);
    QCOMPARE(expected.size(), size_t { 8 + 3 + 0 + 8 });
    QCOMPARE(view.thumbnailSamples(), expected);

    // The first sample of every class is among its picks, and the picks span the class.
    const auto shown = view.thumbnailSamples();
    QCOMPARE(d->labels[static_cast<size_t>(shown[0])], 0);
    QCOMPARE(shown[0], int64_t { 0 });
    QVERIFY(shown[7] > 300);

    view.setThumbnailsPerClass(2);
    QCOMPARE(view.thumbnailSamples().size(), size_t { 2 + 2 + 0 + 2 });
}

void TestDatasetView::thumbnailPixelsMatchTheDataset()
{
    DatasetView view;
    auto d = std::make_shared<Dataset>(fixtures::barsDataset(20, 3));
    view.setDataset(d);
    const auto shown = view.thumbnailSamples();
    QCOMPARE(shown.size(), size_t { 3 * 8 });
    for (int i : { 0, 9, 23 }) {
        const int64_t s = shown[static_cast<size_t>(i)];
        const QImage img = view.thumbnailImage(i);
        QCOMPARE(img.size(), QSize(8, 8));
        for (int y = 0; y < 8; ++y)
            for (int x = 0; x < 8; ++x)
                QCOMPARE(qGray(img.pixel(x, y)), int(d->pixels[static_cast<size_t>(s * 64 + y * 8 + x)]));
    }
    QVERIFY(DatasetView::sampleImage(*d, d->size()).isNull());
}

void TestDatasetView::colorThumbnailsAreRgb()
{
    auto d = countsDataset({ 3, 3 }, 3, 4, 5);
    const QImage img = DatasetView::sampleImage(*d, 4);
    QCOMPARE(img.size(), QSize(5, 4));
    const int64_t plane = 4 * 5;
    const uint8_t* s = d->pixels.data() + 4 * 3 * plane;
    const QRgb px = img.pixel(3, 2); // y = 2, x = 3
    QCOMPARE(qRed(px), int(s[2 * 5 + 3]));
    QCOMPARE(qGreen(px), int(s[plane + 2 * 5 + 3]));
    QCOMPARE(qBlue(px), int(s[2 * plane + 2 * 5 + 3]));
}

void TestDatasetView::numericFeaturesShowNoThumbnails()
{
    auto d = std::make_shared<Dataset>();
    d->channels = 4;
    d->height = 1;
    d->width = 1;
    d->classNames = { "setosa", "versicolor" };
    d->format = "csv-features";
    d->root = "/data/iris.csv";
    for (int i = 0; i < 6; ++i) {
        for (int k = 0; k < 4; ++k)
            d->features.push_back(0.5f * static_cast<float>(i + k));
        d->labels.push_back(i % 2);
        d->sources.push_back("/data/iris.csv:" + std::to_string(i + 2));
    }
    DatasetView view;
    view.setDataset(d);
    QVERIFY(view.thumbnailSamples().empty());
    QVERIFY2(view.thumbnailNote().contains(QStringLiteral("numeric features")), qPrintable(view.thumbnailNote()));
    QVERIFY(view.headerText().contains(QStringLiteral("4 features")));
    QCOMPARE(view.classCountsShown(), (std::vector<int64_t> { 3, 3 }));

    view.setDataset(countsDataset({ 2, 2 }));
    QVERIFY(view.thumbnailNote().isEmpty());
    QCOMPARE(view.thumbnailSamples().size(), size_t { 4 });
}

void TestDatasetView::skippedFilesAreListed()
{
    DatasetView view;
    auto* toggle = view.findChild<QToolButton*>(QStringLiteral("skippedToggle"));
    auto* list = view.findChild<QListWidget*>(QStringLiteral("skippedList"));
    QVERIFY(toggle && list);

    view.setDataset(countsDataset({ 2, 2 }));
    QVERIFY(!toggle->isVisibleTo(&view));
    QVERIFY(view.skippedShown().isEmpty());

    auto d = countsDataset({ 2, 2 });
    d->skipped = { { "/data/pets/class0/broken.jpg", "cannot decode" }, { "/data/pets/class1/empty.png", "empty file" },
        { "/elsewhere/x.bmp", "unreadable" } };
    view.setDataset(d);
    QVERIFY(toggle->isVisibleTo(&view));
    QCOMPARE(toggle->text(), QStringLiteral("3 files skipped"));
    const QStringList lines = view.skippedShown();
    QCOMPARE(lines.size(), 3);
    QCOMPARE(lines[0], QStringLiteral("class0/broken.jpg — cannot decode"));
    QCOMPARE(lines[1], QStringLiteral("class1/empty.png — empty file"));
    QCOMPARE(lines[2], QStringLiteral("/elsewhere/x.bmp — unreadable"));
    QVERIFY(list->item(0)->toolTip().contains(QStringLiteral("/data/pets/class0/broken.jpg")));
    QVERIFY(!list->isVisibleTo(&view)); // collapsed until asked
    toggle->click();
    QVERIFY(list->isVisibleTo(&view));
    toggle->click();
    QVERIFY(!list->isVisibleTo(&view));

    d->skipped.resize(1);
    view.setDataset(d);
    QCOMPARE(toggle->text(), QStringLiteral("1 file skipped"));
}

void TestDatasetView::doubleClickActivatesTheSample()
{
    DatasetView view;
    view.resize(340, 600);
    auto d = countsDataset({ 30, 30 });
    view.setDataset(d);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QSignalSpy spy(&view, &DatasetView::thumbnailActivated);
    const int i = 9; // the second class's second thumbnail
    const QRect r = view.thumbnailRect(i);
    QVERIFY(!r.isNull());
    QWidget* target = view.childAt(r.center());
    QVERIFY(target);
    QTest::mouseDClick(target, Qt::LeftButton, {}, target->mapFrom(&view, r.center()));
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toLongLong(), static_cast<qlonglong>(view.thumbnailSamples()[i]));
    QCOMPARE(d->labels[static_cast<size_t>(spy.at(0).at(0).toLongLong())], 1);
}

void TestDatasetView::rendersInASidePanel()
{
    DatasetView view;
    view.resize(340, 600);
    auto d = std::make_shared<Dataset>(fixtures::barsDataset(300, 5));
    d->skipped = { { "bars/odd.png", "cannot decode" } };
    view.setDataset(d);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    const QImage shot = view.grab().toImage();
    QCOMPARE(shot.size(), QSize(340, 600));
    if (const QByteArray path = qgetenv("NETCANVAS_DATASETVIEW_PNG"); !path.isEmpty())
        shot.save(QString::fromLocal8Bit(path));

    // An 8×8 sample in a 340 px panel is drawn at 4× with nearest neighbour: each pixel a
    // 4×4 block of its exact gray.
    const QRect cell = view.thumbnailRect(0);
    QCOMPARE(cell.size(), QSize(32, 32));
    const int64_t s = view.thumbnailSamples()[0];
    for (int y = 0; y < 8; ++y)
        for (int x = 0; x < 8; ++x) {
            const int gray = d->pixels[static_cast<size_t>(s * 64 + y * 8 + x)];
            QCOMPARE(qRed(shot.pixel(cell.x() + 4 * x + 1, cell.y() + 4 * y + 2)), gray);
            QCOMPARE(qBlue(shot.pixel(cell.x() + 4 * x + 3, cell.y() + 4 * y + 3)), gray);
        }

    // Wider, the cells grow (still by whole multiples) and stay inside the view.
    view.resize(800, 600);
    QCoreApplication::processEvents();
    const QRect wide = view.thumbnailRect(0);
    QVERIFY(wide.width() > cell.width());
    QCOMPARE(wide.width() % 8, 0);
    QVERIFY(view.rect().contains(view.thumbnailRect(7)));
}

void TestDatasetView::nullptrClears()
{
    DatasetView view;
    view.setDataset(std::make_shared<Dataset>(fixtures::barsDataset(10, 1)));
    QVERIFY(!view.thumbnailSamples().empty());
    view.setDataset(nullptr);
    QVERIFY(!view.dataset());
    QVERIFY(view.findChild<QLabel*>(QStringLiteral("placeholder"))->isVisibleTo(&view));
    QVERIFY(view.headerText().isEmpty());
    QVERIFY(view.classCountsShown().empty());
    QVERIFY(view.thumbnailSamples().empty());
    QVERIFY(view.thumbnailImage(0).isNull());
    QVERIFY(view.skippedShown().isEmpty());
}

QTEST_MAIN(TestDatasetView)
#include "test_datasetview.moc"
