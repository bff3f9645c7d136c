#include "app/DemoDriver.h"

#include "app/ExperimentCoordinator.h"
#include "app/InspectDock.h"
#include "app/InspectionController.h"
#include "app/LabelingController.h"
#include "app/LabelingCoordinator.h"
#include "app/MainWindow.h"
#include "app/PresentationMode.h"
#include "app/RunControlCoordinator.h"
#include "app/ServeCoordinator.h"
#include "app/TrainingController.h"
#include "app/TrainingCoordinator.h"
#include "widgets/charts/LayerStatsCharts.h"
#include "widgets/charts/TrainingCharts.h"
#include "widgets/data/DataPanel.h"
#include "widgets/labels/LabelingPanel.h"
#include "widgets/train/TrainingPanel.h"

#include <QApplication>
#include <QCheckBox>
#include <QCommandLineParser>
#include <QFile>
#include <QPixmap>
#include <QTextStream>

#include <QFileInfo>

#include <algorithm>
#include <cstdio>
#include <map>
#include <unistd.h>

namespace netcanvas::app {

namespace {

const QString kTrainOnStart = QStringLiteral("train-on-start");
const QString kScreenshot = QStringLiteral("screenshot");
const QString kAfter = QStringLiteral("after");
const QString kTab = QStringLiteral("tab");
const QString kMeasureUi = QStringLiteral("measure-ui");
const QString kSoakSample = QStringLiteral("soak-sample");
const QString kEpochs = QStringLiteral("epochs");
const QString kInspect = QStringLiteral("inspect");
const QString kLiveMaps = QStringLiteral("live-maps");
const QString kReport = QStringLiteral("report");
const QString kLabelDemo = QStringLiteral("label-demo");
const QString kLabelRound = QStringLiteral("label-round");
const QString kServe = QStringLiteral("serve");
const QString kLesson = QStringLiteral("lesson");
const QString kPresentation = QStringLiteral("presentation");
const QString kData = QStringLiteral("data");
const QString kTask = QStringLiteral("task");
const QString kTarget = QStringLiteral("target");
const QString kDifferences = QStringLiteral("differences");
const QString kChangeLr = QStringLiteral("change-lr");
const QString kLayerHealth = QStringLiteral("layer-health");

void addHidden(QCommandLineParser& parser, const QString& name, const QString& doc, const QString& value = {},
    const QString& defaultValue = {})
{
    QCommandLineOption option(name, doc, value, defaultValue);
    option.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(option);
}

} // namespace

DemoDriver::DemoDriver(QCommandLineParser& parser, QObject* parent)
    : QObject(parent)
    , m_parser(parser)
{
    addHidden(parser, kTrainOnStart, QStringLiteral("Start training at launch."));
    addHidden(parser, kScreenshot, QStringLiteral("Save the window as PNG and quit."), QStringLiteral("file"));
    addHidden(
        parser, kAfter, QStringLiteral("Seconds before --screenshot."), QStringLiteral("seconds"), QStringLiteral("3"));
    addHidden(parser, kTab, QStringLiteral("Side tab to show: properties, data, training."), QStringLiteral("name"));
    addHidden(parser, kMeasureUi, QStringLiteral("Measure UI stalls while training."), QStringLiteral("seconds"));
    addHidden(parser, kSoakSample, QStringLiteral("With --measure-ui: print memory and stalls every N seconds."),
        QStringLiteral("seconds"));
    addHidden(parser, kEpochs, QStringLiteral("Epochs to train."), QStringLiteral("n"));
    addHidden(parser, kInspect, QStringLiteral("Inspect view to show after training."), QStringLiteral("view"));
    addHidden(parser, kLiveMaps, QStringLiteral("Live feature maps while training."));
    addHidden(parser, kReport, QStringLiteral("Print the run's throughput and quit."));
    addHidden(parser, kLabelDemo, QStringLiteral("Label N images from a path,label CSV."), QStringLiteral("csv:N"));
    addHidden(parser, kLabelRound, QStringLiteral("Train a round on the labels at launch."));
    addHidden(parser, kServe,
        QStringLiteral("Deploy > Serve This Model once training finishes (with --train-on-start); prints the URL; "
                       "--screenshot then saves the serve window --after seconds later."));
    addHidden(parser, kLesson, QStringLiteral("Open a lesson (name or file) and run it."), QStringLiteral("lesson"));
    addHidden(parser, kPresentation, QStringLiteral("Start in presentation mode."));
    addHidden(parser, kData, QStringLiteral("Dataset path for the Data tab."), QStringLiteral("path"));
    addHidden(parser, kTask, QStringLiteral("Data tab task: regression, series, text."), QStringLiteral("kind"));
    addHidden(parser, kTarget, QStringLiteral("Data tab target column."), QStringLiteral("column"));
    addHidden(parser, kDifferences, QStringLiteral("Data tab: a series forecasts changes."));
    addHidden(parser, kChangeLr, QStringLiteral("A live learning-rate change SECONDS after training starts."),
        QStringLiteral("seconds:lr"));
    addHidden(parser, kLayerHealth, QStringLiteral("Show the Layer Health tab of the bottom dock."));
}

bool DemoDriver::unattended() const
{
    return m_parser.isSet(kScreenshot) || m_parser.isSet(kLabelRound) || m_parser.isSet(kMeasureUi)
        || m_parser.isSet(kReport) || m_parser.isSet(kTrainOnStart) || m_parser.isSet(kLesson);
}

QString DemoDriver::drive(MainWindow& window)
{
    if (m_parser.isSet(kTab))
        window.showSideTab(m_parser.value(kTab));
    // The labeling walk-through needs the folder open (--label, or the project's).
    const bool labeling = window.labeling()->controller()->store() != nullptr;
    if (labeling && m_parser.isSet(kLabelDemo))
        if (const QString err = runLabelDemo(window); !err.isEmpty())
            return err;
    const bool labelRound = labeling && m_parser.isSet(kLabelRound);
    if (labelRound)
        QTimer::singleShot(300, &window, [&window] { window.labeling()->trainOnLabels(); });
    // After the document's own settings (its dataset path) are applied, before --train-on-start.
    if (m_parser.isSet(kData) || m_parser.isSet(kTask))
        QTimer::singleShot(100, &window, [this, &window] {
            widgets::DataPanel* data = window.training()->panel()->dataPanel();
            if (m_parser.isSet(kData))
                data->setDatasetPath(m_parser.value(kData));
            if (m_parser.isSet(kTask))
                data->setTask(m_parser.value(kTask), m_parser.value(kTarget), m_parser.isSet(kDifferences));
        });
    if (m_parser.isSet(kEpochs)) {
        TrainConfig c = window.training()->panel()->config();
        c.epochs = std::max(1, m_parser.value(kEpochs).toInt());
        window.training()->panel()->setConfig(c);
    }
    if (m_parser.isSet(kLiveMaps)) {
        InspectDock* dock = window.training()->inspectDock();
        dock->setCurrentWidget(dock->mapsPage());
        dock->liveBox()->setChecked(true);
    }
    if (m_parser.isSet(kPresentation))
        window.presentation()->setOn(true);
    if (m_parser.isSet(kLesson)) {
        QString path = m_parser.value(kLesson);
        for (const QString& p : ExperimentCoordinator::lessonPaths())
            if (QFileInfo(p).completeBaseName() == path)
                path = p;
        if (const QString err = window.experiments()->openLesson(path); !err.isEmpty())
            return err;
        QTimer::singleShot(300, &window, [&window] { window.experiments()->run(); });
    }
    if (m_parser.isSet(kReport))
        reportWhenFinished(window);
    if (m_parser.isSet(kChangeLr))
        changeLearningRate(window);
    if (m_parser.isSet(kLayerHealth)) {
        InspectDock* dock = window.training()->inspectDock();
        dock->setCurrentWidget(window.runControl()->layerCharts());
    }
    if (m_parser.isSet(kTrainOnStart))
        QTimer::singleShot(300, &window, [&window] { window.training()->trainNow(); });
    if (m_parser.isSet(kInspect))
        inspectAfterTraining(window);
    if (m_parser.isSet(kMeasureUi))
        measureUi(window);
    if (m_parser.isSet(kServe))
        serveAfterTraining(window);
    if (m_parser.isSet(kScreenshot) && labelRound) {
        screenshotAfterPredictions(window);
    } else if (m_parser.isSet(kScreenshot) && !m_parser.isSet(kInspect) && !m_parser.isSet(kServe)) {
        const int ms = static_cast<int>(m_parser.value(kAfter).toDouble() * 1000);
        QTimer::singleShot(ms, &window, [this, &window] { saveScreenshot(window); });
    }
    return {};
}

QString DemoDriver::runLabelDemo(MainWindow& window)
{
    const QString spec = m_parser.value(kLabelDemo);
    const int colon = spec.lastIndexOf(QLatin1Char(':'));
    return labelFromCsv(window, spec.left(colon), colon > 0 ? spec.mid(colon + 1).toInt() : 100);
}

void DemoDriver::changeLearningRate(MainWindow& window)
{
    const QString spec = m_parser.value(kChangeLr);
    const int ms = static_cast<int>(spec.section(QLatin1Char(':'), 0, 0).toDouble() * 1000);
    const double lr = spec.section(QLatin1Char(':'), 1).toDouble();
    connect(window.training()->controller(), &TrainingController::started, &window, [&window, ms, lr] {
        QTimer::singleShot(ms, &window, [&window, lr] {
            window.training()->controller()->requestChange({ RunChangeKind::LearningRate, lr });
        });
    });
}

void DemoDriver::reportWhenFinished(MainWindow& window)
{
    connect(window.training()->controller(), &TrainingController::finished, &window, [&window](const RunSummary& s) {
        std::printf("run: %.0f samples/s over %.1f s, test accuracy %.2f%%, live refreshes %d\n", s.samplesPerSecond,
            s.seconds, s.testAccuracy * 100.0, window.training()->inspection()->liveRefreshes());
        std::fflush(stdout);
        QApplication::exit(0);
    });
}

void DemoDriver::inspectAfterTraining(MainWindow& window)
{
    // With --screenshot the picture is taken once the view's result is on screen.
    auto shootSoon = [this, &window] {
        if (m_parser.isSet(kScreenshot))
            QTimer::singleShot(1500, &window, [this, &window] { saveScreenshot(window); });
    };
    connect(window.training()->controller(), &TrainingController::finished, &window, [this, &window, shootSoon] {
        InspectDock* dock = window.training()->inspectDock();
        InspectionController* inspector = window.training()->inspection();
        const QString view = m_parser.value(kInspect);
        // A view that fails is shot too (its message on screen), rather than waited for forever.
        connect(inspector, &InspectionController::failed, &window, shootSoon);
        const auto data = inspector->data();
        const int64_t sample = data.testIndices.empty() ? 0 : data.testIndices.front();
        if (view == QLatin1String("evaluation")) {
            connect(inspector, &InspectionController::evaluationReady, &window, shootSoon);
            dock->setCurrentWidget(dock->evaluationPage());
            dock->evaluate();
        } else if (view == QLatin1String("explain")) {
            connect(inspector, &InspectionController::explainReady, &window, shootSoon);
            dock->explainSample(sample);
        } else if (view == QLatin1String("recurrent")) {
            connect(inspector, &InspectionController::recurrentGatesReady, &window, shootSoon);
            dock->showRecurrent();
        } else {
            connect(inspector, &InspectionController::featureMapsReady, &window, shootSoon);
            dock->setCurrentWidget(dock->mapsPage());
            dock->showSample(sample);
        }
    });
}

// Resident memory of this process in MB (Linux: /proc/self/statm), 0 when unknown.
static double residentMegabytes()
{
    QFile statm(QStringLiteral("/proc/self/statm"));
    if (!statm.open(QIODevice::ReadOnly))
        return 0.0;
    const QList<QByteArray> fields = statm.readAll().split(' ');
    return fields.size() > 1 ? fields[1].toDouble() * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1 << 20) : 0.0;
}

