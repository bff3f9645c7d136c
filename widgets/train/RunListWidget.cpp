#include "widgets/train/RunListWidget.h"

#include "widgets/train/RunHistory.h"

#include <QAction>
#include <QInputDialog>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QMessageBox>
#include <QPainter>
#include <QPixmap>
#include <QVBoxLayout>

#include <cmath>

namespace netcanvas::widgets {

namespace {

QIcon swatch(const QColor& color)
{
    QPixmap pm(14, 14);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    p.setBrush(color);
    p.drawRoundedRect(QRectF(2, 5, 10, 4), 2, 2);
    return QIcon(pm);
}

} // namespace

RunListWidget::RunListWidget(QWidget* parent)
    : QWidget(parent)
    , m_list(new QListWidget(this))
{
    m_list->setAccessibleName(tr("Runs"));
    m_list->setAccessibleDescription(
        tr("Every training run of the project; check two or more to overlay their curves"));
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(4, 4, 4, 4);
    v->setSpacing(3);
    auto* title = new QLabel(tr("Runs"), this);
    title->setStyleSheet(QStringLiteral("font-weight: bold; color: #3a414c;"));
    auto* hint = new QLabel(tr("Check two or more to compare."), this);
    hint->setStyleSheet(QStringLiteral("color: #7a828e; font-size: 11px;"));
    v->addWidget(title);
    v->addWidget(m_list, 1);
    v->addWidget(hint);
    m_list->setWordWrap(true);
    m_list->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_list->setTextElideMode(Qt::ElideMiddle);
    m_list->setSpacing(1);
    connect(m_list, &QListWidget::itemChanged, this, [this] {
        if (!m_silent)
            emitChecked();
    });
    m_list->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_list, &QListWidget::customContextMenuRequested, this, &RunListWidget::showContextMenu);
    auto* rename = new QAction(tr("Rename"), m_list);
    rename->setShortcut(QKeySequence(Qt::Key_F2));
    rename->setShortcutContext(Qt::WidgetShortcut);
    connect(rename, &QAction::triggered, this, [this] { renameInteractively(currentRun()); });
    auto* remove = new QAction(tr("Delete"), m_list);
    remove->setShortcut(QKeySequence::Delete);
    remove->setShortcutContext(Qt::WidgetShortcut);
    connect(remove, &QAction::triggered, this, [this] { removeInteractively(currentRun()); });
    m_list->addAction(rename);
    m_list->addAction(remove);
    connect(m_list, &QListWidget::itemDoubleClicked, this,
        [this](QListWidgetItem* it) { showOnly(it->data(Qt::UserRole).toInt()); });
}

void RunListWidget::setHistory(RunHistory* history)
{
    if (m_history)
        disconnect(m_history, nullptr, this, nullptr);
    m_history = history;
    m_list->clear();
    if (!m_history)
        return;
    for (int id : m_history->ids())
        addRunItem(id);
    connect(m_history, &RunHistory::runAdded, this, [this](int id) {
        m_silent = true;
        for (int i = 0; i < m_list->count(); ++i)
            m_list->item(i)->setCheckState(Qt::Unchecked);
        m_silent = false;
        addRunItem(id);
        item(id)->setCheckState(Qt::Checked); // emits
        m_list->scrollToItem(item(id));
    });
    connect(m_history, &RunHistory::runUpdated, this, &RunListWidget::updateRunItem);
    connect(m_history, &RunHistory::runFinished, this, &RunListWidget::updateRunItem);
    connect(m_history, &RunHistory::runRenamed, this, &RunListWidget::updateRunItem);
    connect(m_history, &RunHistory::runRemoved, this, [this](int id) {
        const bool wasChecked = isChecked(id);
        delete item(id);
        if (wasChecked)
            emitChecked();
    });
    connect(m_history, &RunHistory::cleared, this, [this] {
        m_list->clear();
        emitChecked();
    });
}

int RunListWidget::count() const
{
    return m_list->count();
}

QListWidgetItem* RunListWidget::item(int id) const
{
    for (int i = 0; i < m_list->count(); ++i)
        if (m_list->item(i)->data(Qt::UserRole).toInt() == id)
            return m_list->item(i);
    return nullptr;
}

void RunListWidget::addRunItem(int id)
{
    m_silent = true;
    auto* it = new QListWidgetItem(m_list);
    it->setData(Qt::UserRole, id);
    it->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable | Qt::ItemIsSelectable);
    it->setCheckState(Qt::Unchecked);
    m_silent = false;
    updateRunItem(id);
}

