// The Inspect views: color maps against matplotlib's published values; feature maps drawn
// one cell per channel with pixels that follow the values (per-channel vs shared scale),
// click to select; filters; the confusion matrix's counts, row percentages and clicks; the
// metrics table against ConfusionMatrix; the sample gallery (10,000 entries, double-click);
// the explanation overlay; the layer statistics badge and σ.
// Set NETCANVAS_INSPECT_PNG_DIR=/some/dir to save renderings of every view with realistic
// data (Fashion-MNIST-like) for a look.
#include "widgets/data/DatasetView.h"
#include "widgets/inspect/ColorMaps.h"
#include "widgets/inspect/ConfusionMatrixView.h"
#include "widgets/inspect/ExplainView.h"
#include "widgets/inspect/FeatureMapView.h"
#include "widgets/inspect/FilterView.h"
#include "widgets/inspect/LayerStatsView.h"
#include "widgets/inspect/MetricsTable.h"
#include "widgets/inspect/RecurrentGatesView.h"
#include "widgets/inspect/SampleGallery.h"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QListView>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTest>

#include <cmath>
#include <memory>

using namespace netcanvas;
using namespace netcanvas::widgets;

namespace {

const QStringList kFashion
    = { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" };

std::vector<std::string> toStd(const QStringList& l)
{
    std::vector<std::string> out;
    for (const QString& s : l)
        out.push_back(s.toStdString());
    return out;
}

// A 28×28 Fashion-MNIST-like silhouette of class `cls` (gray on black), varied by `variant`.
QImage fashionImage(int cls, int variant)
{
    QImage img(28, 28, QImage::Format_ARGB32);
    img.fill(Qt::black);
    QPainter p(&img);
    p.setRenderHint(QPainter::Antialiasing);
    const int shade = 150 + (variant * 37) % 90;
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(shade, shade, shade));
    const double dx = (variant % 3) - 1.0;
    QPainterPath path;
    const auto poly = [&](std::initializer_list<QPointF> pts) {
        QPolygonF pg;
        for (const QPointF& q : pts)
            pg << q + QPointF(dx, 0);
        path.addPolygon(pg);
        path.closeSubpath();
    };
    switch (cls) {
    case 0: // T-shirt: body and short sleeves
    case 6: // shirt: the same with a collar line and longer sleeves
        poly({ { 9, 4 }, { 19, 4 }, { 26, 9 }, { 23, 13 }, { 20, 11 }, { 20, 25 }, { 8, 25 }, { 8, 11 }, { 5, 13 },
            { 2, 9 } });
        if (cls == 6)
            poly({ { 2, 9 }, { 5, 13 }, { 4, 22 }, { 1, 21 } });
        break;
    case 1: // trouser
        poly({ { 9, 2 }, { 19, 2 }, { 20, 26 }, { 15, 26 }, { 14, 9 }, { 13, 26 }, { 8, 26 } });
        break;
    case 2: // pullover: long sleeves
    case 4: // coat: longer, with a front opening
        poly({ { 9, 3 }, { 19, 3 }, { 25, 8 }, { 26, 23 }, { 22, 23 }, { 20, 12 }, { 20, cls == 4 ? 27. : 24. },
            { 8, cls == 4 ? 27. : 24. }, { 8, 12 }, { 6, 23 }, { 2, 23 }, { 3, 8 } });
        break;
    case 3: // dress
        poly({ { 11, 2 }, { 17, 2 }, { 18, 10 }, { 23, 26 }, { 5, 26 }, { 10, 10 } });
        break;
    case 5: // sandal: straps
        for (int k = 0; k < 4; ++k)
            path.addRect(QRectF(3 + dx + k * 6, 12 + (k % 2), 3, 8));
        path.addRect(QRectF(2 + dx, 19, 24, 3));
        break;
    case 7: // sneaker
        poly({ { 2, 16 }, { 10, 12 }, { 16, 13 }, { 26, 18 }, { 26, 22 }, { 2, 22 } });
        break;
    case 8: // bag with a handle
        path.addRect(QRectF(4 + dx, 11, 20, 14));
        path.addEllipse(QRectF(9 + dx, 4, 10, 10));
        path.addEllipse(QRectF(11 + dx, 6, 6, 6));
        break;
    default: // ankle boot
        poly({ { 8, 3 }, { 17, 3 }, { 17, 15 }, { 26, 19 }, { 26, 24 }, { 4, 24 }, { 6, 14 } });
        break;
    }
    path.setFillRule(Qt::OddEvenFill);
    p.drawPath(path);
    p.end();
    return img.convertToFormat(QImage::Format_Grayscale8);
}

// `perClass` images of each class, interleaved.
std::shared_ptr<Dataset> fashionDataset(int perClass)
{
    auto d = std::make_shared<Dataset>();
    d->channels = 1;
    d->height = d->width = 28;
    d->classNames = toStd(kFashion);
    d->format = "idx";
    for (int i = 0; i < perClass * 10; ++i) {
        const int cls = i % 10;
        const QImage img = fashionImage(cls, i / 10);
        for (int y = 0; y < 28; ++y)
            d->pixels.insert(d->pixels.end(), img.constScanLine(y), img.constScanLine(y) + 28);
        d->labels.push_back(cls);
        d->sources.push_back("t10k-images-idx3-ubyte#" + std::to_string(i));
    }
    return d;
}

std::vector<float> toFloats(const QImage& gray)
{
    std::vector<float> v;
    for (int y = 0; y < gray.height(); ++y)
        for (int x = 0; x < gray.width(); ++x)
            v.push_back(static_cast<float>(gray.constScanLine(y)[x]) / 255.0f);
    return v;
}

// LeNet-like conv1: 6 kernels of 5×5 (padding 2) + bias + ReLU over a 28×28 image.
std::vector<std::vector<float>> lenetKernels()
{
    std::vector<std::vector<float>> k(6, std::vector<float>(25, 0.0f));
    for (int y = 0; y < 5; ++y)
        for (int x = 0; x < 5; ++x) {
            const auto i = static_cast<size_t>(y * 5 + x);
            k[0][i] = (x - 2) * 0.25f; // vertical edges
            k[1][i] = (y - 2) * 0.25f; // horizontal edges
            k[2][i] = (x - y) * 0.2f; // diagonal
            k[3][i] = (x == 2 && y == 2) ? 1.0f : -1.0f / 24.0f; // center-surround
            k[4][i] = 1.0f / 25.0f; // blur
            k[5][i] = 0.05f * ((x + y) % 2 ? 1.0f : -1.0f); // checker, with a bias that kills it
        }
    return k;
}

inspect::FeatureMaps conv1Maps(const QImage& input)
{
    const std::vector<float> in = toFloats(input);
    const auto kernels = lenetKernels();
    const float bias[6] = { 0.0f, 0.0f, 0.05f, 0.0f, -0.1f, -2.0f };
    inspect::FeatureMaps m;
    m.node = "conv1";
    m.channels = 6;
    m.height = m.width = 28;
    for (int c = 0; c < 6; ++c) {
        float lo = 1e9f, hi = -1e9f;
        double sum = 0;
        for (int y = 0; y < 28; ++y)
            for (int x = 0; x < 28; ++x) {
                float acc = bias[c];
                for (int ky = 0; ky < 5; ++ky)
                    for (int kx = 0; kx < 5; ++kx) {
                        const int sy = y + ky - 2, sx = x + kx - 2;
                        if (sy >= 0 && sy < 28 && sx >= 0 && sx < 28)
                            acc += kernels[static_cast<size_t>(c)][static_cast<size_t>(ky * 5 + kx)]
                                * in[static_cast<size_t>(sy * 28 + sx)];
                    }
                const float v = std::max(0.0f, acc);
                m.values.push_back(v);
                lo = std::min(lo, v);
                hi = std::max(hi, v);
                sum += v;
            }
        m.channelMin.push_back(lo);
        m.channelMax.push_back(hi);
        m.channelMean.push_back(static_cast<float>(sum / 784.0));
    }
    return m;
}

// A deterministic "random" number in [0, 1).
float hash01(uint32_t i)
{
    i ^= i >> 16;
    i *= 0x7feb352dU;
    i ^= i >> 15;
    i *= 0x846ca68bU;
    i ^= i >> 16;
    return static_cast<float>(i & 0xffffff) / static_cast<float>(0x1000000);
}

// Fashion-MNIST-like test confusion: 1,000 per class, the known confusions (shirt vs
// T-shirt, pullover vs coat, sneaker vs ankle boot...).
ConfusionMatrix fashionConfusion()
{
    const int mistakes[10][10] = {
        // T  Tr  P   D   C  Sa  Sh  Sn   B  AB
        { 0, 2, 18, 25, 5, 1, 95, 0, 9, 0 }, // T-shirt/top
        { 3, 0, 1, 18, 3, 0, 2, 0, 1, 0 }, // Trouser
        { 17, 1, 0, 11, 82, 0, 61, 0, 5, 0 }, // Pullover
        { 22, 9, 10, 0, 30, 0, 21, 0, 4, 0 }, // Dress
        { 1, 1, 74, 28, 0, 0, 60, 0, 3, 0 }, // Coat
        { 0, 0, 0, 1, 0, 0, 0, 24, 2, 9 }, // Sandal
        { 118, 1, 70, 28, 58, 0, 0, 0, 12, 0 }, // Shirt
        { 0, 0, 0, 0, 0, 13, 0, 0, 0, 28 }, // Sneaker
        { 4, 1, 3, 4, 2, 2, 5, 3, 0, 1 }, // Bag
        { 0, 0, 0, 0, 0, 6, 1, 33, 1, 0 }, // Ankle boot
    };
    ConfusionMatrix m(10);
    for (int t = 0; t < 10; ++t) {
        int wrong = 0;
        for (int p = 0; p < 10; ++p)
            if (p != t) {
                m.add(t, p, mistakes[t][p]);
                wrong += mistakes[t][p];
            }
        m.add(t, t, 1000 - wrong);
    }
    return m;
}

// A histogram of a normal(mean, std) sample of n values over ±4σ in `bins` bins; rectified
// (ReLU): the negative half piles up in the first bin at 0.
inspect::Histogram normalHistogram(double mean, double std, bool rectified = false, int64_t n = 20000, int bins = 40)
{
    inspect::Histogram h;
    const auto cdf = [&](double x) { return 0.5 * std::erfc(-(x - mean) / (std * std::sqrt(2.0))); };
    const double lo = rectified ? 0.0 : mean - 4 * std, hi = mean + 4 * std;
    h.min = static_cast<float>(lo);
    h.max = static_cast<float>(hi);
    for (int b = 0; b < bins; ++b) {
        const double a = lo + (hi - lo) * b / bins, c = lo + (hi - lo) * (b + 1) / bins;
        double mass = cdf(c) - cdf(a);
        if (rectified && b == 0)
            mass += cdf(0.0);
        h.counts.push_back(std::llround(mass * static_cast<double>(n)));
    }
    h.mean = rectified ? mean * 0.6 : mean;
    h.stddev = rectified ? std * 0.58 : std;
    return h;
}

// Most confident mistakes of a fashion dataset, by a deterministic rule.
std::vector<inspect::SamplePrediction> fashionMistakes(const Dataset& d, int64_t count)
{
    static const int confusedWith[10] = { 6, 3, 4, 0, 2, 7, 0, 9, 6, 7 };
    std::vector<inspect::SamplePrediction> out;
    for (int64_t i = 0; i < count && i < d.size(); ++i) {
        inspect::SamplePrediction s;
        s.index = i;
        s.truth = d.labels[static_cast<size_t>(i)];
        s.predicted = confusedWith[s.truth];
        s.confidence = 0.99f - 0.5f * static_cast<float>(i) / static_cast<float>(count);
        s.truthProbability = (1.0f - s.confidence) * 0.6f;
        out.push_back(s);
    }
    return out;
}

QRgb pixelAt(const QImage& shot, QPoint p)
{
    return shot.pixel(p) | 0xff000000u;
}

void savePng(QWidget& w, const QString& name)
{
    const QByteArray dir = qgetenv("NETCANVAS_INSPECT_PNG_DIR");
    if (dir.isEmpty())
        return;
    QDir().mkpath(QString::fromLocal8Bit(dir));
    QVERIFY(w.grab().save(QString::fromLocal8Bit(dir) + QLatin1Char('/') + name));
}

void show(QWidget& w, int width, int height)
{
    w.resize(width, height);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QCoreApplication::processEvents();
}

// Clicks at `pos` (in `top`'s coordinates) on the child under it.
void clickAt(QWidget& top, QPoint pos, bool doubleClick = false)
{
    QWidget* child = top.childAt(pos);
    QVERIFY(child);
    const QPoint local = child->mapFrom(&top, pos);
    if (doubleClick)
        QTest::mouseDClick(child, Qt::LeftButton, {}, local);
    else
        QTest::mouseClick(child, Qt::LeftButton, {}, local);
}

// A double-click on an item view as a platform delivers it: press, release, press,
// double-click, release (QTest::mouseDClick skips the second press, which item views need).
void doubleClickItem(QAbstractItemView* view, QPoint pos)
{
    QWidget* vp = view->viewport();
    QTest::mousePress(vp, Qt::LeftButton, {}, pos);
    QTest::mouseRelease(vp, Qt::LeftButton, {}, pos);
    QTest::mousePress(vp, Qt::LeftButton, {}, pos);
    QMouseEvent dbl(QEvent::MouseButtonDblClick, pos, vp->mapToGlobal(pos), Qt::LeftButton, Qt::LeftButton, {});
    QApplication::sendEvent(vp, &dbl);
    QTest::mouseRelease(vp, Qt::LeftButton, {}, pos);
}

} // namespace