double DemoDriver::gapPercentileMs(double fraction) const
{
    const qint64 want = static_cast<qint64>(static_cast<double>(m_gapCount) * fraction);
    qint64 seen = 0;
    for (size_t b = 0; b < m_gapBuckets.size(); ++b) {
        seen += m_gapBuckets[b];
        if (seen > want)
            return static_cast<double>(b) / 10.0;
    }
    return 0.0;
}

void DemoDriver::measureUi(MainWindow& window)
{
    // A 5 ms timer's longest gap and the chart refreshes per second, for SECONDS of training.
    m_ticker.setInterval(5);
    connect(&m_ticker, &QTimer::timeout, this, [this] {
        const qint64 t = m_clock.nsecsElapsed();
        if (m_last >= 0) {
            const qint64 gap = t - m_last;
            ++m_gapBuckets[std::min<size_t>(static_cast<size_t>(gap / 100000), m_gapBuckets.size() - 1)];
            ++m_gapCount;
            m_maxGapNs = std::max(m_maxGapNs, gap);
            m_intervalMaxGapNs = std::max(m_intervalMaxGapNs, gap);
        }
        m_last = t;
    });
    // --soak-sample: one line per interval, from the start of training.
    if (m_parser.isSet(kSoakSample)) {
        m_sampler.setInterval(std::max(1, static_cast<int>(m_parser.value(kSoakSample).toDouble() * 1000)));
        connect(&m_sampler, &QTimer::timeout, this, [this, &window] {
            std::printf("soak: %.0f s, resident %.1f MB, longest stall %.1f ms (overall %.1f ms), chart refreshes %d\n",
                m_clock.nsecsElapsed() / 1e9, residentMegabytes(), m_intervalMaxGapNs / 1e6, m_maxGapNs / 1e6,
                window.training()->charts()->refreshCount() - m_refreshesAtStart);
            std::fflush(stdout);
            m_intervalMaxGapNs = 0;
        });
    }
    // Starts measuring once training runs (dataset loading is not part of it).
    connect(window.training()->controller(), &TrainingController::started, &window, [this, &window] {
        if (m_clock.isValid())
            return; // a later run (--epochs ended one): keep measuring from the first
        widgets::TrainingCharts* charts = window.training()->charts();
        m_refreshesAtStart = charts->refreshCount();
        m_clock.start();
        m_ticker.start();
        if (m_parser.isSet(kSoakSample)) {
            std::printf("soak: 0 s, resident %.1f MB\n", residentMegabytes());
            std::fflush(stdout);
            m_sampler.start();
        }
        const int ms = static_cast<int>(m_parser.value(kMeasureUi).toDouble() * 1000);
        QTimer::singleShot(ms, &window, [this, charts] {
            const double seconds = m_clock.nsecsElapsed() / 1e9;
            m_ticker.stop();
            m_sampler.stop();
            const double maxGap = m_maxGapNs / 1e6;
            const double p99 = gapPercentileMs(0.99);
            const int refreshes = charts->refreshCount() - m_refreshesAtStart;
            std::printf("ui: longest stall %.1f ms, p99 tick gap %.1f ms over %.1f s of training; "
                        "chart refreshes %.1f/s (longest %.1f ms)\n",
                maxGap, p99, seconds, refreshes / seconds, charts->longestRefreshMs());
            std::fflush(stdout);
            QApplication::exit(0);
        });
    });
}

