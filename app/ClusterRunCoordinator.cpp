#include "app/ClusterRunCoordinator.h"

#include "engine/session/ProgressLog.h"
#include "engine/session/RunRecord.h"
#include "widgets/train/ClusterRunBox.h"
#include "widgets/train/RunHistory.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSaveFile>
#include <QSettings>
#include <QStandardPaths>
#include <QTimer>

#include <cerrno>
#include <csignal>
#include <unistd.h>

namespace netcanvas::app {

namespace {

const char* kFolderKey = "cluster/runFolder";

QString rate(double perSecond)
{
    return perSecond >= 1000.0 ? QString::number(perSecond / 1000.0, 'f', 1) + "k" : QString::number(perSecond, 'f', 0);
}

// The last lines of the job's output: where mpirun and the ranks explain an abnormal end.
QString logTail(const QString& path, int lines)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QStringList all = QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts);
    QStringList keep;
    for (const QString& l : all)
        if (!l.trimmed().isEmpty() && !l.startsWith("---"))
            keep << l.trimmed();
    return keep.mid(std::max<qsizetype>(0, keep.size() - lines)).join('\n');
}

bool writeAtomically(const QString& path, const QByteArray& bytes)
{
    QSaveFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size() && f.commit();
}

} // namespace

ClusterCommand clusterCommand(const QString& mpirun, const QString& cli, int processes, const QString& hostfile,
    int threads, const QString& modelFile, const QString& dataset, const QString& runFolder, bool asRoot)
{
    ClusterCommand c;
    c.program = mpirun;
    if (asRoot)
        c.arguments << "--allow-run-as-root";
    c.arguments << "-np" << QString::number(processes);
    if (!hostfile.isEmpty())
        c.arguments << "--hostfile" << hostfile;
    else
        c.arguments << "--oversubscribe"; // local: more ranks than cores is the user's choice
    c.arguments << cli << "train" << modelFile << "--data" << dataset << "--out" << runFolder << "--distributed"
                << "--threads" << QString::number(threads) << "--device"
                << "cpu";
    return c;
}

QString ClusterRunCoordinator::findMpirun()
{
    return QStandardPaths::findExecutable(QStringLiteral("mpirun"));
}

QString ClusterRunCoordinator::findCli()
{
    const QString dir = QCoreApplication::applicationDirPath();
    for (const QString& candidate : { dir + "/netcanvas-cli", dir + "/cli/netcanvas-cli" })
        if (QFileInfo(candidate).isExecutable())
            return QFileInfo(candidate).absoluteFilePath();
    return QStandardPaths::findExecutable(QStringLiteral("netcanvas-cli"));
}

ClusterRunCoordinator::ClusterRunCoordinator(widgets::ClusterRunBox* box, widgets::RunHistory* runs,
    std::function<ClusterLaunchInputs()> inputs, QObject* parent)
    : QObject(parent)
    , m_box(box)
    , m_runs(runs)
    , m_inputs(std::move(inputs))
    , m_timer(new QTimer(this))
{
    m_timer->setInterval(500);
    connect(m_timer, &QTimer::timeout, this, &ClusterRunCoordinator::poll);
    connect(m_box, &widgets::ClusterRunBox::launchRequested, this, &ClusterRunCoordinator::launch);
    connect(m_box, &widgets::ClusterRunBox::attachRequested, this, [this] { attach(m_box->runFolder()); });
    const QString mpirun = findMpirun(), cli = findCli();
    m_box->setLaunchAvailable(!mpirun.isEmpty() && !cli.isEmpty(),
        mpirun.isEmpty() ? tr("Open MPI's mpirun is not installed (Debian: openmpi-bin)")
                         : tr("netcanvas-cli was not found next to the app"));
    QSettings settings;
    const QString last = settings.value(kFolderKey).toString();
    m_box->setRunFolder(last.isEmpty() ? QDir::current().absoluteFilePath("runs/mpi") : last);
    // Reopening attaches: the remembered run, while its log has no end line.
    if (!last.isEmpty()) {
        QFile log(last + "/progress.jsonl");
        if (log.open(QIODevice::ReadOnly) && !log.readAll().contains("\"type\":\"end\""))
            QTimer::singleShot(0, this, [this, last] { attach(last); });
    }
}

ClusterRunCoordinator::~ClusterRunCoordinator() = default; // the job runs on: the app is only its client

