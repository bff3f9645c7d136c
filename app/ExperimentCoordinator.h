#pragma once
// ExperimentCoordinator: the Experiment menu and the Experiment tab of the bottom dock.
// Compare… makes one variant of the canvas's model per value of a variable (CompareDialog);
// Lessons ▸ … opens a ready-made lesson (resources/lessons: the model on the canvas, the
// dataset set, the texts shown) so that one click on Run trains it. Runs go through the
// engine's ExperimentRunner on a thread of their own (several variants at once when the cores
// allow, each with its share of threads); its hooks come back as queued value copies to the
// ExperimentView. Show on Canvas puts a variant on the canvas as one undo step (the original
// is never lost); Export Report… writes the self-contained HTML report.
//
// Threads: the UI thread never trains or loads data; the worker only reads the values it was
// given and posts results back. Closing the window stops the runs and joins the worker.
#include "engine/session/ExperimentReport.h"
#include "engine/session/Lesson.h"

#include <QObject>
#include <QPointer>
#include <QString>

#include <memory>
#include <mutex>
#include <thread>

class QDockWidget;
class QMainWindow;
class QMenu;
class QTabWidget;

namespace netcanvas::widgets {
class ExperimentView;
class GraphView;
} // namespace netcanvas::widgets

namespace netcanvas::app {

class FileActions;
class ProjectDocument;

class ExperimentCoordinator : public QObject {
    Q_OBJECT
public:
    // Adds the Experiment tab to `tabs` (the bottom dock's) and fills `menu`.
    ExperimentCoordinator(QMainWindow* window, ProjectDocument* document, FileActions* files,
        widgets::GraphView* canvas, QTabWidget* tabs, QMenu* menu);
    ~ExperimentCoordinator() override;

    widgets::ExperimentView* view() const;
    // The shipped lesson files, in order.
    static QStringList lessonPaths();
    // Opens a lesson: its model on the canvas (untitled), its dataset, its texts in the view.
    // Returns an error message, or empty.
    QString openLesson(const QString& path);
    // Sets up a comparison on the canvas's model and the document's dataset (or the default
    // one). Returns an error message (a value the variable cannot take), or empty.
    QString setupComparison(const Variation& variation, int epochs, int parallel);
    // Trains the prepared variants (Run). False when there is nothing to run or a run is on.
    bool run();
    void stop();
    bool isRunning() const { return m_running; }
    // Writes the HTML report; returns an error message, or empty.
    QString exportReport(const QString& path);

signals:
    void finished();

private:
    void showCompareDialog();
    void showVariant(int index);
    void restoreOriginal();
    void onFinished(std::vector<VariantOutcome> outcomes, QString error);
    void joinWorker();

    QMainWindow* m_window;
    ProjectDocument* m_doc;
    FileActions* m_files;
    widgets::GraphView* m_canvas;
    QTabWidget* m_tabs;
    QPointer<widgets::ExperimentView> m_view; // owned by the dock's tabs, which may go first

    Lesson m_lesson; // the lesson, or the comparison's spec (title, variation, config)
    ModelGraph m_original; // the model the variants were made from
    std::vector<Variant> m_variants;
    QString m_dataset;
    int m_parallel = 1;
    std::mutex m_runnerMutex; // guards m_runner and m_stopRequested (the worker sets m_runner)
    std::shared_ptr<ExperimentRunner> m_runner;
    bool m_stopRequested = false;
    std::shared_ptr<const Dataset> m_data; // the last run's (for the report's feature maps)
    std::thread m_worker;
    bool m_running = false;
    ExperimentReport m_report; // the last finished run's
};

} // namespace netcanvas::app