class TestInspectViews : public QObject {
    Q_OBJECT
private slots:
    void recurrentGatesHeatMapsAndGradient();
    void colorMapsMatchMatplotlib();
    void planeToImageMapsTheRange();
    void overlayLeavesColdPixelsAlone();
    void featureMapsOneCellPerChannel();
    void featureMapsScaleAndSelection();
    void featureMapsFlatAndEmpty();
    void filtersRgbGrayAndMatrix();
    void confusionCountsAndPercentages();
    void confusionClickEmitsTheCell();
    void metricsMatchTheMatrix();
    void galleryShowsAndActivates();
    void explainOverlay();
    void layerStatsBadgesAndSigma();
    void renders();
};

void TestInspectViews::colorMapsMatchMatplotlib()
{
    QCOMPARE(viridis(0.0f), qRgb(0x44, 0x01, 0x54));
    QCOMPARE(viridis(1.0f), qRgb(0xfd, 0xe7, 0x25));
    QCOMPARE(inferno(0.0f), qRgb(0x00, 0x00, 0x04));
    QCOMPARE(inferno(1.0f), qRgb(0xfc, 0xff, 0xa4));
    // Entry 128 of the published tables (matplotlib's viridis(0.5) is #21918c).
    QCOMPARE(viridis(128.0f / 255.0f), qRgb(0x21, 0x91, 0x8c));
    QCOMPARE(inferno(128.0f / 255.0f), qRgb(0xbc, 0x37, 0x54));
    // Clamped outside [0, 1]; NaN is the first color.
    QCOMPARE(viridis(-3.0f), viridis(0.0f));
    QCOMPARE(viridis(7.0f), viridis(1.0f));
    QCOMPARE(viridis(std::nanf("")), viridis(0.0f));
    QCOMPARE(colorAt(ColorMap::Gray, 1.0f), qRgb(255, 255, 255));
    // Monotone in lightness: viridis goes from dark to light.
    QVERIFY(qGray(viridis(0.0f)) < qGray(viridis(0.5f)));
    QVERIFY(qGray(viridis(0.5f)) < qGray(viridis(1.0f)));
}

