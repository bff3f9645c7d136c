#include "app/ExperimentCoordinator.h"

#include "app/CompareDialog.h"
#include "app/DataDirs.h"
#include "app/FileActions.h"
#include "app/ProjectDocument.h"
#include "app/TrainingCoordinator.h"

#include "engine/graph/ModelJson.h"
#include "engine/io/AtomicFile.h"
#include "widgets/canvas/GraphModel.h"
#include "widgets/canvas/GraphView.h"
#include "widgets/experiment/ApplyVariantCommand.h"
#include "widgets/experiment/ExperimentView.h"

#include <QBuffer>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QMainWindow>
#include <QMenu>
#include <QMessageBox>
#include <QPointer>
#include <QStatusBar>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QThread>
#include <QUndoStack>

namespace netcanvas::app {

namespace {

std::vector<uint8_t> pngOf(QWidget* w)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    w->grab().save(&buffer, "PNG");
    return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

} // namespace

ExperimentCoordinator::ExperimentCoordinator(QMainWindow* window, ProjectDocument* document, FileActions* files,
    widgets::GraphView* canvas, QTabWidget* tabs, QMenu* menu)
    : QObject(window)
    , m_window(window)
    , m_doc(document)
    , m_files(files)
    , m_canvas(canvas)
    , m_tabs(tabs)
    , m_view(new widgets::ExperimentView(tabs))
{
    m_tabs->addTab(m_view, tr("Experiment"));
    QAction* compare = menu->addAction(tr("&Compare…"), this, &ExperimentCoordinator::showCompareDialog);
    compare->setToolTip(tr("One variant of the model per value of a variable, trained side by side"));
    QMenu* lessons = menu->addMenu(tr("&Lessons"));
    for (const QString& path : lessonPaths()) {
        QString title = QFileInfo(path).completeBaseName();
        try {
            title = QString::fromStdString(loadLesson(path.toStdString()).title);
        } catch (const std::exception&) {
        }
        lessons->addAction(title, this, [this, path] {
            const QString err = openLesson(path);
            if (!err.isEmpty())
                QMessageBox::warning(m_window, tr("Cannot open lesson"), err);
        });
    }
    lessons->setEnabled(!lessons->isEmpty());
    menu->addSeparator();
    QAction* runAction = menu->addAction(tr("&Run Experiment"), this, [this] { run(); });
    QAction* stopAction = menu->addAction(tr("&Stop Experiment"), this, &ExperimentCoordinator::stop);
    menu->addAction(tr("&Export Report…"), this, [this] {
        const QString path = QFileDialog::getSaveFileName(
            m_window, tr("Export Report"), QStringLiteral("experiment.html"), tr("HTML report (*.html)"));
        if (path.isEmpty())
            return;
        const QString err = exportReport(path);
        if (!err.isEmpty())
            QMessageBox::warning(m_window, tr("Cannot export the report"), err);
        else
            m_window->statusBar()->showMessage(tr("Report written to %1").arg(path), 8000);
    });
    connect(menu, &QMenu::aboutToShow, this, [this, runAction, stopAction] {
        runAction->setEnabled(!m_running && !m_variants.empty());
        stopAction->setEnabled(m_running);
    });
    connect(m_view, &widgets::ExperimentView::runRequested, this, [this] { run(); });
    connect(m_view, &widgets::ExperimentView::stopRequested, this, &ExperimentCoordinator::stop);
    connect(m_view, &widgets::ExperimentView::exportRequested, this, [this] {
        const QString path = QFileDialog::getSaveFileName(
            m_window, tr("Export Report"), QStringLiteral("experiment.html"), tr("HTML report (*.html)"));
        if (!path.isEmpty()) {
            const QString err = exportReport(path);
            if (!err.isEmpty())
                QMessageBox::warning(m_window, tr("Cannot export the report"), err);
        }
    });
    connect(m_view, &widgets::ExperimentView::showVariantRequested, this, &ExperimentCoordinator::showVariant);
    connect(m_view, &widgets::ExperimentView::restoreOriginalRequested, this, &ExperimentCoordinator::restoreOriginal);
    // The window is closing (its docks go before this object): end the runs first.
    connect(m_view, &QObject::destroyed, this, [this] {
        stop();
        joinWorker();
    });
}

widgets::ExperimentView* ExperimentCoordinator::view() const
{
    return m_view.data();
}

ExperimentCoordinator::~ExperimentCoordinator()
{
    stop();
    joinWorker();
}

void ExperimentCoordinator::joinWorker()
{
    if (m_worker.joinable())
        m_worker.join();
}

QStringList ExperimentCoordinator::lessonPaths()
{
    QStringList out;
    for (const QString& dir : shippedDataDirs(QStringLiteral("resources/lessons"))) {
        for (const std::string& f : lessonFiles(dir.toStdString()))
            out << QString::fromStdString(f);
        if (!out.isEmpty())
            break;
    }
    return out;
}

QString ExperimentCoordinator::openLesson(const QString& path)
{
    if (m_running)
        return tr("An experiment is running: stop it first.");
    Lesson lesson;
    try {
        lesson = loadLesson(path.toStdString());
        if (!lesson.hasModel)
            return tr("%1 has no model").arg(path);
        m_variants = makeVariants(lesson.graph, lesson.config, lesson.variation);
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
    if (!m_files->maybeSave())
        return {};
    // The lesson's model becomes an untitled document, as a template does.
    QTemporaryDir tmp;
    const QString modelPath = tmp.filePath(QString::fromStdString(lesson.id) + ".json");
    try {
        saveModelFile(lesson.graph, modelPath.toStdString());
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
    const QString err = m_doc->newFromTemplate(modelPath);
    if (!err.isEmpty())
        return err;
    m_doc->setDatasetPath(QString::fromStdString(lesson.dataset));
    m_lesson = lesson;
    m_original = lesson.graph;
    m_dataset = QString::fromStdString(lesson.dataset);
    m_parallel = lesson.parallel;
    QStringList labels;
    for (const Variant& v : m_variants)
        labels << QString::fromStdString(v.label);
    m_view->start(QString::fromStdString(lesson.title), QString::fromStdString(lesson.text),
        QString::fromStdString(lesson.lookAt), QString::fromStdString(controlledFor(m_variants)), labels,
        lesson.config.epochs);
    m_view->setMessage(
        tr("Data: %1%2. Press Run: %3 variants, %4 at a time.")
            .arg(m_dataset,
                lesson.samplesPerClass > 0 ? tr(" (%1 images per class)").arg(lesson.samplesPerClass) : QString())
            .arg(m_variants.size())
            .arg(planParallelism(QThread::idealThreadCount(), static_cast<int>(m_variants.size()), m_parallel)
                     .parallel));
    m_tabs->setCurrentWidget(m_view);
    if (auto* dock = qobject_cast<QWidget*>(m_tabs->parentWidget()))
        dock->show();
    return {};
}

QString ExperimentCoordinator::setupComparison(const Variation& variation, int epochs, int parallel)
{
    if (m_running)
        return tr("An experiment is running: stop it first.");
    const ModelGraph& graph = m_doc->model()->graph();
    TrainConfig config;
    try {
        config = trainConfigFromJson(graph.training);
        config.epochs = epochs;
        m_variants = makeVariants(graph, config, variation);
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
    m_lesson = Lesson {};
    m_lesson.variation = variation;
    m_lesson.config = config;
    m_lesson.graph = graph;
    m_lesson.hasModel = true;
    const VariationInfo& info = variationInfo(variation.kind);
    QStringList values;
    for (const std::string& v : variation.values)
        values << QString::fromStdString(v);
    m_lesson.title = tr("%1: %2").arg(QString::fromUtf8(info.label), values.join(QStringLiteral(", "))).toStdString();
    m_original = graph;
    m_dataset = m_doc->datasetPath().isEmpty() ? TrainingCoordinator::defaultDatasetPath() : m_doc->datasetPath();
    m_lesson.dataset = m_dataset.toStdString();
    m_parallel = parallel;
    QStringList labels;
    for (const Variant& v : m_variants)
        labels << QString::fromStdString(v.label);
    m_view->start(QString::fromStdString(m_lesson.title), {}, {}, QString::fromStdString(controlledFor(m_variants)),
        labels, epochs);
    m_view->setMessage(tr("Data: %1. Press Run to train the %2 variants.").arg(m_dataset).arg(m_variants.size()));
    m_tabs->setCurrentWidget(m_view);
    return {};
}

void ExperimentCoordinator::showCompareDialog()
{
    TrainConfig config;
    try {
        config = trainConfigFromJson(m_doc->model()->graph().training);
    } catch (const std::exception&) {
    }
    CompareDialog dialog(m_doc->model()->graph(), config, m_window);
    if (dialog.exec() != QDialog::Accepted)
        return;
    const QString err = setupComparison(dialog.variation(), dialog.epochs(), dialog.parallel());
    if (!err.isEmpty()) {
        QMessageBox::warning(m_window, tr("Cannot compare"), err);
        return;
    }
    run();
}

bool ExperimentCoordinator::run()
{
    if (m_running || m_variants.empty())
        return false;
    joinWorker();
    m_running = true;
    m_view->setRunning(true);
    QStringList labels;
    for (const Variant& v : m_variants)
        labels << QString::fromStdString(v.label);
    m_view->start(QString::fromStdString(m_lesson.title), QString::fromStdString(m_lesson.text),
        QString::fromStdString(m_lesson.lookAt), QString::fromStdString(controlledFor(m_variants)), labels,
        m_variants.front().config.epochs);
    m_view->setRunning(true);
    m_view->setMessage(tr("Loading %1…").arg(m_dataset));

    ExperimentOptions options;
    options.cores = QThread::idealThreadCount();
    options.maxParallel = m_parallel;
    options.keepWeights = true;
    const std::vector<Variant> variants = m_variants;
    const std::string dataset = m_dataset.toStdString();
    const int64_t perClass = m_lesson.samplesPerClass;
    // Everything is posted to the coordinator, which outlives the worker (its destructor joins
    // it); on the UI thread it forwards to the view while the view exists.
    ExperimentCoordinator* self = this;
    auto post = [self](auto fn) {
        QMetaObject::invokeMethod(
            self,
            [self, fn = std::move(fn)] {
                if (self->m_view)
                    fn(self->m_view.data());
            },
            Qt::QueuedConnection);
    };
    // The runner is made on the worker (its constructor splits the data); stop() reaches it
    // through m_runner once it exists, and a stop asked for before then is applied to it.
    {
        std::lock_guard lock(m_runnerMutex);
        m_stopRequested = false;
        m_runner.reset();
    }
    m_worker = std::thread([=, this] {
        std::vector<VariantOutcome> outcomes;
        QString error;
        try {
            auto data = openExperimentData(dataset, variants.front().graph, perClass);
            auto runner = std::make_shared<ExperimentRunner>(variants, data, options);
            {
                std::lock_guard lock(m_runnerMutex);
                m_runner = runner;
                if (m_stopRequested)
                    runner->requestStop();
            }
            post([self, data](widgets::ExperimentView*) { self->m_data = data; });
            const ParallelPlan plan = runner->plan();
            post([plan, n = data->size()](widgets::ExperimentView* view) {
                view->setMessage(tr("Training on %1 samples: %2 run(s) at a time, %3 thread(s) each.")
                                     .arg(n)
                                     .arg(plan.parallel)
                                     .arg(plan.threadsEach));
            });
            ExperimentHooks hooks;
            hooks.onStart = [=](int i) {
                post([i](widgets::ExperimentView* view) { view->setVariantState(i, QStringLiteral("running")); });
            };
            hooks.onEpoch = [=](int i, const EpochEvent& e) {
                post([i, e](widgets::ExperimentView* view) { view->addEpoch(i, e); });
            };
            hooks.onFinish = [=](int i, const VariantOutcome& o) {
                VariantOutcome copy = o;
                post([i, copy](widgets::ExperimentView* view) { view->setOutcome(i, copy); });
            };
            outcomes = runner->run(hooks);
        } catch (const std::exception& e) {
            error = QString::fromStdString(e.what());
        }
        QMetaObject::invokeMethod(
            self, [self, outcomes, error] { self->onFinished(outcomes, error); }, Qt::QueuedConnection);
    });
    return true;
}

void ExperimentCoordinator::stop()
{
    std::lock_guard lock(m_runnerMutex);
    m_stopRequested = true;
    if (m_runner)
        m_runner->requestStop();
}

void ExperimentCoordinator::onFinished(std::vector<VariantOutcome> outcomes, QString error)
{
    joinWorker();
    m_running = false;
    if (!m_view)
        return;
    {
        std::lock_guard lock(m_runnerMutex);
        m_runner.reset();
    }
    m_view->setRunning(false);
    if (!error.isEmpty()) {
        m_view->setMessage(tr("The experiment could not run: %1").arg(error));
        emit finished();
        return;
    }
    for (size_t i = 0; i < outcomes.size(); ++i)
        m_view->setOutcome(static_cast<int>(i), outcomes[i]);
    m_report = ExperimentReport {};
    m_report.title = m_lesson.title;
    m_report.text = m_lesson.text;
    m_report.lookAt = m_lesson.lookAt;
    m_report.variable = variationInfo(m_lesson.variation.kind).label;
    m_report.controlled = controlledFor(m_variants);
    m_report.dataset = m_dataset.toStdString();
    m_report.graph = m_original;
    m_report.classNames = m_data ? m_data->classNames : std::vector<std::string> {};
    m_report.plan = planParallelism(QThread::idealThreadCount(), static_cast<int>(m_variants.size()), m_parallel);
    m_report.outcomes = std::move(outcomes);
    const std::vector<int> order = rankOutcomes(m_report.outcomes);
    m_view->setMessage(tr("Done. Best: %1. Select a row and press Show on Canvas to look at a variant's model.")
                           .arg(QString::fromStdString(m_report.outcomes[static_cast<size_t>(order.front())].label)));
    emit finished();
}

QString ExperimentCoordinator::exportReport(const QString& path)
{
    if (m_report.outcomes.empty())
        return tr("No finished experiment to report yet.");
    ExperimentReport report = m_report;
    report.images.clear();
    report.images.push_back({ "Model", pngOf(m_canvas) });
    report.images.push_back({ "Curves as shown in NetCanvas", pngOf(m_view->chartsWidget()) });
    const std::vector<int> order = rankOutcomes(report.outcomes);
    const VariantOutcome& best = report.outcomes[static_cast<size_t>(order.front())];
    try {
        if (best.weights && m_data && m_data->size() > 0) {
            ReportImage maps = featureMapPicture(*best.weights, *m_data, 0);
            if (!maps.png.empty()) {
                maps.title += " — " + best.label;
                report.images.push_back(std::move(maps));
            }
        }
        writeFileAtomic(path.toStdString(), experimentHtml(report));
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

void ExperimentCoordinator::showVariant(int index)
{
    if (index < 0 || index >= static_cast<int>(m_variants.size()))
        return;
    const Variant& v = m_variants[static_cast<size_t>(index)];
    m_doc->undoStack()->push(
        new widgets::ApplyVariantCommand(m_doc->model(), v.graph, QString::fromStdString(v.label)));
    m_window->statusBar()->showMessage(tr("The canvas shows %1; Edit ▸ Undo or Restore Original gives the model back.")
                                           .arg(QString::fromStdString(v.label)),
        10000);
}

void ExperimentCoordinator::restoreOriginal()
{
    if (m_original.nodes().empty())
        return;
    m_doc->undoStack()->push(new widgets::ApplyVariantCommand(m_doc->model(), m_original, tr("original")));
}

} // namespace netcanvas::app