void RunListWidget::updateRunItem(int id)
{
    QListWidgetItem* it = item(id);
    const RunRecord* run = m_history ? m_history->run(id) : nullptr;
    if (!it || !run)
        return;
    const QString text = displayName(*run);
    if (it->text() == text && !it->icon().isNull())
        return;
    m_silent = true;
    it->setText(text);
    it->setIcon(swatch(runColor(*run)));
    QString tip = QStringLiteral("<b>Run %1</b> — %2<br>%3")
                      .arg(id)
                      .arg(QString::fromStdString(run->modelName).toHtmlEscaped(), configSummary(*run).toHtmlEscaped());
    if (!run->datasetName.empty())
        tip += QStringLiteral("<br>dataset: %1").arg(QString::fromStdString(run->datasetName).toHtmlEscaped());
    if (!run->running && std::isfinite(run->summary.testAccuracy))
        tip += QStringLiteral("<br>test accuracy %1% · loss %2 (%3 samples)")
                   .arg(run->summary.testAccuracy * 100.0, 0, 'f', 2)
                   .arg(run->summary.testLoss, 0, 'f', 4)
                   .arg(run->summary.testSamples);
    if (!run->summary.message.empty())
        tip += QStringLiteral("<br>%1").arg(QString::fromStdString(run->summary.message).toHtmlEscaped());
    it->setToolTip(tip);
    m_silent = false;
}

std::vector<int> RunListWidget::checkedRuns() const
{
    std::vector<int> ids;
    for (int i = 0; i < m_list->count(); ++i)
        if (m_list->item(i)->checkState() == Qt::Checked)
            ids.push_back(m_list->item(i)->data(Qt::UserRole).toInt());
    return ids;
}

bool RunListWidget::isChecked(int id) const
{
    const QListWidgetItem* it = item(id);
    return it && it->checkState() == Qt::Checked;
}

void RunListWidget::setChecked(int id, bool checked)
{
    if (QListWidgetItem* it = item(id))
        it->setCheckState(checked ? Qt::Checked : Qt::Unchecked);
}

QString RunListWidget::runText(int id) const
{
    const QListWidgetItem* it = item(id);
    return it ? it->text() : QString();
}

int RunListWidget::currentRun() const
{
    const QListWidgetItem* it = m_list->currentItem();
    return it ? it->data(Qt::UserRole).toInt() : 0;
}

void RunListWidget::showOnly(int id)
{
    if (!item(id))
        return;
    m_silent = true;
    for (int i = 0; i < m_list->count(); ++i)
        m_list->item(i)->setCheckState(m_list->item(i)->data(Qt::UserRole).toInt() == id ? Qt::Checked : Qt::Unchecked);
    m_silent = false;
    emitChecked();
}

void RunListWidget::renameInteractively(int id)
{
    const RunRecord* run = m_history ? m_history->run(id) : nullptr;
    if (!run)
        return;
    bool ok = false;
    const QString label = QInputDialog::getText(this, tr("Rename Run %1").arg(id),
        tr("Name (shown in the run list and chart legends):"), QLineEdit::Normal, QString::fromStdString(run->label),
        &ok);
    if (ok)
        m_history->renameRun(id, label);
}

void RunListWidget::removeInteractively(int id)
{
    const RunRecord* run = m_history ? m_history->run(id) : nullptr;
    if (!run)
        return;
    if (run->running) {
        QMessageBox::information(this, tr("Delete Run"), tr("Run %1 is still training: stop it first.").arg(id));
        return;
    }
    const auto answer = QMessageBox::question(this, tr("Delete Run"),
        tr("Delete “%1” and its curves from the project?").arg(displayName(*run)),
        QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
    if (answer == QMessageBox::Yes)
        m_history->removeRun(id);
}

void RunListWidget::showContextMenu(const QPoint& pos)
{
    QListWidgetItem* it = m_list->itemAt(pos);
    if (!it)
        return;
    const int id = it->data(Qt::UserRole).toInt();
    const RunRecord* run = m_history ? m_history->run(id) : nullptr;
    if (!run)
        return;
    QMenu menu(this);
    menu.addAction(tr("Show Only This Run"), this, [this, id] { showOnly(id); });
    menu.addSeparator();
    menu.addAction(tr("Rename…"), this, [this, id] { renameInteractively(id); })->setShortcut(QKeySequence(Qt::Key_F2));
    QAction* del = menu.addAction(tr("Delete…"), this, [this, id] { removeInteractively(id); });
    del->setShortcut(QKeySequence::Delete);
    del->setEnabled(!run->running);
    menu.exec(m_list->viewport()->mapToGlobal(pos));
}

void RunListWidget::emitChecked()
{
    emit checkedRunsChanged(checkedRuns());
}

} // namespace netcanvas::widgets