void TestInspectViews::planeToImageMapsTheRange()
{
    const float values[] = { -1.0f, 1.0f, 3.0f, -5.0f, 9.0f, 1.0f };
    const QImage img = planeToImage(values, 2, 3, -1.0f, 3.0f, ColorMap::Viridis);
    QCOMPARE(img.size(), QSize(3, 2));
    QCOMPARE(img.pixel(0, 0), viridis(0.0f)); // lo
    QCOMPARE(img.pixel(2, 0), viridis(1.0f)); // hi
    QCOMPARE(img.pixel(1, 0), viridis(0.5f)); // middle
    QCOMPARE(img.pixel(0, 1), viridis(0.0f)); // below lo: clamped
    QCOMPARE(img.pixel(1, 1), viridis(1.0f)); // above hi: clamped
    const QImage flat = planeToImage(values, 2, 3, 2.0f, 2.0f, ColorMap::Inferno);
    for (int y = 0; y < 2; ++y)
        for (int x = 0; x < 3; ++x)
            QCOMPARE(flat.pixel(x, y), inferno(0.0f));
    QVERIFY(planeToImage(values, 0, 3, 0.0f, 1.0f, ColorMap::Viridis).isNull());
}

void TestInspectViews::overlayLeavesColdPixelsAlone()
{
    QImage base(40, 40, QImage::Format_RGB32);
    for (int y = 0; y < 40; ++y)
        for (int x = 0; x < 40; ++x)
            base.setPixel(x, y, qRgb(x * 6, y * 6, 100));
    inspect::Heatmap heat;
    heat.height = heat.width = 10;
    heat.values.assign(100, 0.0f);
    for (int y = 0; y < 3; ++y)
        for (int x = 0; x < 3; ++x)
            heat.values[static_cast<size_t>(y * 10 + x)] = 1.0f;
    const QImage out = overlayHeatmap(base, heat, 0.8f);
    QCOMPARE(out.size(), base.size());
    // Hot corner: 80% of inferno(1) over the base.
    const QRgb hot = out.pixel(2, 2);
    QVERIFY(hot != base.pixel(2, 2));
    QVERIFY(std::abs(qRed(hot) - (qRed(base.pixel(2, 2)) * 0.2 + 0xfc * 0.8)) <= 1);
    // Cold region (heat 0 after bilinear upsampling): unchanged.
    for (int y = 20; y < 40; y += 3)
        for (int x = 20; x < 40; x += 3)
            QCOMPARE(out.pixel(x, y), base.pixel(x, y));
    // alpha 0 leaves everything unchanged.
    QCOMPARE(overlayHeatmap(base, heat, 0.0f), base);
    // An empty heat map too.
    QCOMPARE(overlayHeatmap(base, inspect::Heatmap {}, 0.8f), base);
}

void TestInspectViews::featureMapsOneCellPerChannel()
{
    // Channel c: a horizontal ramp from 0 to c + 1 (the left half low, the right half high).
    inspect::FeatureMaps m;
    m.node = "conv1";
    m.channels = 6;
    m.height = m.width = 8;
    for (int c = 0; c < 6; ++c)
        for (int y = 0; y < 8; ++y)
            for (int x = 0; x < 8; ++x)
                m.values.push_back(x < 4 ? 0.0f : static_cast<float>(c + 1));
    FeatureMapView view;
    view.setMaps(m);
    view.setInput(fashionImage(0, 0));
    show(view, 800, 500);
    QVERIFY(view.placeholderText().isEmpty());
    QCOMPARE(view.channelCount(), 6);
    QCOMPARE(view.titleText(), QStringLiteral("conv1 · 6 channels of 8×8"));
    const QImage shot = view.grab().toImage();
    for (int c = 0; c < 6; ++c) {
        const QRect r = view.cellRect(c);
        QVERIFY2(!r.isNull(), qPrintable(QString::number(c)));
        QVERIFY(view.rect().contains(r));
        // Nearest-neighbour enlargement by a whole factor.
        QCOMPARE(r.width() % 8, 0);
        QCOMPARE(r.width(), r.height());
        for (int d = 0; d < c; ++d)
            QVERIFY(!r.intersects(view.cellRect(d)));
        // The drawn pixels follow the values: low left half, high right half (per channel).
        QCOMPARE(pixelAt(shot, QPoint(r.left() + r.width() / 8, r.center().y())), viridis(0.0f));
        QCOMPARE(pixelAt(shot, QPoint(r.right() - r.width() / 8, r.center().y())), viridis(1.0f));
        const QImage img = view.channelImage(c);
        QCOMPARE(img.size(), QSize(8, 8));
        QCOMPARE(img.pixel(0, 0), viridis(0.0f));
        QCOMPARE(img.pixel(7, 7), viridis(1.0f));
    }
    // Fewer columns in a narrower view, same cells.
    view.resize(420, 700);
    QCoreApplication::processEvents();
    QCOMPARE(view.channelCount(), 6);
    QVERIFY(view.cellRect(5).top() > view.cellRect(0).top());
}

