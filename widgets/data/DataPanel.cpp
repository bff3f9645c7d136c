#include "widgets/data/DataPanel.h"

#include "widgets/canvas/CanvasStyle.h"
#include "widgets/canvas/GraphModel.h"
#include "widgets/data/DatasetView.h"

#include <QCheckBox>
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
    for (QWidget* w : std::initializer_list<QWidget*> {
             m_loadButton, m_browse, m_path, m_validation, m_test, m_flip, m_shift, m_rotate })
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
