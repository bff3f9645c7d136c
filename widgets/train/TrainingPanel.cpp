#include "widgets/train/TrainingPanel.h"

#include "widgets/canvas/GraphModel.h"
#include "widgets/canvas/ScientificSpinBox.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenu>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <atomic>
#include <cmath>

namespace netcanvas::widgets {

struct TrainingPanel::LoadState {
    std::atomic<int64_t> done{0}, total{0};
    std::atomic<bool> cancel{false};
};

namespace {

QString shapeText(int c, int h, int w)
{
    return QStringLiteral("%1×%2×%3").arg(c).arg(h).arg(w);
}

QString durationText(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0)
        return QStringLiteral("–");
    const int s = static_cast<int>(std::lround(seconds));
    if (s >= 3600)
        return QStringLiteral("%1:%2:%3").arg(s / 3600).arg((s / 60) % 60, 2, 10, QLatin1Char('0')).arg(s % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}

ScientificSpinBox* sciBox(double lo, double hi, QWidget* parent)
{
    auto* b = new ScientificSpinBox(parent);
    b->setRange(lo, hi);
    return b;
}

} // namespace

TrainingPanel::TrainingPanel(GraphModel* model, QWidget* parent)
    : QWidget(parent), m_model(model), m_progressTimer(new QTimer(this))
{
    buildUi();
    m_path->setText(defaultDatasetPath());
    m_progressTimer->setInterval(100);
    connect(m_progressTimer, &QTimer::timeout, this, [this] {
        if (m_load && m_load->total > 0) {
            m_loadProgress->setRange(0, 1000);
            m_loadProgress->setValue(static_cast<int>(1000.0 * m_load->done / m_load->total));
        }
    });
    connect(m_model, &GraphModel::modelReset, this, &TrainingPanel::onModelReset);
    connect(m_model, &GraphModel::analysisChanged, this, [this] {
        updateDatasetInfo();
        updateButtons();
    });
    onModelReset();
}

TrainingPanel::~TrainingPanel()
{
    if (m_load)
        m_load->cancel = true; // the loading thread stops at its next progress call
}

QString TrainingPanel::defaultDatasetPath()
{
    const QString fashion = QStringLiteral("/usr/share/datasets/fashion-mnist");
    return QFileInfo(fashion).isDir() ? fashion : QString();
}

void TrainingPanel::buildUi()
{
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    outer->addWidget(scroll);
    auto* body = new QWidget(scroll);
    scroll->setWidget(body);
    auto* v = new QVBoxLayout(body);
    v->setContentsMargins(8, 8, 8, 8);
    v->setSpacing(8);

    // Run
    auto* runBox = new QGroupBox(tr("Run"), body);
    auto* rv = new QVBoxLayout(runBox);
    auto* buttons = new QHBoxLayout;
    m_train = new QPushButton(tr("Train"), runBox);
    m_train->setDefault(true);
    m_train->setStyleSheet(QStringLiteral("QPushButton:enabled { font-weight: bold; }"));
    m_pause = new QPushButton(tr("Pause"), runBox);
    m_stop = new QPushButton(tr("Stop"), runBox);
    buttons->addWidget(m_train, 2);
    buttons->addWidget(m_pause, 1);
    buttons->addWidget(m_stop, 1);
    rv->addLayout(buttons);
    m_runProgress = new QProgressBar(runBox);
    m_runProgress->setRange(0, 1000);
    m_runProgress->setValue(0);
    m_runProgress->setTextVisible(false);
    m_runProgress->setMaximumHeight(8);
    rv->addWidget(m_runProgress);
    m_status = new QLabel(runBox);
    m_status->setStyleSheet(QStringLiteral("color: #3a414c;"));
    m_status->setWordWrap(true);
    rv->addWidget(m_status);
    m_message = new QLabel(runBox);
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->hide();
    rv->addWidget(m_message);
    v->addWidget(runBox);
    // Dataset
    auto* dataBox = new QGroupBox(tr("Dataset"), body);
    auto* dv = new QVBoxLayout(dataBox);
    dv->setSpacing(4);
    auto* pathRow = new QHBoxLayout;
    m_path = new QLineEdit(dataBox);
    m_path->setPlaceholderText(tr("folder of class folders, IDX folder or CSV file"));
    m_path->setClearButtonEnabled(true);
    m_path->setMinimumWidth(60);
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
    m_loadProgress = new QProgressBar(dataBox);
    m_loadProgress->setTextVisible(false);
    m_loadProgress->setMaximumHeight(10);
    m_loadProgress->hide();
    m_cancelLoad = new QPushButton(tr("Cancel"), dataBox);
    m_cancelLoad->hide();
    loadRow->addWidget(m_loadButton);
    loadRow->addWidget(m_loadProgress, 1);
    loadRow->addWidget(m_cancelLoad);
    loadRow->addStretch();
    dv->addLayout(loadRow);
    m_datasetInfo = new QLabel(dataBox);
    m_datasetInfo->setWordWrap(true);
    m_datasetInfo->setStyleSheet(QStringLiteral("color: #5a6270;"));
    dv->addWidget(m_datasetInfo);
    m_skipped = new QLabel(dataBox);
    m_skipped->setStyleSheet(QStringLiteral("color: #b26b00;"));
    m_skipped->hide();
    dv->addWidget(m_skipped);
    v->addWidget(dataBox);
    connect(m_loadButton, &QPushButton::clicked, this, [this] {
        m_trainAfterLoad = false;
        loadDataset();
    });
    connect(m_cancelLoad, &QPushButton::clicked, this, &TrainingPanel::cancelLoading);
    connect(m_path, &QLineEdit::returnPressed, this, &TrainingPanel::loadDataset);

    // Hyper-parameters
    auto* hyper = new QGroupBox(tr("Hyper-parameters"), body);
    auto* form = new QFormLayout(hyper);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setVerticalSpacing(4);
    m_optimizer = new QComboBox(hyper);
    for (const char* k : {"sgd", "adam", "adamw", "rmsprop"})
        m_optimizer->addItem(QString::fromLatin1(k));
    m_learningRate = sciBox(1e-9, 1e12, hyper);
    m_schedule = new QComboBox(hyper);
    for (const char* k : {"constant", "step", "cosine"})
        m_schedule->addItem(QString::fromLatin1(k));
    m_batchSize = new QSpinBox(hyper);
    m_batchSize->setRange(1, 65536);
    m_epochsSpin = new QSpinBox(hyper);
    m_epochsSpin->setRange(1, 100000);
    m_l1 = sciBox(0.0, 10.0, hyper);
    m_l2 = sciBox(0.0, 10.0, hyper);
    m_weightDecay = sciBox(0.0, 10.0, hyper);
    m_seed = new QSpinBox(hyper);
    m_seed->setRange(0, std::numeric_limits<int>::max());
    m_threads = new QSpinBox(hyper);
    m_threads->setRange(0, 256);
    m_threads->setSpecialValueText(tr("all cores"));
    m_validation = new QDoubleSpinBox(hyper);
    m_validation->setRange(0.0, 0.9);
    m_validation->setSingleStep(0.05);
    m_validation->setDecimals(2);
    m_flip = new QCheckBox(tr("random left-right flip"), hyper);
    m_shift = new QSpinBox(hyper);
    m_shift->setRange(0, 16);
    m_shift->setSuffix(tr(" px"));

    m_rotate = new QDoubleSpinBox(hyper);
    m_rotate->setRange(0.0, 180.0);
    m_rotate->setDecimals(0);
    m_rotate->setSuffix(QStringLiteral("°"));
    m_shift->setSpecialValueText(tr("off"));
    m_rotate->setSpecialValueText(tr("off"));
    form->addRow(tr("Optimizer"), m_optimizer);
    form->addRow(tr("Learning rate"), m_learningRate);
    form->addRow(tr("Schedule"), m_schedule);
    form->addRow(tr("Batch size"), m_batchSize);
    form->addRow(tr("Epochs"), m_epochsSpin);
    form->addRow(tr("L1"), m_l1);
    form->addRow(tr("L2"), m_l2);
    form->addRow(tr("Weight decay"), m_weightDecay);
    form->addRow(tr("Validation"), m_validation);
    form->addRow(tr("Seed"), m_seed);
    form->addRow(tr("Threads"), m_threads);
    form->addRow(tr("Augment"), m_flip);
    form->addRow(tr("Shift ±"), m_shift);
    form->addRow(tr("Rotate ±"), m_rotate);
    m_validation->setToolTip(tr("Fraction of the non-test samples held out for validation"));
    m_l2->setToolTip(tr("L2 penalty: loss += l2/2 · Σw²"));
    m_weightDecay->setToolTip(tr("Weight decay (decoupled for adamw)"));
    v->addWidget(hyper);

    v->addStretch();

    // Every user edit of a setting is reported once (not the form being filled by setConfig).
    auto edited = [this] {
        if (!m_applying)
            emit settingsEdited();
    };
    for (QComboBox* c : {m_optimizer, m_schedule})
        connect(c, &QComboBox::currentIndexChanged, this, edited);
    for (QSpinBox* b : {m_batchSize, m_epochsSpin, m_seed, m_threads, m_shift})
        connect(b, &QSpinBox::valueChanged, this, edited);
    for (QDoubleSpinBox* b : {static_cast<QDoubleSpinBox*>(m_learningRate), static_cast<QDoubleSpinBox*>(m_l1),
                              static_cast<QDoubleSpinBox*>(m_l2), static_cast<QDoubleSpinBox*>(m_weightDecay), m_validation, m_rotate})
        connect(b, &QDoubleSpinBox::valueChanged, this, edited);
    connect(m_flip, &QCheckBox::toggled, this, edited);
    connect(m_path, &QLineEdit::textEdited, this, edited);

    connect(m_train, &QPushButton::clicked, this, &TrainingPanel::requestTrain);
    connect(m_pause, &QPushButton::clicked, this, [this] {
        if (m_paused)
            emit resumeRequested();
        else
            emit pauseRequested();
    });
    connect(m_stop, &QPushButton::clicked, this, &TrainingPanel::stopRequested);
}

void TrainingPanel::browse(bool folder)
{
    const QString start = m_path->text().isEmpty() ? QDir::homePath() : m_path->text();
    const QString path = folder ? QFileDialog::getExistingDirectory(this, tr("Dataset Folder"), start)
                                : QFileDialog::getOpenFileName(this, tr("Dataset CSV"), start, tr("CSV files (*.csv);;All files (*)"));
    if (path.isEmpty())
        return;
    m_path->setText(path);
    emit settingsEdited();
    m_trainAfterLoad = false;
    loadDataset();
}

void TrainingPanel::onModelReset()
{
    TrainConfig c;
    QString problem;
    try {
        c = trainConfigFromJson(m_model->graph().training, TrainConfig{});
    } catch (const std::exception& e) {
        problem = tr("The model's training recipe was not used: %1").arg(QString::fromStdString(e.what()));
        c = TrainConfig{};
    }
    setConfig(c);
    if (!problem.isEmpty())
        showMessage(problem, QStringLiteral("warn"));
    else if (!m_running)
        showMessage({}, {});
    updateDatasetInfo();
    updateButtons();
}

TrainConfig TrainingPanel::config() const
{
    TrainConfig c = m_base;
    c.optimizer.kind = m_optimizer->currentText().toStdString();
    c.optimizer.learningRate = m_learningRate->value();
    c.schedule.kind = m_schedule->currentText().toStdString();
    c.batchSize = m_batchSize->value();
    c.epochs = m_epochsSpin->value();
    c.optimizer.l1 = m_l1->value();
    c.optimizer.l2 = m_l2->value();
    c.optimizer.weightDecay = m_weightDecay->value();
    c.seed = static_cast<uint64_t>(m_seed->value());
    c.threads = m_threads->value();
    c.validationFraction = m_validation->value();
    c.augmentation.flipHorizontal = m_flip->isChecked();
    c.augmentation.maxShift = m_shift->value();
    c.augmentation.maxRotation = static_cast<float>(m_rotate->value());
    return c;
}

void TrainingPanel::setConfig(const TrainConfig& c)
{
    const bool wasApplying = m_applying;
    m_applying = true;
    m_base = c;
    m_optimizer->setCurrentText(QString::fromStdString(c.optimizer.kind));
    m_learningRate->setValue(c.optimizer.learningRate);
    m_schedule->setCurrentText(QString::fromStdString(c.schedule.kind));
    m_batchSize->setValue(static_cast<int>(c.batchSize));
    m_epochsSpin->setValue(c.epochs);
    m_l1->setValue(c.optimizer.l1);
    m_l2->setValue(c.optimizer.l2);
    m_weightDecay->setValue(c.optimizer.weightDecay);
    m_seed->setValue(static_cast<int>(std::min<uint64_t>(c.seed, static_cast<uint64_t>(std::numeric_limits<int>::max()))));
    m_threads->setValue(c.threads);
    m_validation->setValue(c.validationFraction);
    m_flip->setChecked(c.augmentation.flipHorizontal);
    m_shift->setValue(c.augmentation.maxShift);
    m_rotate->setValue(c.augmentation.maxRotation);
    m_applying = wasApplying;
}

QString TrainingPanel::datasetPath() const
{
    return m_path->text().trimmed();
}

void TrainingPanel::setDatasetPath(const QString& path)
{
    m_path->setText(path);
}

Shape TrainingPanel::modelInputShape() const
{
    const GraphAnalysis& a = m_model->analysis();
    if (a.inputShape.rank() == 3)
        return a.inputShape;
    // Fall back on the Input node's parameters when the rest of the graph does not analyze.
    for (const GraphNode& n : m_model->graph().nodes())
        if (n.type == "Input") {
            auto get = [&](const char* k, int def) { return n.params.contains(k) && n.params[k].is_number_integer() ? n.params[k].get<int>() : def; };
            return Shape{get("channels", 1), get("height", 28), get("width", 28)};
        }
    return Shape{};
}

bool TrainingPanel::datasetFitsModel() const
{
    if (!m_dataset)
        return false;
    const Shape in = modelInputShape();
    if (in.rank() != 3)
        return true;
    return m_dataset->sampleSize() == in.numel() &&
           (!m_dataset->isImages() || (m_dataset->channels == in[0] && m_dataset->height == in[1] && m_dataset->width == in[2]));
}

bool TrainingPanel::isLoading() const
{
    return m_watcher != nullptr;
}

void TrainingPanel::loadDataset()
{
    if (isLoading() || m_running)
        return;
    const QString path = datasetPath();
    if (path.isEmpty()) {
        showMessage(tr("Choose a dataset: a folder of class folders, an IDX folder (MNIST-style) or a CSV file."),
                    QStringLiteral("warn"));
        m_trainAfterLoad = false;
        return;
    }
    DatasetOptions opt;
    const Shape in = modelInputShape();
    if (in.rank() == 3) {
        opt.channels = static_cast<int>(in[0]);
        opt.height = static_cast<int>(in[1]);
        opt.width = static_cast<int>(in[2]);
    }
    auto state = std::make_shared<LoadState>();
    m_load = state;
    opt.progress = [state](int64_t done, int64_t total) {
        state->done = done;
        state->total = total;
        return !state->cancel.load();
    };
    const std::string p = path.toStdString();
    m_watcher = new QFutureWatcher<LoadResult>(this);
    connect(m_watcher, &QFutureWatcher<LoadResult>::finished, this, &TrainingPanel::onLoadFinished);
    m_watcher->setFuture(QtConcurrent::run([p, opt]() -> LoadResult {
        LoadResult r;
        try {
            r.data = std::make_shared<Dataset>(openDataset(p, opt));
        } catch (const std::exception& e) {
            r.error = QString::fromStdString(e.what());
        }
        return r;
    }));
    m_loadProgress->setRange(0, 0); // busy until the first progress report
    m_loadProgress->show();
    m_cancelLoad->show();
    m_progressTimer->start();
    m_datasetInfo->setText(tr("Opening %1 as %2…").arg(QDir::toNativeSeparators(path), shapeText(opt.channels, opt.height, opt.width)));
    updateButtons();
}

void TrainingPanel::cancelLoading()
{
    if (m_load)
        m_load->cancel = true;
    m_trainAfterLoad = false;
}

void TrainingPanel::onLoadFinished()
{
    const LoadResult r = m_watcher->result();
    const bool cancelled = m_load && m_load->cancel;
    m_watcher->deleteLater();
    m_watcher = nullptr;
    m_load.reset();
    m_progressTimer->stop();
    m_loadProgress->hide();
    m_cancelLoad->hide();
    const bool trainAfter = m_trainAfterLoad;
    m_trainAfterLoad = false;
    if (!r.data) {
        if (cancelled)
            showMessage(tr("Loading cancelled."), {});
        else
            showMessage(tr("Cannot open the dataset: %1").arg(r.error), QStringLiteral("error"));
        updateDatasetInfo();
        updateButtons();
        return;
    }
    m_dataset = r.data;
    showMessage({}, {});
    updateDatasetInfo();
    updateButtons();
    emit datasetLoaded();
    if (trainAfter && trainBlocker().isEmpty())
        emit trainRequested();
}

void TrainingPanel::updateDatasetInfo()
{
    if (isLoading())
        return;
    if (!m_dataset) {
        m_datasetInfo->setText(tr("No dataset loaded — Train loads it first."));
        m_skipped->hide();
        return;
    }
    const Dataset& d = *m_dataset;
    const QLocale loc;
    QString text = tr("%1 samples · %2 classes · %3").arg(loc.toString(static_cast<qlonglong>(d.size()))).arg(d.numClasses())
                       .arg(shapeText(d.channels, d.height, d.width));
    if (d.officialTestBegin >= 0)
        text += tr(" · official test split of %1").arg(loc.toString(static_cast<qlonglong>(d.size() - d.officialTestBegin)));
    text += QStringLiteral("<br><span style='color:#8a919c'>%1 · %2</span>")
                .arg(QString::fromStdString(d.format), QFileInfo(QString::fromStdString(d.root)).fileName().toHtmlEscaped());
    if (!datasetFitsModel())
        text += QStringLiteral("<br><span style='color:#b26b00'>%1</span>")
                    .arg(tr("The model now takes %1 samples: Train reloads the dataset with that geometry.")
                             .arg(QString::fromStdString(modelInputShape().toString())));
    m_datasetInfo->setText(text);
    if (d.skipped.empty()) {
        m_skipped->hide();
    } else {
        m_skipped->setText(tr("%n file(s) skipped (hover for the list)", nullptr, static_cast<int>(d.skipped.size())));
        QString tip;
        const size_t shown = std::min<size_t>(d.skipped.size(), 40);
        for (size_t i = 0; i < shown; ++i)
            tip += QStringLiteral("%1 — %2\n").arg(QString::fromStdString(d.skipped[i].path), QString::fromStdString(d.skipped[i].reason));
        if (shown < d.skipped.size())
            tip += tr("… and %1 more").arg(d.skipped.size() - shown);
        m_skipped->setToolTip(tip.trimmed());
        m_skipped->show();
    }
}

QString TrainingPanel::trainBlocker() const
{
    const GraphAnalysis& a = m_model->analysis();
    if (!a.ok)
        return tr("The model does not validate: %1").arg(QString::fromStdString(a.error));
    if (m_dataset && datasetFitsModel()) {
        const int64_t outputs = a.outputShape.numel();
        if (m_dataset->numClasses() > outputs)
            return tr("The dataset has %1 classes but the output node '%2' gives %3 values — set its units to %1.")
                .arg(m_dataset->numClasses())
                .arg(QString::fromStdString(a.outputNode))
                .arg(outputs);
    }
    return {};
}

void TrainingPanel::requestTrain()
{
    if (m_running || isLoading())
        return;
    const QString blocker = trainBlocker();
    if (!blocker.isEmpty()) {
        showMessage(blocker, QStringLiteral("error"));
        return;
    }
    if (!m_dataset || !datasetFitsModel() ||
        QFileInfo(QString::fromStdString(m_dataset->root)).absoluteFilePath() != QFileInfo(datasetPath()).absoluteFilePath()) {
        m_trainAfterLoad = true;
        loadDataset();
        return;
    }
    emit trainRequested();
}

void TrainingPanel::updateButtons()
{
    const QString blocker = trainBlocker();
    const bool loading = isLoading();
    m_train->setEnabled(!m_running && !loading && blocker.isEmpty());
    m_train->setToolTip(blocker.isEmpty() ? tr("Train the model on the dataset") : blocker);
    m_pause->setEnabled(m_running);
    m_pause->setText(m_paused ? tr("Resume") : tr("Pause"));
    m_stop->setEnabled(m_running);
    m_loadButton->setEnabled(!loading && !m_running);
    m_browse->setEnabled(!loading && !m_running);
    m_path->setEnabled(!loading && !m_running);
    for (QWidget* w : std::initializer_list<QWidget*>{m_optimizer, m_learningRate, m_schedule, m_batchSize, m_epochsSpin, m_l1, m_l2,
                                                      m_weightDecay, m_seed, m_threads, m_validation, m_flip, m_shift, m_rotate})
        w->setEnabled(!m_running);
    if (!m_running) {
        if (!blocker.isEmpty())
            showMessage(blocker, QStringLiteral("error"));
        else if (m_message->property("kind").toString() == QStringLiteral("error") &&
                 m_message->property("blocker").toBool())
            showMessage({}, {});
        m_message->setProperty("blocker", !blocker.isEmpty());
    }
}

void TrainingPanel::showMessage(const QString& text, const QString& kind)
{
    m_message->setProperty("kind", kind);
    if (text.isEmpty()) {
        m_message->hide();
        return;
    }
    QString style;
    if (kind == QStringLiteral("error"))
        style = QStringLiteral("background:#fdecea; color:#a1261b; border:1px solid #f2b8b1;");
    else if (kind == QStringLiteral("warn"))
        style = QStringLiteral("background:#fff5e0; color:#8a5300; border:1px solid #f0d39a;");
    else if (kind == QStringLiteral("ok"))
        style = QStringLiteral("background:#eaf5ea; color:#25652a; border:1px solid #b9dcb9;");
    else
        style = QStringLiteral("color:#5a6270;");
    m_message->setStyleSheet(QStringLiteral("QLabel { %1 border-radius:4px; padding:6px; }").arg(style));
    m_message->setText(text);
    m_message->show();
}

void TrainingPanel::setTrainingState(bool running, bool paused)
{
    const bool starting = running && !m_running;
    m_running = running;
    m_paused = paused;
    if (starting) {
        m_epochs = config().epochs;
        m_runProgress->setValue(0);
        m_status->setText(tr("Starting…"));
        showMessage({}, {});
    }
    updateButtons();
    if (running && paused)
        m_status->setText(m_status->text() + tr(" · paused"));
}

void TrainingPanel::showBatch(const BatchEvent& e)
{
    const QLocale loc;
    if (e.totalSteps > 0)
        m_runProgress->setValue(static_cast<int>(1000.0 * (e.globalStep + 1) / e.totalSteps));
    const QString text = tr("epoch %1/%2 · batch %3/%4 · %5 samples/s · ETA %6 · loss %7")
                             .arg(e.epoch + 1)
                             .arg(m_epochs > 0 ? m_epochs : e.epoch + 1)
                             .arg(e.batch + 1)
                             .arg(e.batchesPerEpoch)
                             .arg(loc.toString(std::lround(e.samplesPerSecond)))
                             .arg(durationText(e.etaSeconds))
                             .arg(e.loss, 0, 'f', 3);
    m_status->setText(m_paused ? text + tr(" · paused") : text);
    emit statusMessage(tr("Training: epoch %1/%2 · %3 samples/s · ETA %4")
                           .arg(e.epoch + 1)
                           .arg(m_epochs > 0 ? m_epochs : e.epoch + 1)
                           .arg(loc.toString(std::lround(e.samplesPerSecond)))
                           .arg(durationText(e.etaSeconds)));
}

void TrainingPanel::showEpoch(const EpochEvent& e)
{
    QString text = tr("Epoch %1: training loss %2, accuracy %3%").arg(e.epoch + 1).arg(e.trainLoss, 0, 'f', 4).arg(e.trainAccuracy * 100.0, 0, 'f', 1);
    if (std::isfinite(e.validationAccuracy))
        text += tr(" · validation loss %1, accuracy %2%").arg(e.validationLoss, 0, 'f', 4).arg(e.validationAccuracy * 100.0, 0, 'f', 1);
    m_status->setToolTip(text);
}

void TrainingPanel::showFinished(const TrainingSummary& s)
{
    QString result;
    if (std::isfinite(s.testAccuracy))
        result = tr("test accuracy %1% (loss %2, %3 samples)").arg(s.testAccuracy * 100.0, 0, 'f', 2).arg(s.testLoss, 0, 'f', 4).arg(s.testSamples);
    const QString took = tr("%1 epoch(s) in %2").arg(s.epochsCompleted).arg(durationText(s.seconds));
    if (s.diverged) {
        showMessage(tr("<b>Training diverged.</b> %1<br>The last good weights are kept.").arg(s.message.toHtmlEscaped()),
                    QStringLiteral("error"));
        m_status->setText(tr("Diverged after %1.").arg(took));
    } else if (s.stopped) {
        showMessage(tr("Stopped: %1").arg(s.message) + (result.isEmpty() ? QString() : QStringLiteral("<br>") + result), {});
        m_status->setText(tr("Stopped after %1.").arg(took));
    } else {
        showMessage((s.earlyStopped ? tr("Early stopping: %1<br>").arg(s.message) : QString()) +
                        (result.isEmpty() ? tr("Finished.") : tr("Finished: %1").arg(result)),
                    QStringLiteral("ok"));
        m_status->setText(tr("Finished %1 · %2 samples/s.").arg(took).arg(QLocale().toString(std::lround(s.samplesPerSecond))));
    }
    emit statusMessage(m_status->text());
}

void TrainingPanel::showFailed(const QString& message)
{
    showMessage(tr("<b>Training failed.</b> %1").arg(message.toHtmlEscaped()), QStringLiteral("error"));
    m_status->setText(tr("Failed."));
    emit statusMessage(tr("Training failed: %1").arg(message));
}

} // namespace netcanvas::widgets