void TestInspectViews::featureMapsScaleAndSelection()
{
    // Channel 0 spans [0, 10], channel 1 only [0, 0.1]: a low-range channel.
    inspect::FeatureMaps m;
    m.node = "conv2";
    m.channels = 2;
    m.height = m.width = 4;
    for (int c = 0; c < 2; ++c)
        for (int i = 0; i < 16; ++i)
            m.values.push_back((i == 15 ? 1.0f : 0.0f) * (c == 0 ? 10.0f : 0.1f));
    FeatureMapView view;
    view.setMaps(m);
    show(view, 700, 400);
    QVERIFY(!view.sharedScale());
    QCOMPARE(view.channelImage(1).pixel(3, 3), viridis(1.0f)); // its own max
    const QImage perChannel = view.channelImage(1);
    const QImage shotBefore = view.grab().toImage();
    QSignalSpy scaleSpy(&view, &FeatureMapView::sharedScaleChanged);
    view.setSharedScale(true);
    QCOMPARE(scaleSpy.count(), 1);
    QVERIFY(view.channelImage(1) != perChannel);
    QCOMPARE(view.channelImage(1).pixel(3, 3), viridis(0.01f)); // 0.1 of 10
    QCOMPARE(view.channelImage(0).pixel(3, 3), viridis(1.0f));
    // The drawn cell changes with it.
    const QRect r = view.cellRect(1);
    const QPoint hotPixel(r.right() - r.width() / 8, r.bottom() - r.height() / 8);
    QCOMPARE(pixelAt(shotBefore, hotPixel), viridis(1.0f));
    QCOMPARE(pixelAt(view.grab().toImage(), hotPixel), viridis(0.01f));
    // The toggle button follows.
    auto* shared = view.findChild<QPushButton*>(QStringLiteral("sharedScale"));
    QVERIFY(shared && shared->isChecked());

    // Clicking a cell selects its channel.
    QSignalSpy selected(&view, &FeatureMapView::channelSelected);
    QCOMPARE(view.selectedChannel(), -1);
    clickAt(view, view.cellRect(1).center());
    QCOMPARE(view.selectedChannel(), 1);
    QCOMPARE(selected.count(), 1);
    QCOMPARE(selected.at(0).at(0).toInt(), 1);
    clickAt(view, view.cellRect(0).center());
    QCOMPARE(view.selectedChannel(), 0);
    // New maps with fewer channels drop a selection that no longer exists.
    view.setSelectedChannel(1);
    m.channels = 1;
    m.values.resize(16);
    view.setMaps(m);
    QCOMPARE(view.selectedChannel(), -1);
}

void TestInspectViews::featureMapsFlatAndEmpty()
{
    FeatureMapView view;
    show(view, 600, 400);
    QCOMPARE(view.placeholderText(), QStringLiteral("Select a layer and an image"));
    QCOMPARE(view.channelCount(), 0);
    inspect::FeatureMaps dense;
    dense.node = "fc1";
    dense.channels = 1;
    dense.height = 1;
    dense.width = 84;
    for (int i = 0; i < 84; ++i)
        dense.values.push_back(std::sin(i * 0.3f) * 2.0f);
    view.setMaps(dense);
    QVERIFY(view.placeholderText().isEmpty());
    QVERIFY(view.isFlat());
    QCOMPARE(view.channelCount(), 1);
    QCOMPARE(view.channelImage(0).size(), QSize(84, 1));
    QVERIFY(!view.cellRect(0).isNull());
    QCOMPARE(view.titleText(), QStringLiteral("fc1 · 84 values"));
    // Values that do not match the shape are shown as nothing, not read out of bounds.
    dense.width = 100;
    view.setMaps(dense);
    QCOMPARE(view.channelCount(), 0);
    QVERIFY(!view.placeholderText().isEmpty());
}

void TestInspectViews::filtersRgbGrayAndMatrix()
{
    FilterView view;
    show(view, 500, 400);
    QVERIFY(!view.placeholderText().isEmpty());
    // RGB: filter 0 is red where x < 2, else black; scaled jointly per filter.
    inspect::Filters rgb;
    rgb.node = "conv1";
    rgb.filters = 4;
    rgb.channels = 3;
    rgb.height = rgb.width = 3;
    rgb.values.assign(4 * 3 * 9, 0.0f);
    for (int y = 0; y < 3; ++y)
        for (int x = 0; x < 2; ++x)
            rgb.values[static_cast<size_t>(y * 3 + x)] = 0.5f; // channel 0 (red) of filter 0
    rgb.values[9 + 4] = -0.5f; // filter 0, green, centre: the minimum
    view.setFilters(rgb);
    QVERIFY(view.isRgb());
    QCOMPARE(view.tileCount(), 4);
    const QImage t0 = view.tileImage(0);
    QCOMPARE(t0.size(), QSize(3, 3));
    QCOMPARE(t0.pixel(0, 0), qRgb(255, 128, 128)); // red 0.5 → 1; green, blue 0 → 0.5
    QCOMPARE(t0.pixel(1, 1), qRgb(255, 0, 128)); // green at its minimum
    QCOMPARE(t0.pixel(2, 2), qRgb(128, 128, 128));
    QVERIFY(qAbs(view.filterNorm(0) - std::sqrt(6 * 0.25 + 0.25)) < 1e-6);
    QVERIFY(view.tileToolTip(0).contains(QStringLiteral("Filter 0")));
    QVERIFY(view.tileToolTip(0).contains(QString::number(std::sqrt(6 * 0.25 + 0.25), 'g', 3)));
    QVERIFY(!view.tileRect(3).isNull());

    // One channel: gray tiles, 0 is mid-gray.
    inspect::Filters gray;
    gray.node = "conv1";
    gray.filters = 6;
    gray.channels = 1;
    gray.height = gray.width = 5;
    for (const auto& k : lenetKernels())
        gray.values.insert(gray.values.end(), k.begin(), k.end());
    view.setFilters(gray);
    QVERIFY(!view.isRgb() && !view.isMatrix());
    QCOMPARE(view.tileCount(), 6);
    const QImage vertical = view.tileImage(0); // (x − 2)/4: black left, gray middle, white right
    QCOMPARE(vertical.pixel(0, 2), qRgb(0, 0, 0));
    QCOMPARE(vertical.pixel(2, 2), qRgb(128, 128, 128));
    QCOMPARE(vertical.pixel(4, 2), qRgb(255, 255, 255));

    // Several channels: a filters × channels matrix.
    inspect::Filters conv2;
    conv2.node = "conv2";
    conv2.filters = 16;
    conv2.channels = 6;
    conv2.height = conv2.width = 5;
    for (int i = 0; i < 16 * 6 * 25; ++i)
        conv2.values.push_back(hash01(static_cast<uint32_t>(i)) - 0.5f);
    view.setFilters(conv2);
    QVERIFY(view.isMatrix());
    QCOMPARE(view.tileCount(), 96);
    QVERIFY(view.tileRect(0, 1).left() > view.tileRect(0, 0).left());
    QVERIFY(view.tileRect(1, 0).top() > view.tileRect(0, 0).top());
    QVERIFY(view.tileToolTip(2, 3).contains(QStringLiteral("input channel 3")));
}