void DemoDriver::screenshotAfterPredictions(MainWindow& window)
{
    LabelingController* labeling = window.labeling()->controller();
    connect(labeling, &LabelingController::predictionsReady, &window, [this, &window] {
        // The active-learning view: unlabeled images, least confident first.
        LabelQuery q;
        q.labels = LabelQuery::Labels::Unlabeled;
        q.order = LabelQuery::Order::LeastConfident;
        window.labeling()->panel()->setQuery(q);
        QTimer::singleShot(1500, &window, [this, &window] { saveScreenshot(window); });
    });
    connect(labeling, &LabelingController::failed, &window, [](const QString& message) {
        std::fprintf(stderr, "netcanvas: %s\n", qPrintable(message));
        QApplication::exit(1);
    });
}

void DemoDriver::serveAfterTraining(MainWindow& window)
{
    ServeCoordinator* serving = window.serving();
    connect(window.training()->controller(), &TrainingController::finished, &window,
        [serving] { serving->serveThisModel(); });
    connect(serving, &ServeCoordinator::started, &window, [this, &window](const QString& url) {
        std::fprintf(stderr, "serving %s\n", qPrintable(url));
        std::fflush(stderr);
        if (m_parser.isSet(kScreenshot)) {
            const int ms = static_cast<int>(m_parser.value(kAfter).toDouble() * 1000);
            QTimer::singleShot(ms, &window, [this, &window] { saveScreenshot(window); });
        }
    });
    connect(serving, &ServeCoordinator::failed, &window, [](const QString& message) {
        std::fprintf(stderr, "netcanvas: %s\n", qPrintable(message));
        QApplication::exit(1);
    });
}

