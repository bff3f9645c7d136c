// bench_label_browser: the labeling panel over a folder of 100,000 images, offscreen.
//
//   bench_label_browser [--dir DIR] [--count N] [--pages P] [--icon-mode]
//
// --icon-mode runs the grid in QListView::IconMode instead of its wrapping ListMode (the
// comparison behind that choice: IconMode keeps every item in a spatial tree, rebuilt on
// each model reset).
// Writes N tiny PNGs (16×16, in 20 sub-folders) into DIR once (default: a folder under the
// system's temp dir; reused when it already holds them), opens a LabelStore over it, labels
// 30% into 5 classes and predicts the rest, then measures with the panel at 1280×900:
//   - opening: the store's scan, the panel's setStore (model reset, counts), filter changes
//     (model resets over 100k rows), a labeling key press (label + refresh + move on);
//   - scrolling page by page through the whole grid: the paint time of each page (median, p99,
//     max), with the thumbnails of the page requested (stale ones dropped);
//   - decoding: time until every thumbnail of one page has arrived (2 decoder threads);
//   - the thumbnail cache's memory after the scroll.
// Not a test: it prints numbers (docs/benchmarks.md).
#include "engine/labels/LabelStore.h"
#include "widgets/labels/LabelBrowserModel.h"
#include "widgets/labels/LabelGridView.h"
#include "widgets/labels/LabelingPanel.h"
#include "widgets/labels/ThumbnailCache.h"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QScrollBar>
#include <QTest>
#include <QUndoStack>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

using namespace netcanvas;
using namespace netcanvas::widgets;

namespace {

double ms(const QElapsedTimer& t)
{
    return static_cast<double>(t.nsecsElapsed()) / 1e6;
}

double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5));
    return v[k];
}

void makeImages(const QString& dir, int count)
{
    const QString done = dir + QStringLiteral("/.complete-%1").arg(count);
    if (QFile::exists(done))
        return;
    std::printf("writing %d images into %s (once)...\n", count, qPrintable(dir));
    std::fflush(stdout);
    QElapsedTimer t;
    t.start();
    std::mt19937 rng(7);
    for (int i = 0; i < count; ++i) {
        const QString sub = dir + QStringLiteral("/group%1").arg(i % 20, 2, 10, QLatin1Char('0'));
        if (i < 20)
            QDir().mkpath(sub);
        cv::Mat m(16, 16, CV_8UC3, cv::Scalar(rng() % 256, rng() % 256, rng() % 256));
        m.at<cv::Vec3b>(static_cast<int>(rng() % 16), static_cast<int>(rng() % 16)) = cv::Vec3b(255, 255, 255);
        cv::imwrite((sub + QStringLiteral("/img%1.png").arg(i, 6, 10, QLatin1Char('0'))).toStdString(), m);
    }
    QFile f(done);
    f.open(QIODevice::WriteOnly);
    std::printf("  written in %.1f s\n", ms(t) / 1000.0);
}

} // namespace