void TestInspectViews::confusionCountsAndPercentages()
{
    ConfusionMatrix m(3);
    const int counts[3][3] = { { 5, 1, 0 }, { 2, 6, 2 }, { 0, 0, 4 } };
    for (int t = 0; t < 3; ++t)
        for (int p = 0; p < 3; ++p)
            m.add(t, p, counts[t][p]);
    ConfusionMatrixView view;
    view.setMatrix(m, { "cat", "dog", "bird" });
    show(view, 500, 420);
    QCOMPARE(view.summaryText(), QStringLiteral("20 samples · accuracy 75.0%"));
    for (int t = 0; t < 3; ++t)
        for (int p = 0; p < 3; ++p) {
            QCOMPARE(view.cellText(t, p), QString::number(counts[t][p]));
            QVERIFY(!view.cellRect(t, p).isNull());
        }
    // Diagonal cells are colored differently from mistakes of the same share.
    QVERIFY(view.cellColor(1, 1) != view.cellColor(1, 0));
    QVERIFY(view.cellColor(1, 1).blue() > view.cellColor(1, 1).red());
    QVERIFY(view.cellColor(1, 0).red() > view.cellColor(1, 0).blue());
    QSignalSpy normalized(&view, &ConfusionMatrixView::normalizedChanged);
    view.setNormalized(true);
    QCOMPARE(normalized.count(), 1);
    QCOMPARE(view.cellText(0, 0), QStringLiteral("83.3%")); // 5 / 6
    QCOMPARE(view.cellText(0, 1), QStringLiteral("16.7%")); // 1 / 6
    QCOMPARE(view.cellText(0, 2), QStringLiteral("0%"));
    QCOMPARE(view.cellText(1, 0), QStringLiteral("20.0%")); // 2 / 10
    QCOMPARE(view.cellText(1, 1), QStringLiteral("60.0%"));
    QCOMPARE(view.cellText(1, 2), QStringLiteral("20.0%"));
    QCOMPARE(view.cellText(2, 2), QStringLiteral("100%"));
    QVERIFY(view.cellToolTip(1, 2).contains(QStringLiteral("True: dog")));
    QVERIFY(view.cellToolTip(1, 2).contains(QStringLiteral("Predicted: bird")));
    // Counts are grouped.
    ConfusionMatrix big(2);
    big.add(0, 0, 12345);
    big.add(1, 1, 7);
    view.setNormalized(false);
    view.setMatrix(big, { "a", "b" });
    QCOMPARE(view.cellText(0, 0), QStringLiteral("12,345"));
}

void TestInspectViews::confusionClickEmitsTheCell()
{
    ConfusionMatrixView view;
    view.setMatrix(fashionConfusion(), kFashion);
    show(view, 640, 560);
    QSignalSpy spy(&view, &ConfusionMatrixView::cellActivated);
    clickAt(view, view.cellRect(1, 2).center());
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toInt(), 1);
    QCOMPARE(spy.at(0).at(1).toInt(), 2);
    clickAt(view, view.cellRect(6, 0).center());
    QCOMPARE(spy.count(), 2);
    QCOMPARE(spy.at(1).at(0).toInt(), 6);
    QCOMPARE(spy.at(1).at(1).toInt(), 0);
    // Cells are square and tile the matrix.
    const QRect a = view.cellRect(0, 0), b = view.cellRect(0, 1), c = view.cellRect(1, 0);
    QCOMPARE(a.width(), a.height());
    QCOMPARE(b.left(), a.right() + 1);
    QCOMPARE(c.top(), a.bottom() + 1);
}

void TestInspectViews::metricsMatchTheMatrix()
{
    inspect::Evaluation e;
    e.confusion = fashionConfusion();
    e.accuracy = e.confusion.accuracy();
    e.topK = 5;
    e.topKAccuracy = 0.9968;
    MetricsTable table;
    table.setEvaluation(e, kFashion);
    show(table, 520, 420);
    QCOMPARE(table.table()->rowCount(), 10);
    for (int c = 0; c < 10; ++c) {
        QCOMPARE(table.text(c, MetricsTable::ClassColumn), kFashion[c]);
        QCOMPARE(table.value(c, MetricsTable::PrecisionColumn), e.confusion.precision(c));
        QCOMPARE(table.value(c, MetricsTable::RecallColumn), e.confusion.recall(c));
        QCOMPARE(table.value(c, MetricsTable::F1Column), e.confusion.f1(c));
        QCOMPARE(table.value(c, MetricsTable::SupportColumn), static_cast<double>(e.confusion.support(c)));
        QCOMPARE(table.text(c, MetricsTable::PrecisionColumn), QString::number(e.confusion.precision(c), 'f', 3));
        QCOMPARE(table.text(c, MetricsTable::SupportColumn), QStringLiteral("1,000"));
    }
    QCOMPARE(table.summaryText(),
        QStringLiteral("Accuracy %1% · top-5 accuracy 99.68% · 10,000 samples")
            .arg(QString::number(100.0 * e.confusion.accuracy(), 'f', 2)));
    // Sorting by recall puts the weakest class (Shirt) first, numerically.
    table.table()->sortByColumn(MetricsTable::RecallColumn, Qt::AscendingOrder);
    QCOMPARE(table.rowOfClass(6), 0);
    for (int r = 1; r < 10; ++r)
        QVERIFY(table.table()->item(r - 1, MetricsTable::RecallColumn)->data(Qt::UserRole).toDouble()
            <= table.table()->item(r, MetricsTable::RecallColumn)->data(Qt::UserRole).toDouble());
    // A class never predicted shows "–" as its precision.
    ConfusionMatrix m(2);
    m.add(0, 0, 3);
    m.add(1, 0, 2);
    table.setMatrix(m, { "a", "b" });
    QCOMPARE(table.text(1, MetricsTable::PrecisionColumn), QStringLiteral("–"));
    QCOMPARE(table.text(1, MetricsTable::RecallColumn), QStringLiteral("0.000"));
}