void DemoDriver::saveScreenshot(MainWindow& window)
{
    const QString file = m_parser.value(kScreenshot);
    // With --serve the picture is the service's window.
    QWidget* shown = &window;
    if (m_parser.isSet(kServe) && window.serving()->dialog())
        shown = window.serving()->dialog();
    const bool ok = shown->grab().save(file, "PNG");
    std::fprintf(stderr, ok ? "saved %s\n" : "could not save %s\n", qPrintable(file));
    // Leaving the event loop stops a running training cleanly (no unsaved-changes prompt
    // in unattended runs).
    QApplication::exit(ok ? 0 : 1);
}

QString labelFromCsv(MainWindow& window, const QString& csvPath, int count)
{
    LabelStore* store = window.labeling()->controller()->store();
    if (!store)
        return QObject::tr("no folder is open for labeling");
    QFile f(csvPath);
    if (!f.open(QIODevice::ReadOnly | QIODevice::Text))
        return QObject::tr("%1: %2").arg(csvPath, f.errorString());
    // path,label rows (a header row is skipped); paths are image ids of the labeled folder.
    std::map<std::string, std::vector<int>> byClass;
    std::vector<std::string> classOrder;
    QTextStream in(&f);
    int line = 0, used = 0;
    while (!in.atEnd() && used < count) {
        const QString row = in.readLine();
        ++line;
        const int comma = row.lastIndexOf(QLatin1Char(','));
        if (comma <= 0)
            continue;
        const std::string id = row.left(comma).trimmed().toStdString();
        const std::string cls = row.mid(comma + 1).trimmed().toStdString();
        if (line == 1 && id == "path")
            continue;
        const int image = store->indexOf(id);
        if (image < 0)
            return QObject::tr("%1:%2: '%3' is not an image of the folder")
                .arg(csvPath)
                .arg(line)
                .arg(QString::fromStdString(id));
        if (!byClass.count(cls))
            classOrder.push_back(cls);
        byClass[cls].push_back(image);
        ++used;
    }
    widgets::LabelingPanel* panel = window.labeling()->panel();
    try {
        std::sort(classOrder.begin(), classOrder.end());
        for (const std::string& cls : classOrder) {
            if (store->classIndex(cls) < 0)
                panel->pushAppliedChange(store->addClass(cls));
            panel->pushAppliedChange(store->assign(byClass[cls], cls));
        }
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
    panel->refresh();
    return {};
}

} // namespace netcanvas::app
