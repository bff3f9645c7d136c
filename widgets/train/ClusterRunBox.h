#pragma once
// ClusterRunBox: the Training tab's "Several processes (MPI)" section — how many processes,
// an optional MPI hostfile (hosts and slots; empty: this machine), threads per process, a
// run folder, and the Launch / Attach buttons. It only collects settings and shows the
// followed run's state; app/ClusterRunCoordinator launches `mpirun … netcanvas-cli train
// --distributed` and follows the run folder (docs/distributed.md, "The app").
#include <QGroupBox>
#include <QString>

class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace netcanvas::widgets {

class ClusterRunBox : public QGroupBox {
    Q_OBJECT
public:
    explicit ClusterRunBox(QWidget* parent = nullptr);

    int processes() const;
    void setProcesses(int n);
    int threadsPerProcess() const;
    QString hostfile() const; // empty: local processes
    void setHostfile(const QString& path);
    QString runFolder() const;
    void setRunFolder(const QString& path);
    // Launch is enabled only when `ok`; `why` says what is missing (no mpirun, no dataset).
    void setLaunchAvailable(bool ok, const QString& why);
    // One or two lines: "following runs/mpi: epoch 2/5, 1.2k samples/s on 2 ranks".
    void setStatus(const QString& text);
    QString status() const;

signals:
    void launchRequested();
    void attachRequested(); // attach to the run in runFolder()

private:
    QSpinBox* m_processes;
    QSpinBox* m_threads;
    QLineEdit* m_hostfile;
    QLineEdit* m_runFolder;
    QPushButton* m_launch;
    QPushButton* m_attach;
    QLabel* m_status;
};

} // namespace netcanvas::widgets
