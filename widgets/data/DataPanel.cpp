#include "widgets/data/DataPanel.h"

#include "widgets/canvas/CanvasStyle.h"
#include "widgets/canvas/GraphModel.h"
#include "widgets/data/DatasetView.h"

#include "engine/session/TrainedModel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <atomic>

namespace netcanvas::widgets {

struct DataPanel::LoadState {
    std::atomic<int64_t> done { 0 }, total { 0 };
    std::atomic<bool> cancel { false };
    int channels = 0, height = 0, width = 0; // the geometry being loaded
};

DataPanel::DataPanel(GraphModel* model, QWidget* parent)
    : QWidget(parent)
    , m_model(model)
    , m_progressTimer(new QTimer(this))
{
    buildUi();
    m_progressTimer->setInterval(100);
    connect(m_progressTimer, &QTimer::timeout, this, [this] {
        if (m_load && m_load->total > 0) {
            m_progress->setRange(0, 1000);
            m_progress->setValue(static_cast<int>(1000.0 * m_load->done / m_load->total));
        }
    });
    updateState();
}

DataPanel::~DataPanel()
{
    if (m_load)
        m_load->cancel = true; // the loading thread stops at its next progress call
    if (m_watcher)
        m_watcher->waitForFinished();
}

void DataPanel::buildUi()
{
    // Everything in one vertical scroll area: on a short screen the panel scrolls instead of
    // squeezing the chart; on a tall one the thumbnails take the extra height.
    QVBoxLayout* v = style::scrollingBody(this);
    QWidget* body = v->parentWidget();

    auto* dataBox = new QGroupBox(tr("Dataset"), body);
    auto* dv = new QVBoxLayout(dataBox);
    dv->setSpacing(4);
    auto* pathRow = new QHBoxLayout;
    m_path = new QLineEdit(dataBox);
    m_path->setPlaceholderText(tr("folder of class folders, IDX folder or CSV file"));
    m_path->setClearButtonEnabled(true);
    m_path->setMinimumWidth(60);
    m_path->setToolTip(tr("A folder with one sub-folder of images per class, a folder of MNIST-style IDX files, "
                          "or a CSV file. You can also drop a folder on the window."));
    m_browse = new QPushButton(tr("Browse…"), dataBox);
    auto* browseMenu = new QMenu(m_browse);
    browseMenu->addAction(tr("Folder…"), this, [this] { browse(true); });
    browseMenu->addAction(tr("CSV file…"), this, [this] { browse(false); });
    m_browse->setMenu(browseMenu);
    pathRow->addWidget(m_path, 1);
    pathRow->addWidget(m_browse);
    dv->addLayout(pathRow);
    auto* loadRow = new QHBoxLayout;
    m_loadButton = new QPushButton(tr("Load"), dataBox);
    m_progress = new QProgressBar(dataBox);
    m_progress->setTextVisible(false);
    m_progress->setMaximumHeight(10);
    m_progress->hide();
    m_cancel = new QPushButton(tr("Cancel"), dataBox);
    m_cancel->hide();
    loadRow->addWidget(m_loadButton);
    loadRow->addWidget(m_progress, 1);
    loadRow->addWidget(m_cancel);
    loadRow->addStretch();
    dv->addLayout(loadRow);
    m_message = new QLabel(dataBox);
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->hide();
    dv->addWidget(m_message);
    v->addWidget(dataBox);
    v->addWidget(buildTaskBox(body));

    // Split and augmentation side by side: both are short.
    auto* row = new QHBoxLayout;
    row->setSpacing(8);
    auto* splitBox = new QGroupBox(tr("Split"), body);
    auto* sf = new QFormLayout(splitBox);
    sf->setVerticalSpacing(4);
    m_validation = new QDoubleSpinBox(splitBox);
    m_validation->setRange(0.0, 0.9);
    m_validation->setSingleStep(0.05);
    m_validation->setDecimals(2);
    m_validation->setToolTip(tr("Fraction of the non-test samples held out to validate after each epoch"));
    m_test = new QDoubleSpinBox(splitBox);
    m_test->setRange(0.0, 0.9);
    m_test->setSingleStep(0.05);
    m_test->setDecimals(2);
    m_test->setToolTip(tr("Fraction held out for the final test (when the dataset has no test split of its own)"));
    m_testNote = new QLabel(splitBox);
    m_testNote->setWordWrap(true);
    m_testNote->setStyleSheet(QStringLiteral("color: #6b7280;"));
    m_testNote->hide();
    sf->addRow(tr("Validation"), m_validation);
    sf->addRow(tr("Test"), m_test);
    sf->addRow(m_testNote);
    auto* augBox = new QGroupBox(tr("Augmentation"), body);
    auto* af = new QFormLayout(augBox);
    af->setVerticalSpacing(4);
    m_flip = new QCheckBox(tr("flip left-right"), augBox);
    m_shift = new QSpinBox(augBox);
    m_shift->setRange(0, 16);
    m_shift->setSuffix(tr(" px"));
    m_shift->setSpecialValueText(tr("off"));
    m_rotate = new QDoubleSpinBox(augBox);
    m_rotate->setRange(0.0, 180.0);
    m_rotate->setDecimals(0);
    m_rotate->setSuffix(QStringLiteral("°"));
    m_rotate->setSpecialValueText(tr("off"));
    af->addRow(m_flip);
    af->addRow(tr("Shift ±"), m_shift);
    af->addRow(tr("Rotate ±"), m_rotate);
    augBox->setToolTip(tr("Random changes applied to training batches only, new each epoch"));
    row->addWidget(splitBox, 1);
    row->addWidget(augBox, 1);
    v->addLayout(row);

    m_view = new DatasetView(body);
    m_view->setMinimumHeight(360); // header, a few bars and two rows of thumbnails
    v->addWidget(m_view, 1);

    connect(m_loadButton, &QPushButton::clicked, this, &DataPanel::loadDataset);
    connect(m_cancel, &QPushButton::clicked, this, &DataPanel::cancelLoading);
    connect(m_path, &QLineEdit::returnPressed, this, &DataPanel::loadDataset);
    auto edited = [this] {
        if (!m_applying)
            emit settingsEdited();
    };
    connect(m_path, &QLineEdit::textEdited, this, edited);
    connect(m_validation, &QDoubleSpinBox::valueChanged, this, edited);
    connect(m_test, &QDoubleSpinBox::valueChanged, this, edited);
    connect(m_rotate, &QDoubleSpinBox::valueChanged, this, edited);
    connect(m_shift, &QSpinBox::valueChanged, this, edited);
    connect(m_flip, &QCheckBox::toggled, this, edited);
}

QWidget* DataPanel::buildTaskBox(QWidget* parent)
{
    auto* box = new QGroupBox(tr("Task"), parent);
    auto* form = new QFormLayout(box);
    form->setVerticalSpacing(4);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_task = new QComboBox(box);
    m_task->setObjectName(QStringLiteral("task"));
    m_task->addItem(tr("Classification"), QString());
    m_task->addItem(tr("Regression (numeric CSV)"), QStringLiteral("regression"));
    m_task->addItem(tr("Time series forecast (CSV)"), QStringLiteral("series"));
    m_task->addItem(tr("Text classification"), QStringLiteral("text"));
    m_task->setToolTip(tr("Classification: images, or a CSV of features and a label. Regression: a CSV with a "
                          "real-valued target. Time series: windows of a CSV series forecast its next values. Text: "
                          "'label<TAB>text' lines, or a folder per class of text files."));
    m_target = new QLineEdit(box);
    m_target->setPlaceholderText(tr("column name or number (default: last; series: first value column)"));
    m_columns = new QLineEdit(box);
    m_columns->setPlaceholderText(tr("comma-separated (default: every numeric column but a date)"));
    auto fromModel = [box](int max) {
        auto* spin = new QSpinBox(box);
        spin->setRange(0, max);
        spin->setSpecialValueText(tr("from the model"));
        return spin;
    };
    m_window = fromModel(100000);
    m_window->setToolTip(tr("Steps per input window (the model's Input height)"));
    m_horizon = fromModel(10000);
    m_horizon->setToolTip(tr("Values forecast per window (the model's output units)"));
    m_differences = new QCheckBox(tr("forecast the change from the last value"), box);
    m_differences->setToolTip(tr("The model sees the changes between rows: for a series with a trend, whose later "
                                 "values lie outside the training range"));
    m_tokens = new QComboBox(box);
    m_tokens->addItem(tr("words"), QStringLiteral("word"));
    m_tokens->addItem(tr("characters"), QStringLiteral("char"));
    m_length = fromModel(100000);
    m_length->setToolTip(tr("Tokens per sample, padded or truncated (the model's Input width)"));
    m_vocabulary = fromModel(1 << 24);
    m_vocabulary->setToolTip(tr("Largest vocabulary, from the training split (the Embedding's vocab)"));
    form->addRow(tr("Kind"), m_task);
    auto row = [form](const QString& label, QWidget* field, QList<QWidget*>& group) {
        form->addRow(label, field);
        group << form->labelForField(field) << field;
    };
    row(tr("Target"), m_target, m_targetRows);
    row(tr("Value columns"), m_columns, m_seriesRows);
    row(tr("Window"), m_window, m_seriesRows);
    row(tr("Horizon"), m_horizon, m_seriesRows);
    form->addRow(m_differences);
    m_seriesRows << m_differences;
    row(tr("Tokens"), m_tokens, m_textRows);
    row(tr("Length"), m_length, m_textRows);
    row(tr("Vocabulary"), m_vocabulary, m_textRows);
    auto edited = [this] {
        updateTaskRows();
        if (!m_applying)
            emit settingsEdited();
    };
    connect(m_task, &QComboBox::currentIndexChanged, this, edited);
    connect(m_tokens, &QComboBox::currentIndexChanged, this, edited);
    connect(m_differences, &QCheckBox::toggled, this, edited);
    connect(m_target, &QLineEdit::textEdited, this, edited);
    connect(m_columns, &QLineEdit::textEdited, this, edited);
    for (QSpinBox* spin : { m_window, m_horizon, m_length, m_vocabulary })
        connect(spin, &QSpinBox::valueChanged, this, edited);
    updateTaskRows();
    return box;
}

void DataPanel::updateTaskRows()
{
    const QString t = task();
    for (QWidget* w : m_targetRows)
        w->setVisible(t != QLatin1String("text"));
    for (QWidget* w : m_seriesRows)
        w->setVisible(t == QLatin1String("series"));
    for (QWidget* w : m_textRows)
        w->setVisible(t == QLatin1String("text"));
}

QString DataPanel::task() const
{
    return m_task->currentData().toString();
}

void DataPanel::setTask(const QString& task, const QString& target, bool differences)
{
    m_differences->setChecked(differences);
    const int i = m_task->findData(task);
    m_task->setCurrentIndex(i < 0 ? 0 : i);
    m_target->setText(target);
    updateTaskRows();
}

DatasetOptions DataPanel::taskOptions() const
{
    DatasetOptions o;
    o.task = task().toStdString();
    o.target = m_target->text().trimmed().toStdString();
    for (const QString& c : m_columns->text().split(QLatin1Char(','), Qt::SkipEmptyParts))
        if (!c.trimmed().isEmpty())
            o.columns.push_back(c.trimmed().toStdString());
    o.tokens = m_tokens->currentData().toString().toStdString();
    o.differences = m_differences->isChecked();
    if (m_window->value() > 0)
        o.window = m_window->value();
    if (m_horizon->value() > 0)
        o.horizon = m_horizon->value();
    if (m_length->value() > 0)
        o.sequenceLength = m_length->value();
    if (m_vocabulary->value() > 0)
        o.maxVocabulary = m_vocabulary->value();
    o.validationFraction = m_validation->value();
    o.testFraction = m_test->value();
    fitSequenceOptions(m_model->graph(), m_model->analysis(), o,
        { m_window->value() > 0, m_horizon->value() > 0, m_length->value() > 0, m_vocabulary->value() > 0 });
    return o;
}

QString DataPanel::taskKey() const
{
    const DatasetOptions o = taskOptions();
    if (o.task.empty())
        return {};
    // Series and text datasets make their split (and scaling or vocabulary) at load time.
    QString key = QString::fromStdString(o.task + "|" + o.target + "|" + o.tokens) + QLatin1Char('|')
        + QString::number(o.window) + QLatin1Char('|') + QString::number(o.horizon) + QLatin1Char('|')
        + QString::number(o.sequenceLength) + QLatin1Char('|') + QString::number(o.maxVocabulary) + QLatin1Char('|')
        + m_columns->text().trimmed() + (o.differences ? QStringLiteral("|changes") : QString());
    if (o.task == "series" || o.task == "text")
        key += QStringLiteral("|%1|%2").arg(o.validationFraction).arg(o.testFraction);
    return key;
}

void DataPanel::browse(bool folder)
{
    const QString start = m_path->text().isEmpty() ? QDir::homePath() : m_path->text();
    const QString path = folder
        ? QFileDialog::getExistingDirectory(this, tr("Dataset Folder"), start)
        : QFileDialog::getOpenFileName(this, tr("Dataset CSV"), start, tr("CSV files (*.csv);;All files (*)"));
    if (path.isEmpty())
        return;
    m_path->setText(path);
    emit settingsEdited();
    loadDataset();
}

QString DataPanel::datasetPath() const
{
    return m_path->text().trimmed();
}

void DataPanel::setDatasetPath(const QString& path)
{
    m_path->setText(path);
}

Shape DataPanel::modelInputShape() const
{
    const GraphAnalysis& a = m_model->analysis();
    if (a.inputShape.rank() == 3)
        return a.inputShape;
    // Fall back on the Input node's parameters when the rest of the graph does not analyze.
    for (const GraphNode& n : m_model->graph().nodes())
        if (n.type == "Input") {
            auto get = [&](const char* k, int def) {
                return n.params.contains(k) && n.params[k].is_number_integer() ? n.params[k].get<int>() : def;
            };
            return Shape { get("channels", 1), get("height", 28), get("width", 28) };
        }
    return Shape {};
}

bool DataPanel::datasetIsCurrent() const
{
    if (!m_dataset)
        return false;
    if (QFileInfo(QString::fromStdString(m_dataset->root)).absoluteFilePath()
        != QFileInfo(datasetPath()).absoluteFilePath())
        return false;
    if (m_loadedKey != taskKey())
        return false;
    const Shape in = modelInputShape();
    if (in.rank() != 3)
        return true;
    return m_dataset->sampleSize() == in.numel()
        && (!m_dataset->isImages()
            || (m_dataset->channels == in[0] && m_dataset->height == in[1] && m_dataset->width == in[2]));
}

bool DataPanel::isLoading() const
{
    return m_watcher != nullptr;
}

bool DataPanel::loadDataset()
{
    if (isLoading())
        return false;
    const QString path = datasetPath();
    if (path.isEmpty()) {
        showMessage(
            tr("Choose a dataset: a folder of class folders, an IDX folder (MNIST-style) or a CSV file."), true);
        return false;
    }
    DatasetOptions opt;
    try {
        opt = taskOptions();
    } catch (const std::exception& e) {
        showMessage(tr("Cannot open the dataset: %1").arg(QString::fromStdString(e.what())), true);
        return false;
    }
    m_pendingKey = taskKey();
    const Shape in = modelInputShape();
    auto state = std::make_shared<LoadState>();
    if (in.rank() == 3) {
        opt.channels = state->channels = static_cast<int>(in[0]);
        opt.height = state->height = static_cast<int>(in[1]);
        opt.width = state->width = static_cast<int>(in[2]);
    }
    m_load = state;
    opt.progress = [state](int64_t done, int64_t total) {
        state->done = done;
        state->total = total;
        return !state->cancel.load();
    };
    const std::string p = path.toStdString();
    m_watcher = new QFutureWatcher<LoadResult>(this);
    connect(m_watcher, &QFutureWatcher<LoadResult>::finished, this, &DataPanel::onLoadFinished);
    m_watcher->setFuture(QtConcurrent::run([p, opt]() -> LoadResult {
        LoadResult r;
        try {
            r.data = std::make_shared<Dataset>(openDataset(p, opt));
        } catch (const std::exception& e) {
            r.error = QString::fromStdString(e.what());
        }
        return r;
    }));
    m_progress->setRange(0, 0); // busy until the first progress report
    m_progressTimer->start();
    showMessage(tr("Opening %1 as %2×%3×%4…")
                    .arg(QDir::toNativeSeparators(path))
                    .arg(opt.channels)
                    .arg(opt.height)
                    .arg(opt.width),
        false);
    updateState();
    emit loadingChanged(true);
    return true;
}

void DataPanel::cancelLoading()
{
    if (m_load)
        m_load->cancel = true;
}

void DataPanel::onLoadFinished()
{
    const LoadResult r = m_watcher->result();
    const bool cancelled = m_load && m_load->cancel;
    m_watcher->deleteLater();
    m_watcher = nullptr;
    m_load.reset();
    m_progressTimer->stop();
    QString error;
    if (r.data && !cancelled) { // a load that finished as Cancel was pressed is still cancelled
        m_dataset = r.data;
        m_loadedKey = m_pendingKey;
        m_view->setDataset(m_dataset);
        showMessage({}, false);
    } else if (cancelled) {
        showMessage(tr("Loading cancelled."), false);
    } else {
        error = r.error;
        showMessage(tr("Cannot open the dataset: %1").arg(error), true);
    }
    updateState();
    emit loadingChanged(false);
    emit loadFinished(r.data && !cancelled, error);
}

void DataPanel::setLocked(bool locked)
{
    m_locked = locked;
    updateState();
}

void DataPanel::updateState()
{
    const bool loading = isLoading();
    m_progress->setVisible(loading);
    m_cancel->setVisible(loading);
    const bool editable = !loading && !m_locked;
    for (QWidget* w : std::initializer_list<QWidget*> { m_loadButton, m_browse, m_path, m_validation, m_test, m_flip,
             m_shift, m_rotate, m_task, m_target, m_columns, m_window, m_horizon, m_differences, m_tokens, m_length,
             m_vocabulary })
        w->setEnabled(editable);
    const bool official = m_dataset && m_dataset->officialTestBegin >= 0;
    m_test->setEnabled(editable && !official);
    m_testNote->setVisible(official);
    if (official)
        m_testNote->setText(
            tr("The dataset's own test split (%1 samples) is used.")
                .arg(QLocale().toString(static_cast<qlonglong>(m_dataset->size() - m_dataset->officialTestBegin))));
}

void DataPanel::showMessage(const QString& text, bool error)
{
    if (text.isEmpty()) {
        m_message->hide();
        return;
    }
    m_message->setStyleSheet(error
            ? QStringLiteral("QLabel { background:#fdecea; color:#a1261b; border:1px solid #f2b8b1; "
                             "border-radius:4px; padding:6px; }")
            : QStringLiteral("QLabel { color:#5a6270; }"));
    m_message->setText(text);
    m_message->show();
}

void DataPanel::applyTo(TrainConfig& c) const
{
    c.validationFraction = m_validation->value();
    c.testFraction = m_test->value();
    c.augmentation.flipHorizontal = m_flip->isChecked();
    c.augmentation.maxShift = m_shift->value();
    c.augmentation.maxRotation = static_cast<float>(m_rotate->value());
}

void DataPanel::setFrom(const TrainConfig& c)
{
    m_applying = true;
    m_validation->setValue(c.validationFraction);
    m_test->setValue(c.testFraction);
    m_flip->setChecked(c.augmentation.flipHorizontal);
    m_shift->setValue(c.augmentation.maxShift);
    m_rotate->setValue(c.augmentation.maxRotation);
    m_applying = false;
}

} // namespace netcanvas::widgets