int main(int argc, char** argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QString dir = QDir::tempPath() + QStringLiteral("/netcanvas-label-bench");
    int count = 100000;
    int maxPages = 100000;
    bool iconMode = false;
    const QStringList args = app.arguments();
    iconMode = args.contains(QStringLiteral("--icon-mode"));
    for (int i = 1; i + 1 < args.size(); ++i) {
        if (args[i] == QStringLiteral("--dir"))
            dir = args[++i];
        else if (args[i] == QStringLiteral("--count"))
            count = args[++i].toInt();
        else if (args[i] == QStringLiteral("--pages"))
            maxPages = args[++i].toInt();
    }
    QDir().mkpath(dir);
    makeImages(dir, count);
    for (const char* f : { LabelStore::kSidecarName, LabelStore::kJournalName })
        QFile::remove(dir + QLatin1Char('/') + QString::fromLatin1(f));

    QElapsedTimer t;
    t.start();
    LabelStoreOptions options;
    options.syncJournal = false;
    LabelStore store(dir.toStdString(), options);
    std::printf("store: %d images, opened in %.1f ms\n", store.imageCount(), ms(t));

    std::mt19937 rng(11);
    const std::vector<std::string> classes = { "ant", "bee", "cat", "dog", "eel" };
    for (const auto& c : classes)
        store.addClass(c);
    std::vector<std::vector<int>> byClass(classes.size());
    std::vector<ImagePrediction> preds;
    for (int i = 0; i < store.imageCount(); ++i) {
        if (rng() % 10 < 3)
            byClass[rng() % classes.size()].push_back(i);
        else
            preds.push_back({ i, classes[rng() % classes.size()], static_cast<float>(rng() % 1000) / 1000.0f });
    }
    t.restart();
    for (size_t c = 0; c < classes.size(); ++c)
        store.assign(byClass[c], classes[c]);
    std::printf("labeled 30%% in 5 classes: %.1f ms\n", ms(t));
    t.restart();
    store.setPredictions(preds);
    std::printf("set %zu predictions: %.1f ms\n", preds.size(), ms(t));

    LabelingPanel panel;
    if (iconMode) {
        panel.grid()->setViewMode(QListView::IconMode);
        panel.grid()->setMovement(QListView::Static);
        panel.grid()->setResizeMode(QListView::Adjust);
        panel.grid()->setWrapping(true);
        std::printf("grid in IconMode\n");
    }
    panel.resize(1280, 900);
    panel.show();
    (void)QTest::qWaitForWindowExposed(&panel);
    t.restart();
    panel.setStore(&store);
    std::printf("panel.setStore (model reset, counts): %.1f ms\n", ms(t));
    app.processEvents();

    auto timed = [&](const char* what, auto&& f) {
        QElapsedTimer tt;
        tt.start();
        f();
        const double a = ms(tt);
        tt.restart();
        panel.grid()->viewport()->repaint();
        std::printf("%-48s %7.1f ms  (+ first paint %.1f ms)\n", what, a, ms(tt));
    };
    LabelQuery q;
    q.labels = LabelQuery::Labels::Unlabeled;
    timed("filter Unlabeled (model reset)", [&] { panel.setQuery(q); });
    q.order = LabelQuery::Order::LeastConfident;
    timed("order least confident first", [&] { panel.setQuery(q); });
    timed("refresh()", [&] { panel.refresh(); });
    panel.selectImages({ panel.shownImages()[5] });
    timed("key 1 under Unlabeled (label, reset, move on)", [&] { QTest::keyClick(panel.grid(), Qt::Key_1); });
    timed("undo", [&] { panel.undoStack()->undo(); });
    timed("filter All (model reset)", [&] { panel.setQuery(LabelQuery {}); });
    panel.selectImages({ 500 });
    timed("key 2 under All (label, refresh, move on)", [&] { QTest::keyClick(panel.grid(), Qt::Key_2); });
    timed("Ctrl+A (select all shown)", [&] { QTest::keyClick(panel.grid(), Qt::Key_A, Qt::ControlModifier); });
    timed("selectedImages() of all", [&] { (void)panel.selectedImages(); });
    panel.selectImages({ 0 });

    // Decoding one page from an empty cache (the next page is prefetched after it).
    ThumbnailCache* cache = panel.thumbnailCache();
    auto decodePage = [&](const char* what) {
        cache->clear();
        QElapsedTimer td;
        td.start();
        panel.grid()->viewport()->repaint(); // asks for the tiles on screen
        app.processEvents(); // the visible range, with the next page
        const auto [f, l] = panel.grid()->visibleRows();
        bool all = false;
        double onScreen = 0;
        while (td.elapsed() < 60000) {
            app.processEvents(QEventLoop::AllEvents, 2);
            if (!all) {
                all = true;
                for (int r = f; r <= l && all; ++r)
                    all = cache->state(panel.browserModel()->imageAt(r)) == ThumbnailCache::State::Ready;
                if (all)
                    onScreen = ms(td);
            }
            if (all && cache->pendingCount() == 0)
                break;
        }
        std::printf("%s: %d tiles on screen decoded in %.1f ms, with the next page in %.1f ms\n", what, l - f + 1,
            onScreen, ms(td));
    };
    decodePage("first page");

    // Scroll page by page through everything.
    QScrollBar* bar = panel.grid()->verticalScrollBar();
    const int page = std::max(1, panel.grid()->viewport()->height());
    std::vector<double> paints, settledPaints;
    QElapsedTimer total;
    total.start();
    int pages = 0;
    for (int v = 0; v <= bar->maximum() && pages < maxPages; v += page, ++pages) {
        bar->setValue(v);
        app.processEvents(); // the visible-range update, arrived thumbnails
        QElapsedTimer tp;
        tp.start();
        panel.grid()->viewport()->repaint();
        paints.push_back(ms(tp));
        if (pages % 50 == 0) { // now and then, let the page decode and paint it whole
            QElapsedTimer tw;
            tw.start();
            while (cache->pendingCount() > 0 && tw.elapsed() < 10000)
                app.processEvents(QEventLoop::AllEvents, 2);
            tp.restart();
            panel.grid()->viewport()->repaint();
            settledPaints.push_back(ms(tp));
        }
    }
    const double scrollMs = ms(total);
    std::printf("scrolled %d pages (%d px each, %d rows): paint median %.2f ms, p99 %.2f ms, max %.2f ms; "
                "whole scroll %.1f s\n",
        pages, page, panel.grid()->rowsPerPage(), percentile(paints, 0.5), percentile(paints, 0.99),
        percentile(paints, 1.0), scrollMs / 1000.0);
    std::printf("pages with every thumbnail decoded: paint median %.2f ms, max %.2f ms (%zu pages)\n",
        percentile(settledPaints, 0.5), percentile(settledPaints, 1.0), settledPaints.size());
    std::printf("decode queue right after the scroll: %d (stale requests dropped)\n", cache->pendingCount());

    // Stop in the middle and let the page decode.
    bar->setValue(bar->maximum() / 2);
    app.processEvents();
    decodePage("a page in the middle");
    std::printf("thumbnail cache: %d thumbnails, %.1f MB of %.0f MB budget, %d failed\n", cache->cachedCount(),
        static_cast<double>(cache->usedBytes()) / (1 << 20), static_cast<double>(cache->budgetBytes()) / (1 << 20),
        static_cast<int>(cache->failures().size()));
    return 0;
}