void TestInspectViews::galleryShowsAndActivates()
{
    auto d = fashionDataset(1000); // 10,000 samples
    auto samples = fashionMistakes(*d, 10000);
    SampleGallery gallery;
    gallery.setTitle(QStringLiteral("Most confident mistakes (10,000)"));
    QElapsedTimer timer;
    timer.start();
    gallery.setSamples(d, samples, kFashion);
    show(gallery, 700, 480);
    QVERIFY2(timer.elapsed() < 3000, qPrintable(QString::number(timer.elapsed())));
    QCOMPARE(gallery.count(), 10000);
    QCOMPARE(gallery.title(), QStringLiteral("Most confident mistakes (10,000)"));
    QCOMPARE(gallery.captionText(0), QStringLiteral("T-shirt/top → Shirt (99%)"));
    QCOMPARE(gallery.captionText(1), QStringLiteral("Trouser → Dress (99%)"));
    QCOMPARE(gallery.thumbnail(3), DatasetView::sampleImage(*d, 3));
    const QRect r = gallery.itemRect(3);
    QVERIFY(!r.isNull());
    QVERIFY(gallery.itemRect(9999).isNull()); // far out of view
    QSignalSpy spy(&gallery, &SampleGallery::sampleActivated);
    QListView* list = gallery.listView();
    doubleClickItem(list, list->viewport()->mapFrom(&gallery, r.center()));
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).value<qint64>(), qint64(3));
    // Scrolling to the end works and the last item is the last sample.
    // (the batched layout finishes in the event loop)
    QTRY_VERIFY([&] {
        list->scrollToBottom();
        return !gallery.itemRect(9999).isNull();
    }());
    gallery.clear();
    QCOMPARE(gallery.count(), 0);
    QCOMPARE(gallery.placeholderText(), QStringLiteral("No samples"));
}

void TestInspectViews::explainOverlay()
{
    ExplainView view;
    const QImage image = fashionImage(9, 0);
    view.setImage(image);
    view.setScores({ { 9, 0.931f }, { 7, 0.052f }, { 5, 0.011f } }, kFashion);
    inspect::Heatmap cam;
    cam.height = cam.width = 28;
    cam.values.assign(784, 0.0f);
    for (int y = 2; y < 10; ++y)
        for (int x = 2; x < 10; ++x)
            cam.values[static_cast<size_t>(y * 28 + x)] = 1.0f;
    view.setHeatmaps(inspect::Heatmap {}, cam);
    show(view, 760, 420);
    QCOMPARE(view.predictionText(), QStringLiteral("Ankle boot · 93.1%"));
    QCOMPARE(view.scoreTexts(), QStringList({ "Ankle boot 93.1%", "Sneaker 5.2%", "Sandal 1.1%" }));
    QCOMPARE(view.overlay(), ExplainView::Overlay::GradCam);
    const QImage shown = view.displayImage();
    const QImage over = view.overlayImage();
    QVERIFY(!shown.isNull());
    QCOMPARE(over.size(), shown.size());
    const int k = shown.width() / 28;
    QVERIFY(k >= 2); // enlarged with a whole factor
    QCOMPARE(shown.pixel(5 * k + k / 2, 20 * k), image.convertToFormat(QImage::Format_RGB32).pixel(5, 20));
    // Hot patch: changed; cold region (heat 0): unchanged.
    QVERIFY(over.pixel(6 * k, 6 * k) != shown.pixel(6 * k, 6 * k));
    for (int y = 14 * k; y < 28 * k; y += 7)
        for (int x = 14 * k; x < 28 * k; x += 7)
            QCOMPARE(over.pixel(x, y), shown.pixel(x, y));
    // Opacity 0 or no overlay: the image itself.
    view.setOpacity(0.0);
    QCOMPARE(view.overlayImage(), shown);
    view.setOpacity(0.6);
    QVERIFY(view.overlayImage() != shown);
    view.setOverlay(ExplainView::Overlay::None);
    QCOMPARE(view.overlayImage(), shown);
    // Saliency has no map here: its button is disabled and nothing is drawn over.
    auto buttons = view.findChildren<QPushButton*>();
    for (QPushButton* b : buttons)
        if (b->text() == QStringLiteral("Saliency"))
            QVERIFY(!b->isEnabled());
    view.setOverlay(ExplainView::Overlay::Saliency);
    QCOMPARE(view.overlayImage(), shown);
}

