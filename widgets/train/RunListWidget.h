#pragma once
// RunListWidget: the runs of a RunHistory as a list with checkboxes ("Run 3 · adam lr 0.001 ·
// 91.2%", a swatch in the run's chart color, the full settings in the tooltip). Checking
// two or more runs overlays their curves (TrainingCharts::setVisibleRuns listens to
// checkedRunsChanged). A new run is checked alone, so the live run is what the charts show.
// The context menu (and F2 / Delete) renames a run ("dropout 0.5": the name the charts'
// legends use), deletes a finished one after asking, or shows one run alone.
#include <QWidget>

#include <vector>

class QListWidget;
class QListWidgetItem;

namespace netcanvas::widgets {

class RunHistory;

class RunListWidget : public QWidget {
    Q_OBJECT
public:
    explicit RunListWidget(QWidget* parent = nullptr);

    void setHistory(RunHistory* history);
    int count() const;
    std::vector<int> checkedRuns() const; // in run order
    bool isChecked(int id) const;
    void setChecked(int id, bool checked);
    QString runText(int id) const;
    // The run under the selection (0 when none).
    int currentRun() const;
    // Asks for a name / for confirmation, then renames / removes through the history.
    void renameInteractively(int id);
    void removeInteractively(int id);
    void showOnly(int id);

signals:
    void checkedRunsChanged(const std::vector<int>& ids);

private:
    QListWidgetItem* item(int id) const;
    void addRunItem(int id);
    void updateRunItem(int id);
    void emitChecked();
    void showContextMenu(const QPoint& pos);

    RunHistory* m_history = nullptr;
    QListWidget* m_list;
    bool m_silent = false;
};

} // namespace netcanvas::widgets
