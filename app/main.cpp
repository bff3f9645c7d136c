// netcanvas: the desktop application. `netcanvas [project.ncproj | model.json]` opens that
// file; without one it starts on the default project (LeNet-5 on Fashion-MNIST, or on the
// sample dataset). A crashed session's autosaved work is offered first.
#include "app/InspectDock.h"
#include "app/InspectionController.h"
#include "app/LabelingController.h"
#include "app/MainWindow.h"
#include "app/TrainingController.h"
#include "widgets/labels/LabelingPanel.h"
#include "widgets/train/TrainingPanel.h"

#include "widgets/charts/TrainingCharts.h"
#include <QCheckBox>

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QPixmap>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <vector>

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("NetCanvas"));
    QApplication::setOrganizationName(QStringLiteral("NetCanvas"));
    QApplication::setApplicationVersion(QStringLiteral("0.1.0"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Design, train and understand neural networks."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("file"),
        QStringLiteral("A project (.ncproj) or model JSON file to open."), QStringLiteral("[file]"));
    // Hidden: starts training on the default dataset at launch (screenshots, demos).
    QCommandLineOption trainOnStart(QStringLiteral("train-on-start"), QStringLiteral("Start training at launch."));
    trainOnStart.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(trainOnStart);
    // Hidden: saves a PNG of the window after SECONDS and quits (scripts/screenshots.sh).
    QCommandLineOption screenshot(
        QStringLiteral("screenshot"), QStringLiteral("Save the window as PNG and quit."), QStringLiteral("file"));
    screenshot.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(screenshot);
    QCommandLineOption after(QStringLiteral("after"), QStringLiteral("Seconds before --screenshot."),
        QStringLiteral("seconds"), QStringLiteral("3"));
    after.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(after);
    // Hidden: shows a side tab at launch ("data" also loads the dataset) for screenshots.
    QCommandLineOption tab(
        QStringLiteral("tab"), QStringLiteral("Side tab to show: properties, data, training."), QStringLiteral("name"));
    tab.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(tab);
    // Hidden: with --train-on-start, measures the UI thread for SECONDS of training (a 5 ms
    // timer's longest gap, chart refreshes per second), prints it and quits (bench/ui-stall.sh).
    QCommandLineOption measureUi(
        QStringLiteral("measure-ui"), QStringLiteral("Measure UI stalls while training."), QStringLiteral("seconds"));
    measureUi.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(measureUi);
    // Hidden: trains for this many epochs instead of the recipe's (demos, screenshots).
    QCommandLineOption epochs(QStringLiteral("epochs"), QStringLiteral("Epochs to train."), QStringLiteral("n"));
    epochs.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(epochs);
    // Hidden: after training, shows an Inspect view (maps, evaluation, explain); with
    // --screenshot the picture is taken once its result is on screen.
    QCommandLineOption inspectView(
        QStringLiteral("inspect"), QStringLiteral("Inspect view to show after training."), QStringLiteral("view"));
    inspectView.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(inspectView);
    // Hidden (bench/live-maps.sh): shows the feature maps with Live on while training, and/or
    // prints the run's throughput and the live refreshes when it finishes, then quits.
    QCommandLineOption liveMaps(QStringLiteral("live-maps"), QStringLiteral("Live feature maps while training."));
    liveMaps.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(liveMaps);
    QCommandLineOption report(QStringLiteral("report"), QStringLiteral("Print the run's throughput and quit."));
    report.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(report);
    // Opens a folder of images in Label mode.
    QCommandLineOption label(
        QStringLiteral("label"), QStringLiteral("Open a folder of images for labeling."), QStringLiteral("folder"));
    parser.addOption(label);
    // Hidden (scripts/screenshots.sh, the README's walk-through): with --label, labels the
    // first N images with the classes a "path,label" CSV gives them — what a person would do
    // with the number keys — then, with --label-round, trains a round on them; --screenshot
    // is then taken once the unlabeled images have their predictions.
    QCommandLineOption labelDemo(
        QStringLiteral("label-demo"), QStringLiteral("Label N images from a path,label CSV."), QStringLiteral("csv:N"));
    labelDemo.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(labelDemo);
    QCommandLineOption labelRound(
        QStringLiteral("label-round"), QStringLiteral("Train a round on the labels at launch."));
    labelRound.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(labelRound);
    parser.process(app);

    netcanvas::app::MainWindow window;
    window.resize(1280, 800);
    window.show();
    const QStringList args = parser.positionalArguments();
    if (args.isEmpty() || !window.openFile(args.front()))
        window.openStartupTemplate();
    // Then a crashed session's autosaved work is offered, over a window that shows something
    // (not in unattended screenshot runs).
    const bool unattended = parser.isSet(screenshot) || parser.isSet(labelRound) || parser.isSet(measureUi)
        || parser.isSet(report) || parser.isSet(trainOnStart);
    if (!unattended)
        window.offerRecovery();
    if (parser.isSet(tab))
        window.showSideTab(parser.value(tab));
    bool waitForPredictions = false;
    if (parser.isSet(label)) {
        const QString err = window.openLabelFolder(parser.value(label));
        if (!err.isEmpty()) {
            std::fprintf(stderr, "netcanvas: %s\n", qPrintable(err));
            return 1;
        }
        if (parser.isSet(labelDemo)) {
            const QString spec = parser.value(labelDemo);
            const int colon = spec.lastIndexOf(QLatin1Char(':'));
            const QString err2
                = netcanvas::app::labelFromCsv(window, spec.left(colon), colon > 0 ? spec.mid(colon + 1).toInt() : 100);
            if (!err2.isEmpty()) {
                std::fprintf(stderr, "netcanvas: %s\n", qPrintable(err2));
                return 1;
            }
        }
        if (parser.isSet(labelRound)) {
            waitForPredictions = true;
            QTimer::singleShot(300, &window, &netcanvas::app::MainWindow::trainOnLabels);
        }
    }
    if (parser.isSet(epochs)) {
        netcanvas::TrainConfig c = window.trainingPanel()->config();
        c.epochs = std::max(1, parser.value(epochs).toInt());
        window.trainingPanel()->setConfig(c);
    }
    if (parser.isSet(liveMaps)) {
        window.inspectDock()->setCurrentWidget(window.inspectDock()->mapsPage());
        window.inspectDock()->liveBox()->setChecked(true);
    }
    if (parser.isSet(report))
        QObject::connect(window.trainingController(), &netcanvas::app::TrainingController::finished, &window,
            [&window](const netcanvas::RunSummary& s) {
                std::printf("run: %.0f samples/s over %.1f s, test accuracy %.2f%%, live refreshes %d\n",
                    s.samplesPerSecond, s.seconds, s.testAccuracy * 100.0,
                    window.inspectionController()->liveRefreshes());
                std::fflush(stdout);
                QApplication::exit(0);
            });
    if (parser.isSet(trainOnStart))
        QTimer::singleShot(300, &window, &netcanvas::app::MainWindow::trainNow);
    auto saveScreenshot = [&window](const QString& file) {
        const bool ok = window.grab().save(file, "PNG");
        std::fprintf(stderr, ok ? "saved %s\n" : "could not save %s\n", qPrintable(file));
        // Closing the window stops a running training cleanly (no unsaved-changes prompt
        // in unattended runs).
        QApplication::exit(ok ? 0 : 1);
    };
    if (parser.isSet(inspectView)) {
        using netcanvas::app::InspectionController;
        auto* dock = window.inspectDock();
        auto* inspector = window.inspectionController();
        const QString view = parser.value(inspectView);
        const QString file = parser.isSet(screenshot) ? parser.value(screenshot) : QString();
        auto shootSoon = [&window, file, saveScreenshot] {
            if (!file.isEmpty())
                QTimer::singleShot(1500, &window, [file, saveScreenshot] { saveScreenshot(file); });
        };
        QObject::connect(window.trainingController(), &netcanvas::app::TrainingController::finished, &window,
            [dock, inspector, view, shootSoon, &window] {
                const auto data = inspector->data();
                const int64_t sample = data.testIndices.empty() ? 0 : data.testIndices.front();
                if (view == QLatin1String("evaluation")) {
                    QObject::connect(inspector, &InspectionController::evaluationReady, &window, shootSoon);
                    dock->setCurrentWidget(dock->evaluationPage());
                    dock->evaluate();
                } else if (view == QLatin1String("explain")) {
                    QObject::connect(inspector, &InspectionController::explainReady, &window, shootSoon);
                    dock->explainSample(sample);
                } else {
                    QObject::connect(inspector, &InspectionController::featureMapsReady, &window, shootSoon);
                    dock->setCurrentWidget(dock->mapsPage());
                    dock->showSample(sample);
                }
            });
    }
    QElapsedTimer clock;
    qint64 last = -1, maxGap = 0;
    std::vector<qint64> gaps;
    QTimer ticker;
    int refreshesAtStart = 0;
    if (parser.isSet(measureUi)) {
        ticker.setInterval(5);
        QObject::connect(&ticker, &QTimer::timeout, [&] {
            const qint64 t = clock.nsecsElapsed();
            if (last >= 0) {
                maxGap = std::max(maxGap, t - last);
                gaps.push_back(t - last);
            }
            last = t;
        });
        // Starts measuring once training runs (dataset loading is not part of it).
        QObject::connect(window.trainingController(), &netcanvas::app::TrainingController::started, &window, [&] {
            refreshesAtStart = window.trainingCharts()->refreshCount();
            clock.start();
            ticker.start();
            const int ms = static_cast<int>(parser.value(measureUi).toDouble() * 1000);
            QTimer::singleShot(ms, &window, [&] {
                const double seconds = clock.nsecsElapsed() / 1e9;
                ticker.stop();
                std::sort(gaps.begin(), gaps.end());
                const double p99 = gaps.empty() ? 0.0 : gaps[gaps.size() * 99 / 100] / 1e6;
                const int refreshes = window.trainingCharts()->refreshCount() - refreshesAtStart;
                std::printf("ui: longest stall %.1f ms, p99 tick gap %.1f ms over %.1f s of training; "
                            "chart refreshes %.1f/s (longest %.1f ms)\n",
                    maxGap / 1e6, p99, seconds, refreshes / seconds, window.trainingCharts()->longestRefreshMs());
                std::fflush(stdout);
                QApplication::exit(0);
            });
        });
    }
    if (parser.isSet(screenshot) && waitForPredictions) {
        const QString file = parser.value(screenshot);
        QObject::connect(window.labelingController(), &netcanvas::app::LabelingController::predictionsReady, &window,
            [&window, file, saveScreenshot] {
                // The active-learning view: unlabeled images, least confident first.
                netcanvas::LabelQuery q;
                q.labels = netcanvas::LabelQuery::Labels::Unlabeled;
                q.order = netcanvas::LabelQuery::Order::LeastConfident;
                window.labelingPanel()->setQuery(q);
                QTimer::singleShot(1500, &window, [file, saveScreenshot] { saveScreenshot(file); });
            });
        QObject::connect(window.labelingController(), &netcanvas::app::LabelingController::failed, &window,
            [](const QString& message) {
                std::fprintf(stderr, "netcanvas: %s\n", qPrintable(message));
                QApplication::exit(1);
            });
    } else if (parser.isSet(screenshot) && !parser.isSet(inspectView)) {
        const QString file = parser.value(screenshot);
        const int ms = static_cast<int>(parser.value(after).toDouble() * 1000);
        QTimer::singleShot(ms, &window, [file, saveScreenshot] { saveScreenshot(file); });
    }
    return app.exec();
}