void TestInspectViews::layerStatsBadgesAndSigma()
{
    std::vector<inspect::LayerStats> stats(3);
    stats[0].node = "conv1";
    stats[0].type = "Conv2D";
    stats[0].activations = normalHistogram(0.0, 1.0);
    stats[0].weights = normalHistogram(0.0, 0.2);
    stats[0].gradients = normalHistogram(0.0, 3.2e-6);
    stats[1].node = "relu1";
    stats[1].type = "ReLU";
    stats[1].activations = normalHistogram(0.1, 1.0, true);
    stats[1].deadFraction = 0.63;
    stats[2].node = "tanh1";
    stats[2].type = "Tanh";
    stats[2].activations = normalHistogram(0.0, 0.5);
    stats[2].gradients = normalHistogram(0.0, 0.004);
    stats[2].saturatedFraction = 0.12;
    LayerStatsView view;
    QVERIFY(!view.placeholderText().isEmpty());
    view.setStats(stats);
    show(view, 900, 400);
    QVERIFY(view.placeholderText().isEmpty());
    QCOMPARE(view.layerCount(), 3);
    QCOMPARE(view.badgeText(0), QString());
    QCOMPARE(view.badgeText(1), QStringLiteral("dead 63%"));
    QCOMPARE(view.badgeColor(1), QColor(0xc8, 0x3a, 0x3a)); // red above 50%
    QCOMPARE(view.badgeText(2), QStringLiteral("saturated 12%"));
    QVERIFY(view.badgeColor(2) != view.badgeColor(1));
    QCOMPARE(view.stdText(0, LayerStatsView::Gradients), QStringLiteral("σ 3.2e-06"));
    QCOMPARE(view.stdText(2, LayerStatsView::Gradients), QStringLiteral("σ 4.0e-03"));
    QCOMPARE(view.stdText(1, LayerStatsView::Weights), QString()); // no weights
    // conv1's gradient σ is under 1/100 of tanh1's: flagged as vanishing.
    QVERIFY(view.stdFlagged(0, LayerStatsView::Gradients));
    QVERIFY(!view.stdFlagged(2, LayerStatsView::Gradients));
    QVERIFY(!view.stdFlagged(0, LayerStatsView::Weights));
    const QRect a = view.histogramRect(0, LayerStatsView::Activations);
    const QRect g = view.histogramRect(0, LayerStatsView::Gradients);
    QVERIFY(!a.isNull() && g.left() > a.right());
    QVERIFY(view.histogramRect(1, LayerStatsView::Activations).top() > a.bottom());
    view.setLogCounts(true);
    QVERIFY(view.logCounts());
    // The shared x-range of a column spans its layers.
    QVERIFY(!view.sharedRange());
    const auto [lo, hi] = view.columnRange(LayerStatsView::Gradients);
    QCOMPARE(lo, static_cast<double>(stats[2].gradients.min));
    QCOMPARE(hi, static_cast<double>(stats[2].gradients.max));
    view.setSharedRange(true);
    QVERIFY(view.sharedRange());
    view.clear();
    QVERIFY(!view.placeholderText().isEmpty());
}

void TestInspectViews::renders()
{
    // Feature maps of a LeNet-like conv1 on a Fashion-like ankle boot.
    {
        const QImage boot = fashionImage(9, 0);
        FeatureMapView view;
        view.setInput(boot);
        view.setMaps(conv1Maps(boot));
        show(view, 900, 520);
        view.setSelectedChannel(1);
        QCoreApplication::processEvents();
        savePng(view, QStringLiteral("featuremaps.png"));
        view.setSharedScale(true);
        view.resize(520, 640);
        QCoreApplication::processEvents();
        savePng(view, QStringLiteral("featuremaps_narrow_shared.png"));
        // conv2: 16 channels of 10×10.
        inspect::FeatureMaps conv2;
        conv2.node = "conv2";
        conv2.channels = 16;
        conv2.height = conv2.width = 10;
        for (int c = 0; c < 16; ++c)
            for (int y = 0; y < 10; ++y)
                for (int x = 0; x < 10; ++x)
                    conv2.values.push_back(std::max(0.0f,
                        std::sin(0.5f * (x * (c % 4 + 1) + y * (c / 4))) * (1.0f + 0.2f * c)
                            + 0.3f * hash01(c * 100 + y * 10 + x) - 0.2f));
        view.setSharedScale(false);
        view.setMaps(conv2);
        view.resize(900, 560);
        QCoreApplication::processEvents();
        savePng(view, QStringLiteral("featuremaps_conv2.png"));
        inspect::FeatureMaps dense;
        dense.node = "fc1";
        dense.channels = 1;
        dense.height = 1;
        dense.width = 120;
        for (int i = 0; i < 120; ++i)
            dense.values.push_back(std::max(-0.4f, std::sin(i * 0.37f) * 2.0f + hash01(i) - 0.5f));
        view.setMaps(dense);
        QCoreApplication::processEvents();
        savePng(view, QStringLiteral("featuremaps_dense.png"));
        view.clear();
        QCoreApplication::processEvents();
        savePng(view, QStringLiteral("featuremaps_empty.png"));
    }
    // Filters: LeNet conv1 (1 channel), a color conv1 (3 channels), LeNet conv2 (6 channels).
    {
        FilterView view;
        inspect::Filters gray;
        gray.node = "conv1";
        gray.filters = 6;
        gray.channels = 1;
        gray.height = gray.width = 5;
        for (const auto& k : lenetKernels())
            gray.values.insert(gray.values.end(), k.begin(), k.end());
        view.setFilters(gray);
        show(view, 520, 260);
        savePng(view, QStringLiteral("filters_gray.png"));
        inspect::Filters rgb;
        rgb.node = "conv1";
        rgb.filters = 32;
        rgb.channels = 3;
        rgb.height = rgb.width = 5;
        for (int f = 0; f < 32; ++f)
            for (int c = 0; c < 3; ++c)
                for (int y = 0; y < 5; ++y)
                    for (int x = 0; x < 5; ++x) {
                        const float angle = f * 0.4f;
                        const float g = std::cos((x - 2) * std::cos(angle) * 1.3f + (y - 2) * std::sin(angle) * 1.3f);
                        rgb.values.push_back(
                            g * (c == f % 3 ? 1.0f : 0.3f) + 0.2f * hash01(f * 75 + c * 25 + y * 5 + x));
                    }
        view.setFilters(rgb);
        view.resize(520, 300);
        QCoreApplication::processEvents();
        savePng(view, QStringLiteral("filters_rgb.png"));
        inspect::Filters conv2;
        conv2.node = "conv2";
        conv2.filters = 16;
        conv2.channels = 6;
        conv2.height = conv2.width = 5;
        for (int i = 0; i < 16 * 6 * 25; ++i)
            conv2.values.push_back(hash01(static_cast<uint32_t>(i)) - 0.5f);
        view.setFilters(conv2);
        view.resize(420, 600);
        QCoreApplication::processEvents();
        savePng(view, QStringLiteral("filters_conv2.png"));
    }
    // Confusion matrix (Fashion-MNIST-like), counts and percentages, and 30 classes.
    {
        ConfusionMatrixView view;
        view.setMatrix(fashionConfusion(), kFashion);
        show(view, 640, 600);
        savePng(view, QStringLiteral("confusion_counts.png"));
        view.setNormalized(true);
        savePng(view, QStringLiteral("confusion_percent.png"));
        ConfusionMatrix many(30);
        QStringList names;
        for (int t = 0; t < 30; ++t) {
            names << QStringLiteral("class_%1_%2").arg(t).arg(t % 3 == 0 ? "long_name" : "x");
            int wrong = 0;
            for (int p = 0; p < 30; ++p)
                if (p != t && hash01(static_cast<uint32_t>(t * 30 + p)) < 0.2f) {
                    const int n = static_cast<int>(hash01(static_cast<uint32_t>(t * 31 + p)) * 40);
                    many.add(t, p, n);
                    wrong += n;
                }
            many.add(t, t, 300 - wrong);
        }
        view.setNormalized(false);
        view.setMatrix(many, names);
        view.resize(700, 680);
        QCoreApplication::processEvents();
        savePng(view, QStringLiteral("confusion_30.png"));
        ConfusionMatrix two(2);
        two.add(0, 0, 480);
        two.add(0, 1, 20);
        two.add(1, 0, 35);
        two.add(1, 1, 465);
        ConfusionMatrixView small;
        small.setMatrix(two, { "cat", "dog" });
        show(small, 420, 380);
        savePng(small, QStringLiteral("confusion_2.png"));
    }
    // Metrics table.
    {
        inspect::Evaluation e;
        e.confusion = fashionConfusion();
        e.accuracy = e.confusion.accuracy();
        e.topKAccuracy = 0.9968;
        MetricsTable table;
        table.setEvaluation(e, kFashion);
        show(table, 520, 420);
        savePng(table, QStringLiteral("metrics.png"));
    }
    // Gallery of mistakes.
    {
        auto d = fashionDataset(40);
        SampleGallery gallery;
        gallery.setTitle(QStringLiteral("Most confident mistakes (312)"));
        gallery.setSamples(d, fashionMistakes(*d, 312), kFashion);
        show(gallery, 720, 480);
        savePng(gallery, QStringLiteral("gallery.png"));
    }
    // Explanation: Grad-CAM (a blob at the boot's heel) and saliency (the outline).
    {
        const QImage boot = fashionImage(9, 0);
        inspect::Heatmap cam, sal;
        cam.height = cam.width = sal.height = sal.width = 28;
        for (int y = 0; y < 28; ++y)
            for (int x = 0; x < 28; ++x) {
                const double d2 = (x - 20.0) * (x - 20.0) + (y - 20.0) * (y - 20.0);
                const double e2 = (x - 10.0) * (x - 10.0) + (y - 6.0) * (y - 6.0);
                cam.values.push_back(static_cast<float>(std::max(std::exp(-d2 / 30.0), 0.6 * std::exp(-e2 / 20.0))));
                const int g
                    = (x > 0 && x < 27) ? std::abs(boot.constScanLine(y)[x + 1] - boot.constScanLine(y)[x - 1]) : 0;
                sal.values.push_back(static_cast<float>(g) / 255.0f);
            }
        ExplainView view;
        view.setImage(boot);
        view.setScores({ { 9, 0.931f }, { 7, 0.052f }, { 5, 0.011f }, { 8, 0.004f }, { 6, 0.001f } }, kFashion);
        view.setHeatmaps(sal, cam);
        show(view, 820, 400);
        savePng(view, QStringLiteral("explain_gradcam.png"));
        view.setOverlay(ExplainView::Overlay::Saliency);
        view.resize(520, 640);
        QCoreApplication::processEvents();
        savePng(view, QStringLiteral("explain_saliency_narrow.png"));
    }
    // Layer statistics of a sigmoid MLP-ish LeNet with vanishing gradients in early layers.
    {
        std::vector<inspect::LayerStats> stats;
        const auto layer = [&](const char* node, const char* type, inspect::Histogram a, inspect::Histogram w,
                               inspect::Histogram g, double dead, double sat) {
            inspect::LayerStats s;
            s.node = node;
            s.type = type;
            s.activations = std::move(a);
            s.weights = std::move(w);
            s.gradients = std::move(g);
            s.deadFraction = dead;
            s.saturatedFraction = sat;
            stats.push_back(std::move(s));
        };
        layer("conv1", "Conv2D", normalHistogram(0.1, 1.4), normalHistogram(0.0, 0.28), normalHistogram(0.0, 2.1e-7),
            -1, -1);
        layer("sig1", "Sigmoid", normalHistogram(0.5, 0.12), {}, {}, -1, 0.71);
        layer("conv2", "Conv2D", normalHistogram(0.0, 2.3), normalHistogram(0.0, 0.11), normalHistogram(0.0, 3.4e-5),
            -1, -1);
        layer("sig2", "Sigmoid", normalHistogram(0.5, 0.2), {}, {}, -1, 0.34);
        layer("fc1", "Dense", normalHistogram(0.0, 1.1), normalHistogram(0.0, 0.06), normalHistogram(0.0, 8.2e-4), -1,
            -1);
        layer("relu3", "ReLU", normalHistogram(0.05, 1.0, true), {}, {}, 0.08, -1);
        layer("fc2", "Dense", normalHistogram(0.0, 3.0), normalHistogram(0.0, 0.09), normalHistogram(0.0, 1.2e-2), -1,
            -1);
        LayerStatsView view;
        view.setStats(stats);
        show(view, 960, 620);
        savePng(view, QStringLiteral("layerstats.png"));
        view.setLogCounts(true);
        savePng(view, QStringLiteral("layerstats_log.png"));
        view.setLogCounts(false);
        view.setSharedRange(true);
        savePng(view, QStringLiteral("layerstats_shared.png"));
    }
}