bool ClusterRunCoordinator::launch()
{
    const ClusterLaunchInputs in = m_inputs();
    if (!in.problem.isEmpty()) {
        m_box->setStatus(in.problem);
        return false;
    }
    if (following()) {
        m_box->setStatus(tr("A run is being followed; wait for it to end"));
        return false;
    }
    const QString folder = QDir(m_box->runFolder()).absolutePath();
    if (!QDir().mkpath(folder + "/launch")) {
        m_box->setStatus(tr("Cannot create the run folder %1").arg(folder));
        return false;
    }
    const QString model = folder + "/launch/model.json";
    if (!writeAtomically(model, in.modelJson.toUtf8())) {
        m_box->setStatus(tr("Cannot write %1").arg(model));
        return false;
    }
    QFile::remove(folder + "/progress.jsonl"); // the earlier run's log: never followed as this one
    const ClusterCommand c = clusterCommand(findMpirun(), findCli(), m_box->processes(), m_box->hostfile(),
        m_box->threadsPerProcess(), model, in.datasetPath, folder, ::geteuid() == 0);
    QProcess p;
    p.setProgram(c.program);
    p.setArguments(c.arguments);
    p.setStandardOutputFile(folder + "/job.log");
    p.setStandardErrorFile(folder + "/job.log", QIODevice::Append);
    qint64 pid = 0;
    if (!p.startDetached(&pid)) {
        m_box->setStatus(tr("Could not start %1").arg(c.program));
        return false;
    }
    QJsonObject job { { "pid", pid }, { "program", c.program }, { "arguments", QJsonValue::fromVariant(c.arguments) } };
    writeAtomically(folder + "/job.json", QJsonDocument(job).toJson());
    m_config = in.config;
    attach(folder);
    return true;
}

void ClusterRunCoordinator::attach(const QString& runFolder)
{
    if (following())
        finish(true, tr("detached: another run is followed now"));
    m_folder = QDir(runFolder).absolutePath();
    m_log = std::make_unique<ProgressLogState>();
    m_pid = 0;
    QFile job(m_folder + "/job.json");
    if (job.open(QIODevice::ReadOnly))
        m_pid = QJsonDocument::fromJson(job.readAll()).object().value("pid").toInteger();
    RunRecord run;
    run.modelName = QFileInfo(m_folder).fileName().toStdString();
    run.config = m_config;
    run.label = tr("MPI · %1").arg(QFileInfo(m_folder).fileName()).toStdString();
    m_runId = m_runs->addRun(std::move(run));
    QSettings().setValue(kFolderKey, m_folder);
    m_box->setRunFolder(m_folder);
    m_box->setStatus(tr("Following %1: waiting for rank 0…").arg(QDir::toNativeSeparators(m_folder)));
    m_timer->start();
    poll();
}

bool ClusterRunCoordinator::jobAlive() const
{
    if (m_pid <= 0)
        return true; // started elsewhere: only its log tells
    return ::kill(static_cast<pid_t>(m_pid), 0) == 0 || errno == EPERM;
}

void ClusterRunCoordinator::poll()
{
    if (!following())
        return;
    QFile f(m_folder + "/progress.jsonl");
    if (f.open(QIODevice::ReadOnly)) {
        const QByteArray bytes = f.readAll();
        readProgressLog(std::string(bytes.constData(), static_cast<size_t>(bytes.size())), *m_log);
    }
    if (!m_log->newBatches.empty()) {
        m_runs->appendBatches(m_runId, m_log->newBatches);
        const BatchEvent& b = m_log->newBatches.back();
        m_box->setStatus(tr("Following %1: epoch %2/%3, batch %4/%5, %6 samples/s on %7 ranks")
                             .arg(QFileInfo(m_folder).fileName())
                             .arg(b.epoch + 1)
                             .arg(m_log->epochs)
                             .arg(b.batch + 1)
                             .arg(b.batchesPerEpoch)
                             .arg(rate(b.samplesPerSecond))
                             .arg(m_log->ranks));
        m_log->newBatches.clear();
    }
    for (const EpochEvent& e : m_log->newEpochs)
        m_runs->appendEpoch(m_runId, e);
    m_log->newEpochs.clear();
    if (m_log->ended) {
        const RunSummary s = m_log->summary;
        m_runs->finishRun(m_runId, s);
        m_box->setStatus(
            tr("%1 finished: %2 epochs%3")
                .arg(QFileInfo(m_folder).fileName())
                .arg(s.epochsCompleted)
                .arg(std::isnan(s.testAccuracy) ? QString()
                                                : tr(", test accuracy %1%").arg(100.0 * s.testAccuracy, 0, 'f', 2)));
        finish(false, {});
    } else if (!jobAlive()) {
        const QString why = logTail(m_folder + "/job.log", 3);
        finish(true, why.isEmpty() ? tr("the job ended without finishing the run") : why);
    }
}

void ClusterRunCoordinator::finish(bool failed, const QString& message)
{
    m_timer->stop();
    if (failed && m_runId != 0) {
        m_runs->failRun(m_runId, message);
        m_box->setStatus(tr("The run failed: %1").arg(message));
    }
    m_runId = 0;
    m_pid = 0;
}

} // namespace netcanvas::app
