#include "widgets/train/ClusterRunBox.h"

#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

namespace netcanvas::widgets {

ClusterRunBox::ClusterRunBox(QWidget* parent)
    : QGroupBox(tr("Several processes (MPI)"), parent)
{
    setObjectName(QStringLiteral("clusterRunBox"));
    auto* v = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setVerticalSpacing(4);
    m_processes = new QSpinBox(this);
    m_processes->setObjectName(QStringLiteral("processes"));
    m_processes->setRange(1, 4096);
    m_processes->setValue(2);
    m_processes->setToolTip(tr("MPI ranks: each trains on its share of every batch; the batch size is per process"));
    m_threads = new QSpinBox(this);
    m_threads->setObjectName(QStringLiteral("threadsPerProcess"));
    m_threads->setRange(1, 256);
    m_threads->setValue(1);
    m_threads->setToolTip(tr("CPU threads of each process (processes × threads should not exceed the cores)"));
    m_hostfile = new QLineEdit(this);
    m_hostfile->setObjectName(QStringLiteral("hostfile"));
    m_hostfile->setPlaceholderText(tr("this machine"));
    m_hostfile->setToolTip(tr("An MPI hostfile (one host per line, \"node1 slots=4\"); empty: local processes"));
    auto* browse = new QToolButton(this);
    browse->setText(QStringLiteral("…"));
    browse->setToolTip(tr("Choose an MPI hostfile"));
    connect(browse, &QToolButton::clicked, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("MPI hostfile"), m_hostfile->text());
        if (!f.isEmpty())
            m_hostfile->setText(f);
    });
    auto* hostRow = new QHBoxLayout;
    hostRow->addWidget(m_hostfile, 1);
    hostRow->addWidget(browse);
    m_runFolder = new QLineEdit(this);
    m_runFolder->setObjectName(QStringLiteral("runFolder"));
    m_runFolder->setToolTip(tr("Where rank 0 writes the weights, checkpoints and progress.jsonl (on a shared "
                               "file system when the hosts are several)"));
    form->addRow(tr("Processes"), m_processes);
    form->addRow(tr("Threads each"), m_threads);
    form->addRow(tr("Hosts"), hostRow);
    form->addRow(tr("Run folder"), m_runFolder);
    v->addLayout(form);
    auto* buttons = new QHBoxLayout;
    m_launch = new QPushButton(tr("Launch"), this);
    m_launch->setObjectName(QStringLiteral("launchCluster"));
    m_launch->setToolTip(tr("Start mpirun with netcanvas-cli train --distributed; the job keeps running when "
                            "this window closes"));
    m_attach = new QPushButton(tr("Attach"), this);
    m_attach->setObjectName(QStringLiteral("attachCluster"));
    m_attach->setToolTip(tr("Follow the run in the run folder (a job started earlier, here or with mpirun)"));
    buttons->addWidget(m_launch, 2);
    buttons->addWidget(m_attach, 1);
    v->addLayout(buttons);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("clusterStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setStyleSheet(QStringLiteral("color: #3a414c;"));
    v->addWidget(m_status);
    connect(m_launch, &QPushButton::clicked, this, &ClusterRunBox::launchRequested);
    connect(m_attach, &QPushButton::clicked, this, &ClusterRunBox::attachRequested);
}

int ClusterRunBox::processes() const
{
    return m_processes->value();
}
void ClusterRunBox::setProcesses(int n)
{
    m_processes->setValue(n);
}
int ClusterRunBox::threadsPerProcess() const
{
    return m_threads->value();
}
QString ClusterRunBox::hostfile() const
{
    return m_hostfile->text().trimmed();
}
void ClusterRunBox::setHostfile(const QString& path)
{
    m_hostfile->setText(path);
}
QString ClusterRunBox::runFolder() const
{
    return m_runFolder->text().trimmed();
}
void ClusterRunBox::setRunFolder(const QString& path)
{
    m_runFolder->setText(path);
}
void ClusterRunBox::setLaunchAvailable(bool ok, const QString& why)
{
    m_launch->setEnabled(ok);
    m_launch->setToolTip(ok ? tr("Start mpirun with netcanvas-cli train --distributed; the job keeps running when "
                                 "this window closes")
                            : why);
    if (!ok && m_status->text().isEmpty())
        m_status->setText(why);
}
void ClusterRunBox::setStatus(const QString& text)
{
    m_status->setText(text);
}
QString ClusterRunBox::status() const
{
    return m_status->text();
}

} // namespace netcanvas::widgets