void TestInspectViews::recurrentGatesHeatMapsAndGradient()
{
    // An LSTM trace of 12 steps × 4 units: the forget gate rises with time in unit 0.
    inspect::RecurrentGates g;
    g.node = "lstm";
    g.type = "LSTM";
    RecurrentTrace& t = g.trace;
    t.steps = 12;
    t.units = 4;
    t.hidden.assign(48, 0.0f);
    t.gateNames = { "i", "f", "g", "o", "c" };
    t.gates.assign(5, std::vector<float>(48, 0.5f));
    for (int s = 0; s < 12; ++s)
        t.gates[1][size_t(s * 4)] = float(s) / 11.0f;
    for (int s = 0; s < 12; ++s)
        t.gradNorm.push_back(std::pow(10.0f, float(s - 11)));
    widgets::RecurrentGatesView view;
    view.resize(600, 600);
    view.setGates(g);
    QCOMPARE(view.seriesNames(), (QStringList { "h", "i", "f", "g", "o", "c" }));
    QVERIFY(view.minimumHeight() > 6 * 64);
    const QImage img = view.grab().toImage();
    QVERIFY(!img.isNull());
    // The forget gate's row (third map): unit 0 goes from viridis(0) at step 0 to viridis(1) at the last.
    const int y = 4 + 2 * (64 + 6) + 64 / 8; // first of 4 unit rows
    const int x0 = 150 + 2, x1 = 600 - 12 - 3;
    QCOMPARE(img.pixel(x0, y), widgets::viridis(0.0f));
    QCOMPARE(img.pixel(x1, y), widgets::viridis(1.0f));
    view.clear();
    QVERIFY(view.seriesNames().isEmpty());
}

QTEST_MAIN(TestInspectViews)
#include "test_inspectviews.moc"
