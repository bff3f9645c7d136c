#pragma once
// DemoDriver: the app's hidden demo and benchmark flags and what they do to a window — for
// scripts/screenshots.sh, bench/ui-stall.sh, bench/live-maps.sh and the README's walk-through.
//   --train-on-start          press Train at launch
//   --epochs N                train N epochs instead of the recipe's
//   --tab NAME                show a side tab (properties, data, training)
//   --screenshot FILE         save the window as PNG and quit: after --after SECONDS (3), or
//                             once --inspect's view or --label-round's predictions are on screen
//   --inspect VIEW            after training, show maps | evaluation | explain
//   --live-maps               show the feature maps with Live on while training
//   --report                  print the run's throughput when it finishes, and quit
//   --measure-ui SECONDS      print the UI thread's longest stall over SECONDS of training, and quit
//   --soak-sample SECONDS     with --measure-ui: every SECONDS, print the resident memory and
//                             the longest stall since the last sample (bench/soak.sh)
//   --label-demo CSV:N        label the first N images of the open labeling folder from a
//                             path,label CSV, as a person would with the keys
//   --label-round             train a round on the labels at launch
// Requires: the options are added (constructor) before QCommandLineParser::process(), and
//   drive() is called once the window shows its document (and its labeling folder, if any).
// Ensures: without any of these flags it does nothing; unattended runs end the application
//   (exit 0, or 1 when a step fails) instead of waiting for a person.
#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QTimer>

#include <vector>

class QCommandLineParser;

namespace netcanvas::app {

class MainWindow;

class DemoDriver : public QObject {
    Q_OBJECT
public:
    // Adds the hidden options to `parser`, which must outlive the driver.
    explicit DemoDriver(QCommandLineParser& parser, QObject* parent = nullptr);

    // After process(): whether the run is unattended (no prompt such as crash recovery).
    bool unattended() const;
    // Applies the flags to `window`. Returns an error (the app should exit 1) or empty.
    QString drive(MainWindow& window);

private:
    QString runLabelDemo(MainWindow& window);
    void changeLearningRate(MainWindow& window);
    void reportWhenFinished(MainWindow& window);
    void inspectAfterTraining(MainWindow& window);
    void measureUi(MainWindow& window);
    void screenshotAfterPredictions(MainWindow& window);
    void serveAfterTraining(MainWindow& window);
    void saveScreenshot(MainWindow& window);

    QCommandLineParser& m_parser;
    // UI measurement (--measure-ui): a 5 ms timer's gaps while training runs, counted in
    // 0.1 ms buckets (fixed memory: a soak of hours must not grow the process it measures).
    double gapPercentileMs(double fraction) const;
    QElapsedTimer m_clock;
    QTimer m_ticker;
    QTimer m_sampler; // --soak-sample: memory and stalls every N seconds
    qint64 m_last = -1;
    std::vector<qint64> m_gapBuckets = std::vector<qint64>(20001); // last: 2 s and over
    qint64 m_gapCount = 0;
    qint64 m_maxGapNs = 0;
    qint64 m_intervalMaxGapNs = 0;
    int m_refreshesAtStart = 0;
};

// Labels the first `count` images listed in a "path,label" CSV (paths = image ids of the open
// labeling folder) as a person would with the keys, through the Label panel's undo stack.
// Returns an error naming the CSV line, or empty.
QString labelFromCsv(MainWindow& window, const QString& csvPath, int count);

} // namespace netcanvas::app
