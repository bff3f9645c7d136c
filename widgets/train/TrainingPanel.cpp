#include "widgets/train/TrainingPanel.h"

#include "widgets/canvas/CanvasStyle.h"
#include "widgets/canvas/GraphModel.h"
#include "widgets/canvas/ScientificSpinBox.h"
#include "widgets/data/DataPanel.h"

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
#include <QLocale>
#include <QMenu>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

namespace netcanvas::widgets {

namespace {

// "stopped in epoch 2 …" → "Stopped in epoch 2 ….", HTML-escaped.
QString sentence(const QString& text)
{
    if (text.isEmpty())
        return {};
    QString out = text.left(1).toUpper() + text.mid(1);
    if (!out.endsWith(QLatin1Char('.')) && !out.endsWith(QLatin1Char(')')))
        out += QLatin1Char('.');
    return out.toHtmlEscaped();
}

QString durationText(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0)
        return QStringLiteral("–");
    const int s = static_cast<int>(std::lround(seconds));
    if (s >= 3600)
        return QStringLiteral("%1:%2:%3")
            .arg(s / 3600)
            .arg((s / 60) % 60, 2, 10, QLatin1Char('0'))
            .arg(s % 60, 2, 10, QLatin1Char('0'));
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
    : QWidget(parent)
    , m_model(model)
    , m_data(new DataPanel(model, this))
{
    m_data->hide(); // until the window places it in its Data tab
    buildUi();
    m_data->setDatasetPath(defaultDatasetPath());
    connect(m_data, &DataPanel::loadFinished, this, &TrainingPanel::onLoadFinished);
    connect(m_data, &DataPanel::loadingChanged, this, [this] {
        updateDatasetInfo();
        updateButtons();
    });
    connect(m_data, &DataPanel::settingsEdited, this, &TrainingPanel::settingsEdited);
    connect(m_model, &GraphModel::modelReset, this, &TrainingPanel::onModelReset);
    connect(m_model, &GraphModel::analysisChanged, this, [this] {
        updateDatasetInfo();
        updateButtons();
    });
    onModelReset();
}

TrainingPanel::~TrainingPanel() = default;

QString TrainingPanel::defaultDatasetPath()
{
    const QString fashion = QStringLiteral("/usr/share/datasets/fashion-mnist");
    return QFileInfo(fashion).isDir() ? fashion : QString();
}

void TrainingPanel::addSection(QWidget* section)
{
    section->setParent(m_sections->parentWidget());
    m_sections->insertWidget(m_sections->count() - 1, section); // above the closing stretch
}

void TrainingPanel::buildUi()
{
    QVBoxLayout* v = style::scrollingBody(this);
    m_sections = v;
    QWidget* body = v->parentWidget();

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

    // While training: live changes, applied at the next step.
    m_liveBox = new QGroupBox(tr("While training"), body);
    m_liveBox->setObjectName(QStringLiteral("liveBox"));
    m_liveBox->setToolTip(tr("Changes to the run in progress, applied at its next step and marked on the charts"));
    auto* live = new QFormLayout(m_liveBox);
    live->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    live->setVerticalSpacing(4);
    m_liveLr = sciBox(1e-9, 1e12, m_liveBox);
    m_liveLr->setObjectName(QStringLiteral("liveLearningRate"));
    m_liveLrSet = new QPushButton(tr("Set"), m_liveBox);
    m_liveLrSet->setObjectName(QStringLiteral("liveLearningRateSet"));
    m_liveLrSet->setToolTip(tr("The run's learning rate (the schedule's base) from its next step on"));
    auto* lrRow = new QHBoxLayout;
    lrRow->addWidget(m_liveLr, 1);
    lrRow->addWidget(m_liveLrSet);
    live->addRow(tr("Learning rate"), lrRow);
    m_liveEpochs = new QSpinBox(m_liveBox);
    m_liveEpochs->setObjectName(QStringLiteral("liveEpochs"));
    m_liveEpochs->setRange(1, 100000);
    m_liveEpochsSet = new QPushButton(tr("Set"), m_liveBox);
    m_liveEpochsSet->setObjectName(QStringLiteral("liveEpochsSet"));
    m_liveEpochsSet->setToolTip(tr("Extend or shorten the run (it always finishes the epoch in progress)"));
    auto* epRow = new QHBoxLayout;
    epRow->addWidget(m_liveEpochs, 1);
    epRow->addWidget(m_liveEpochsSet);
    live->addRow(tr("Epochs"), epRow);
    m_liveAugment = new QCheckBox(tr("Augmentation on"), m_liveBox);
    m_liveAugment->setObjectName(QStringLiteral("liveAugment"));
    m_liveAugment->setToolTip(tr("Switch the run's augmentation off (or back on) from its next batch"));
    live->addRow(QString(), m_liveAugment);
    // Narrow enough for the inspector's width: the fields shrink, the buttons stay small.
    for (QWidget* w : std::initializer_list<QWidget*> { m_liveLr, m_liveEpochs }) {
        w->setMinimumWidth(60);
        w->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
    }
    for (QPushButton* b : { m_liveLrSet, m_liveEpochsSet })
        b->setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Fixed);
    m_liveBox->setEnabled(false);
    v->addWidget(m_liveBox);
    connect(m_liveLrSet, &QPushButton::clicked, this, [this] {
        emit changeRequested({ RunChangeKind::LearningRate, m_liveLr->value() });
    });
    connect(m_liveEpochsSet, &QPushButton::clicked, this, [this] {
        emit changeRequested({ RunChangeKind::Epochs, static_cast<double>(m_liveEpochs->value()) });
    });
    connect(m_liveAugment, &QCheckBox::toggled, this, [this](bool on) {
        if (!m_applying && m_running)
            emit changeRequested({ RunChangeKind::Augmentation, on ? 1.0 : 0.0 });
    });
    // Dataset: a summary; the Data tab has the rest.
    m_datasetInfo = new QLabel(runBox);
    m_datasetInfo->setWordWrap(true);
    m_datasetInfo->setTextFormat(Qt::RichText);
    m_datasetInfo->setStyleSheet(QStringLiteral("color: #5a6270;"));
    connect(m_datasetInfo, &QLabel::linkActivated, this, &TrainingPanel::dataTabRequested);
    rv->insertWidget(0, m_datasetInfo);

    // Hyper-parameters
    auto* hyper = new QGroupBox(tr("Hyper-parameters"), body);
    auto* form = new QFormLayout(hyper);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setVerticalSpacing(4);
    m_optimizer = new QComboBox(hyper);
    for (const char* k : { "sgd", "adam", "adamw", "rmsprop" })
        m_optimizer->addItem(QString::fromLatin1(k));
    m_learningRate = sciBox(1e-9, 1e12, hyper);
    m_schedule = new QComboBox(hyper);
    for (const char* k : { "constant", "step", "cosine" })
        m_schedule->addItem(QString::fromLatin1(k));
    m_batchSize = new QSpinBox(hyper);
    m_batchSize->setRange(1, 65536);
    m_epochsSpin = new QSpinBox(hyper);
    m_epochsSpin->setRange(1, 100000);
    m_l1 = sciBox(0.0, 10.0, hyper);
    m_l2 = sciBox(0.0, 10.0, hyper);
    m_weightDecay = sciBox(0.0, 10.0, hyper);
    m_clipNorm = new QDoubleSpinBox(hyper);
    m_clipNorm->setObjectName(QStringLiteral("clipNorm"));
    m_clipNorm->setRange(0.0, 1e6);
    m_clipNorm->setDecimals(3);
    m_clipNorm->setSingleStep(0.5);
    m_clipNorm->setSpecialValueText(tr("off"));
    m_clipNorm->setToolTip(tr("Gradient clipping: when the norm of all gradients together exceeds this bound, "
                              "they are scaled down to it before the update (recurrent networks need it; 1 to 5 "
                              "is typical). Off: never clip."));
    m_loss = new QComboBox(hyper);
    m_loss->setObjectName(QStringLiteral("loss"));
    for (const char* k : { "cross_entropy", "mse", "mae", "huber" })
        m_loss->addItem(QString::fromLatin1(k));
    m_loss->setToolTip(tr("cross_entropy: classes. mse, mae, huber: real-valued targets (regression, forecasts); "
                          "mse also compares a classifier's outputs with one-hot labels"));
    m_seed = new QSpinBox(hyper);
    m_seed->setRange(0, std::numeric_limits<int>::max());
    m_threads = new QSpinBox(hyper);
    m_threads->setRange(0, 256);
    m_threads->setSpecialValueText(tr("all cores"));
    m_device = new QComboBox(hyper);
    m_device->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_device->setMinimumContentsLength(12); // the inspector stays narrow when its body scrolls
    m_device->setToolTip(tr("Where to train: Automatic uses the first usable GPU, else the CPU"));
    form->addRow(tr("Optimizer"), m_optimizer);
    form->addRow(tr("Learning rate"), m_learningRate);
    form->addRow(tr("Schedule"), m_schedule);
    form->addRow(tr("Batch size"), m_batchSize);
    form->addRow(tr("Epochs"), m_epochsSpin);
    form->addRow(tr("Loss"), m_loss);
    form->addRow(tr("L1"), m_l1);
    form->addRow(tr("L2"), m_l2);
    form->addRow(tr("Weight decay"), m_weightDecay);
    form->addRow(tr("Clip gradient norm"), m_clipNorm);
    form->addRow(tr("Seed"), m_seed);
    form->addRow(tr("Device"), m_device);
    m_precision = new QComboBox(hyper);
    m_precision->setObjectName(QStringLiteral("precision"));
    m_precision->addItem(tr("FP32 (exact)"), QString::fromLatin1(precisionName(Precision::Fp32)));
    m_precision->setItemData(0, tr("Full float32 arithmetic, as on the CPU. The default."), Qt::ToolTipRole);
    m_precision->addItem(tr("TF32 tensor cores"), QString::fromLatin1(precisionName(Precision::Tf32)));
    m_precision->setItemData(1,
        tr("Matrix products and convolutions on TF32 tensor cores (10-bit mantissa in the "
           "products, float32 sums): usually faster, results differ by about 1e-3. GPUs of "
           "compute capability 8.0 and newer."),
        Qt::ToolTipRole);
    m_precision->addItem(tr("FP16 mixed + loss scaling"), QString::fromLatin1(precisionName(Precision::Fp16)));
    m_precision->setItemData(2,
        tr("Matrix products and convolutions on FP16 tensor cores with float32 sums; weights, "
           "activations and gradients stay float32. The loss is scaled so that small gradients "
           "survive FP16; a step whose gradients overflow is skipped and the scale halves. GPUs "
           "of compute capability 7.0 and newer."),
        Qt::ToolTipRole);
    m_precision->setToolTip(tr("How a GPU computes matrix products and convolutions: FP32 exact; TF32 tensor cores "
                               "(compute capability 8.0+); FP16 tensor cores with loss scaling. The CPU always "
                               "computes in FP32."));
    m_precision->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_precision->setMinimumContentsLength(12);
    form->addRow(tr("GPU math"), m_precision);
    form->addRow(tr("Threads"), m_threads);
    m_l2->setToolTip(tr("L2 penalty: loss += l2/2 · Σw²"));
    m_weightDecay->setToolTip(tr("Weight decay (decoupled for adamw)"));
    v->addWidget(hyper);

    // Early stopping and checkpoint selection.
    auto* stopping = new QGroupBox(tr("Early stopping and result"), body);
    auto* sf = new QFormLayout(stopping);
    sf->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    sf->setVerticalSpacing(4);
    m_patience = new QSpinBox(stopping);
    m_patience->setObjectName(QStringLiteral("patience"));
    m_patience->setRange(0, 100000);
    m_patience->setSpecialValueText(tr("off"));
    m_patience->setSuffix(tr(" epochs"));
    m_patience->setToolTip(tr("Stop when the monitored metric has not improved for this many epochs"));
    m_minDelta = new QDoubleSpinBox(stopping);
    m_minDelta->setObjectName(QStringLiteral("minDelta"));
    m_minDelta->setRange(0.0, 1e6);
    m_minDelta->setDecimals(4);
    m_minDelta->setSingleStep(0.001);
    m_minDelta->setToolTip(tr("An epoch improves only when it beats the best by more than this"));
    m_monitor = new QComboBox(stopping);
    m_monitor->setObjectName(QStringLiteral("monitor"));
    m_monitor->addItem(tr("validation loss"), QStringLiteral("val_loss"));
    m_monitor->addItem(tr("validation accuracy"), QStringLiteral("val_accuracy"));
    m_monitor->addItem(tr("training loss"), QStringLiteral("train_loss"));
    m_monitor->addItem(tr("training accuracy"), QStringLiteral("train_accuracy"));
    m_monitor->setToolTip(tr("The metric early stopping and the best checkpoint watch"));
    m_resultWeights = new QComboBox(stopping);
    m_resultWeights->setObjectName(QStringLiteral("resultWeights"));
    m_resultWeights->addItem(tr("auto"), QStringLiteral("auto"));
    m_resultWeights->setItemData(0, tr("The best epoch's with early stopping, else the last"), Qt::ToolTipRole);
    m_resultWeights->addItem(tr("best epoch"), QStringLiteral("best"));
    m_resultWeights->addItem(tr("last step"), QStringLiteral("last"));
    m_resultWeights->setToolTip(tr("Which weights the run keeps as its result (checkpoint selection)"));
    for (QComboBox* c : { m_monitor, m_resultWeights }) { // never wider than the inspector
        c->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        c->setMinimumContentsLength(8);
    }
    sf->addRow(tr("Patience"), m_patience);
    sf->addRow(tr("Min. improvement"), m_minDelta);
    sf->addRow(tr("Monitor"), m_monitor);
    sf->addRow(tr("Keep weights"), m_resultWeights);
    v->addWidget(stopping);

    v->addStretch();

    // Every user edit of a setting is reported once (not the form being filled by setConfig).
    auto edited = [this] {
        if (!m_applying)
            emit settingsEdited();
    };
    for (QComboBox* c : { m_optimizer, m_schedule, m_loss, m_device, m_precision, m_monitor, m_resultWeights })
        connect(c, &QComboBox::currentIndexChanged, this, edited);
    // Leaving TF32/FP16 on a machine without such a GPU: the entry is no longer offered.
    connect(m_precision, &QComboBox::currentIndexChanged, this, &TrainingPanel::updatePrecisionEntries);
    // The CPU entry names its thread count.
    connect(m_threads, &QSpinBox::valueChanged, this, [this] {
        if (m_devices)
            fillDevices(*m_devices);
    });
    fillDevices(DeviceList {}); // Automatic and the CPU until the listing arrives
    refreshDevices();
    for (QSpinBox* b : { m_batchSize, m_epochsSpin, m_seed, m_threads, m_patience })
        connect(b, &QSpinBox::valueChanged, this, edited);
    for (QDoubleSpinBox* b :
        std::initializer_list<QDoubleSpinBox*> { m_learningRate, m_l1, m_l2, m_weightDecay, m_clipNorm, m_minDelta })
        connect(b, &QDoubleSpinBox::valueChanged, this, edited);

    connect(m_train, &QPushButton::clicked, this, &TrainingPanel::requestTrain);
    connect(m_pause, &QPushButton::clicked, this, [this] {
        if (m_paused)
            emit resumeRequested();
        else
            emit pauseRequested();
    });
    connect(m_stop, &QPushButton::clicked, this, &TrainingPanel::stopRequested);
}

void TrainingPanel::onModelReset()
{
    TrainConfig c;
    QString problem;
    try {
        c = trainConfigFromJson(m_model->graph().training, TrainConfig {});
    } catch (const std::exception& e) {
        problem = tr("The model's training recipe was not used: %1").arg(QString::fromStdString(e.what()));
        c = TrainConfig {};
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
    c.clipNorm = m_clipNorm->value();
    c.loss = lossKindFromString(m_loss->currentText().toStdString());
    c.earlyStoppingPatience = m_patience->value();
    c.earlyStoppingMinDelta = m_minDelta->value();
    c.monitor = m_monitor->currentData().toString().toStdString();
    c.resultWeights = m_resultWeights->currentData().toString().toStdString();
    c.seed = static_cast<uint64_t>(m_seed->value());
    c.threads = m_threads->value();
    const QString device = m_device->currentData().toString();
    c.device = device.isEmpty() ? std::string("auto") : device.toStdString();
    c.precision = parsePrecision(m_precision->currentData().toString().toStdString());
    m_data->applyTo(c);
    return c;
}

void TrainingPanel::setConfig(const TrainConfig& c)
{
    const bool wasApplying = m_applying;
    m_applying = true;
    m_base = c;
    m_optimizer->setCurrentText(QString::fromStdString(c.optimizer.kind));
    m_learningRate->setValue(c.optimizer.learningRate);
    if (!m_running) { // the live controls start from the recipe (greyed until a run starts)
        m_liveLr->setValue(c.optimizer.learningRate);
        m_liveEpochs->setValue(c.epochs);
    }
    m_schedule->setCurrentText(QString::fromStdString(c.schedule.kind));
    m_batchSize->setValue(static_cast<int>(c.batchSize));
    m_epochsSpin->setValue(c.epochs);
    m_l1->setValue(c.optimizer.l1);
    m_l2->setValue(c.optimizer.l2);
    m_weightDecay->setValue(c.optimizer.weightDecay);
    m_clipNorm->setValue(c.clipNorm);
    m_loss->setCurrentText(QString::fromStdString(toString(c.loss)));
    m_patience->setValue(c.earlyStoppingPatience);
    m_minDelta->setValue(c.earlyStoppingMinDelta);
    m_monitor->setCurrentIndex(std::max(0, m_monitor->findData(QString::fromStdString(c.monitor))));
    m_resultWeights->setCurrentIndex(std::max(0, m_resultWeights->findData(QString::fromStdString(c.resultWeights))));
    m_seed->setValue(
        static_cast<int>(std::min<uint64_t>(c.seed, static_cast<uint64_t>(std::numeric_limits<int>::max()))));
    m_threads->setValue(c.threads);
    selectDevice(QString::fromStdString(c.device));
    m_precision->setCurrentIndex(m_precision->findData(QString::fromLatin1(precisionName(c.precision))));
    updatePrecisionEntries();
    m_data->setFrom(c);
    m_applying = wasApplying;
}

QString TrainingPanel::datasetPath() const
{
    return m_data->datasetPath();
}

void TrainingPanel::setDatasetPath(const QString& path)
{
    m_data->setDatasetPath(path);
    updateDatasetInfo();
}

std::shared_ptr<const Dataset> TrainingPanel::dataset() const
{
    return m_data->dataset();
}

bool TrainingPanel::isLoading() const
{
    return m_data->isLoading();
}

void TrainingPanel::loadDataset()
{
    if (m_running)
        return;
    if (!m_data->loadDataset())
        m_trainAfterLoad = false;
}

void TrainingPanel::cancelLoading()
{
    m_trainAfterLoad = false;
    m_data->cancelLoading();
}

void TrainingPanel::onLoadFinished(bool ok, const QString& error)
{
    const bool trainAfter = m_trainAfterLoad;
    m_trainAfterLoad = false;
    if (!ok) {
        if (!error.isEmpty())
            showMessage(tr("Cannot open the dataset: %1").arg(error), QStringLiteral("error"));
        else if (trainAfter)
            showMessage(tr("Loading cancelled."), {});
        updateDatasetInfo();
        updateButtons();
        return;
    }
    showMessage({}, {});
    updateDatasetInfo();
    updateButtons();
    emit datasetLoaded();
    if (trainAfter && trainBlocker().isEmpty())
        emit trainRequested();
}

void TrainingPanel::updateDatasetInfo()
{
    const QString link = QStringLiteral(" · <a href='data'>%1</a>").arg(tr("Data tab"));
    if (m_data->isLoading()) {
        m_datasetInfo->setText(tr("Opening the dataset…") + link);
        return;
    }
    const auto data = m_data->dataset();
    if (!data) {
        const QString path = m_data->datasetPath();
        m_datasetInfo->setText((path.isEmpty() ? tr("No dataset chosen.")
                                               : tr("Dataset: %1 (not loaded yet: Train loads it)")
                                                     .arg(QFileInfo(path).fileName().toHtmlEscaped()))
            + link);
        return;
    }
    const Dataset& d = *data;
    QString text = d.isRegression() ? tr("Dataset: <b>%1</b> · %2 samples · targets %3")
                                          .arg(QFileInfo(QString::fromStdString(d.root)).fileName().toHtmlEscaped(),
                                              QLocale().toString(static_cast<qlonglong>(d.size())),
                                              QString::fromStdString(d.targetShape.toString()))
                                    : tr("Dataset: <b>%1</b> · %2 samples · %3 classes")
                                          .arg(QFileInfo(QString::fromStdString(d.root)).fileName().toHtmlEscaped(),
                                              QLocale().toString(static_cast<qlonglong>(d.size())))
                                          .arg(d.numClasses());
    text += link;
    if (!d.skipped.empty())
        text += QStringLiteral("<br><span style='color:#b26b00'>%1</span>")
                    .arg(tr("%n file(s) skipped: see the Data tab", nullptr, static_cast<int>(d.skipped.size())));
    if (!m_data->datasetIsCurrent())
        text += QStringLiteral("<br><span style='color:#b26b00'>%1</span>")
                    .arg(tr("The model or path changed (input %1): Train reloads the dataset.")
                             .arg(QString::fromStdString(m_data->modelInputShape().toString())));
    m_datasetInfo->setText(text);
}

QString TrainingPanel::trainBlocker() const
{
    const GraphAnalysis& a = m_model->analysis();
    if (!a.ok)
        return tr("The model does not validate: %1").arg(QString::fromStdString(a.error));
    const auto data = m_data->dataset();
    if (data && m_data->datasetIsCurrent()) {
        const int64_t outputs = a.outputShape.numel();
        if (data->isRegression() && outputs != data->targetSize())
            return tr("The targets are %1 values per sample but the output node '%2' gives %3 — set its units to %1.")
                .arg(data->targetSize())
                .arg(QString::fromStdString(a.outputNode))
                .arg(outputs);
        if (data->isRegression() && !isRegressionLoss(config().loss))
            return tr("The targets are real values: choose the mse, mae or huber loss.");
        if (!data->isRegression() && data->numClasses() > outputs)
            return tr("The dataset has %1 classes but the output node '%2' gives %3 values — set its units to %1.")
                .arg(data->numClasses())
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
    if (!m_data->datasetIsCurrent()) {
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
    m_data->setLocked(m_running);
    for (QWidget* w : std::initializer_list<QWidget*> { m_optimizer, m_learningRate, m_schedule, m_batchSize,
             m_epochsSpin, m_loss, m_l1, m_l2, m_weightDecay, m_clipNorm, m_seed, m_threads, m_device, m_patience,
             m_minDelta, m_monitor, m_resultWeights })
        w->setEnabled(!m_running);
    updatePrecisionEntries();
    if (!m_running) {
        if (!blocker.isEmpty())
            showMessage(blocker, QStringLiteral("error"));
        else if (m_message->property("kind").toString() == QStringLiteral("error")
            && m_message->property("blocker").toBool())
            showMessage({}, {});
        m_message->setProperty("blocker", !blocker.isEmpty());
    }
}

void TrainingPanel::showMessage(const QString& text, const QString& kind)
{
    m_message->setProperty("kind", kind);
    m_message->setProperty("quiet", false);
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

void TrainingPanel::setRunButtonsVisible(bool visible)
{
    for (QPushButton* b : { m_train, m_pause, m_stop })
        b->setVisible(visible);
}

void TrainingPanel::setTrainingState(bool running, bool paused)
{
    const bool starting = running && !m_running;
    const bool wasRunning = m_running;
    m_running = running;
    m_paused = paused;
    if (starting) {
        const TrainConfig c = config();
        m_epochs = c.epochs;
        const bool wasApplying = m_applying;
        m_applying = true;
        m_liveLr->setValue(c.optimizer.learningRate);
        m_liveEpochs->setValue(c.epochs);
        m_liveAugment->setChecked(c.augmentation.any());
        m_liveAugment->setEnabled(c.augmentation.any());
        m_applying = wasApplying;
        m_lastBatch.reset();
        m_runProgress->setValue(0);
        m_status->setText(tr("Starting…"));
        // The device fallback the last listing predicts (the worker's own note replaces it).
        showDeviceNote(expectedDeviceNote());
    }
    const bool ending = !running && wasRunning;
    m_liveBox->setEnabled(running);
    updateButtons();
    if (ending)
        refreshDevices(); // memory in use has changed
    if (running && !starting)
        showProgress(); // "Paused · …" or the running text again
}

void TrainingPanel::showProgress()
{
    if (!m_lastBatch)
        return;
    const BatchEvent& e = *m_lastBatch;
    const QLocale loc;
    const QString where = tr("epoch %1/%2 · batch %3/%4")
                              .arg(e.epoch + 1)
                              .arg(m_epochs > 0 ? m_epochs : e.epoch + 1)
                              .arg(e.batch + 1)
                              .arg(e.batchesPerEpoch);
    if (m_paused) {
        // No speed and no ETA as if it were running: the clock is stopped.
        const QString text
            = tr("Paused at %1 · %2 of training left when resumed").arg(where, durationText(e.etaSeconds));
        m_status->setText(text);
        emit statusMessage(tr("Training paused at %1 — Resume (Ctrl+Shift+P) continues").arg(where));
        return;
    }
    m_status->setText(tr("%1 · %2 samples/s · ETA %3 · loss %4")
                          .arg(where, loc.toString(std::lround(e.samplesPerSecond)), durationText(e.etaSeconds))
                          .arg(e.loss, 0, 'f', 3));
    emit statusMessage(tr("Training: epoch %1/%2 · %3 samples/s · ETA %4")
                           .arg(e.epoch + 1)
                           .arg(m_epochs > 0 ? m_epochs : e.epoch + 1)
                           .arg(loc.toString(std::lround(e.samplesPerSecond)))
                           .arg(durationText(e.etaSeconds)));
}

void TrainingPanel::showBatch(const BatchEvent& e)
{
    if (e.totalSteps > 0)
        m_runProgress->setValue(static_cast<int>(1000.0 * (e.globalStep + 1) / e.totalSteps));
    if (e.batchesPerEpoch > 0) // the planned epochs, live changes included
        m_epochs = static_cast<int>(e.totalSteps / e.batchesPerEpoch);
    m_lastBatch = e;
    showProgress();
}

void TrainingPanel::showEpoch(const EpochEvent& e)
{
    if (e.regression) {
        QString text = tr("Epoch %1: training loss %2, RMSE %3")
                           .arg(e.epoch + 1)
                           .arg(e.trainLoss, 0, 'f', 4)
                           .arg(e.trainRmse, 0, 'g', 4);
        if (std::isfinite(e.validationRmse))
            text += tr(" · validation loss %1, RMSE %2, R² %3")
                        .arg(e.validationLoss, 0, 'f', 4)
                        .arg(e.validationRmse, 0, 'g', 4)
                        .arg(e.validationR2, 0, 'f', 3);
        m_status->setToolTip(text);
        return;
    }
    QString text = tr("Epoch %1: training loss %2, accuracy %3%")
                       .arg(e.epoch + 1)
                       .arg(e.trainLoss, 0, 'f', 4)
                       .arg(e.trainAccuracy * 100.0, 0, 'f', 1);
    if (std::isfinite(e.validationAccuracy))
        text += tr(" · validation loss %1, accuracy %2%")
                    .arg(e.validationLoss, 0, 'f', 4)
                    .arg(e.validationAccuracy * 100.0, 0, 'f', 1);
    m_status->setToolTip(text);
}

void TrainingPanel::showFinished(const RunSummary& s)
{
    QString result;
    if (std::isfinite(s.testRmse))
        result = tr("test RMSE %1, MAE %2, R² %3 (%4 samples)")
                     .arg(s.testRmse, 0, 'g', 4)
                     .arg(s.testMae, 0, 'g', 4)
                     .arg(s.testR2, 0, 'f', 3)
                     .arg(s.testSamples);
    else if (std::isfinite(s.testAccuracy))
        result = tr("test accuracy %1% (loss %2, %3 samples)")
                     .arg(s.testAccuracy * 100.0, 0, 'f', 2)
                     .arg(s.testLoss, 0, 'f', 4)
                     .arg(s.testSamples);
    if (s.skippedSteps > 0) {
        const QString skipped = tr("loss scaling skipped %n step(s) (the gradients overflowed)", nullptr,
            static_cast<int>(std::min<int64_t>(s.skippedSteps, std::numeric_limits<int>::max())));
        result = result.isEmpty() ? skipped : result + QStringLiteral("; ") + skipped;
    }
    const QString took = tr("%1 epoch(s) in %2").arg(s.epochsCompleted).arg(durationText(s.seconds));
    const QString message = QString::fromStdString(s.message);
    if (s.diverged) {
        showMessage(tr("<b>Training diverged.</b> %1<br>The last good weights are kept.").arg(message.toHtmlEscaped()),
            QStringLiteral("error"));
        m_status->setText(tr("Diverged after %1.").arg(took));
    } else if (s.stopped) {
        // "Stopped in epoch 2 after batch 38 of 844." — the engine's words, said once.
        showMessage(sentence(message) + (result.isEmpty() ? QString() : QStringLiteral("<br>") + result), {});
        m_status->setText(tr("Stopped after %1.").arg(took));
    } else {
        showMessage((s.earlyStopped ? sentence(message) + QStringLiteral("<br>") : QString())
                + (result.isEmpty() ? tr("Finished.") : tr("Finished: %1").arg(result)),
            QStringLiteral("ok"));
        m_status->setText(
            tr("Finished %1 · %2 samples/s.").arg(took).arg(QLocale().toString(std::lround(s.samplesPerSecond))));
    }
    emit statusMessage(m_status->text());
}

void TrainingPanel::showFailed(const QString& message)
{
    showMessage(tr("<b>Training failed.</b> %1").arg(message.toHtmlEscaped()), QStringLiteral("error"));
    m_status->setText(tr("Failed."));
    emit statusMessage(tr("Training failed: %1").arg(message));
}

void TrainingPanel::showDeviceNote(const QString& note)
{
    if (config().device != "auto") {
        showMessage(note.toHtmlEscaped(), QStringLiteral("warn")); // the GPU asked for is not used
        return;
    }
    // Automatic on a machine without a usable GPU: said once, quietly; the Device list keeps the
    // reason ("CUDA: unavailable (…)") for whoever looks.
    if (note.isEmpty() || m_quietNotes.contains(note)) {
        if (m_message->property("kind").toString().isEmpty() && m_message->property("quiet").toBool())
            m_message->hide();
        return;
    }
    m_quietNotes.insert(note);
    showMessage(note.toHtmlEscaped(), QString());
    m_message->setProperty("quiet", true);
}

bool TrainingPanel::deviceNoteShown(const QString& note) const
{
    return m_quietNotes.contains(note);
}

void TrainingPanel::refreshDevices()
{
    if (m_listingDevices)
        return;
    m_listingDevices = true;
    // Loading the CUDA plugin and probing the driver can take a moment: not on the UI thread.
    auto* watcher = new QFutureWatcher<DeviceList>(this);
    connect(watcher, &QFutureWatcher<DeviceList>::finished, this, [this, watcher] {
        m_listingDevices = false;
        showDevices(watcher->result());
        watcher->deleteLater();
    });
    watcher->setFuture(QtConcurrent::run([] { return listDevices(0); }));
}

void TrainingPanel::showDevices(const DeviceList& list)
{
    m_devices = std::make_shared<const DeviceList>(list);
    fillDevices(*m_devices);
    emit devicesListed();
}

void TrainingPanel::updatePrecisionEntries()
{
    const QString current = m_precision->currentData().toString();
    const bool fp32 = current == QLatin1String(precisionName(Precision::Fp32));
    m_precision->setEnabled(!m_running && (m_gpuAvailable || !fp32));
    auto* model = qobject_cast<QStandardItemModel*>(m_precision->model());
    if (!model)
        return;
    auto offer = [&](Precision p, bool available) {
        const int row = m_precision->findData(QString::fromLatin1(precisionName(p)));
        if (row >= 0)
            model->item(row)->setEnabled(available || current == QLatin1String(precisionName(p)));
    };
    offer(Precision::Tf32, m_tf32Available);
    offer(Precision::Fp16, m_gpuAvailable);
}

void TrainingPanel::fillDevices(const DeviceList& list)
{
    const bool wasApplying = m_applying;
    m_applying = true; // refilling is not a user edit
    QString selected = m_device->currentData().toString();
    if (selected.isEmpty())
        selected = QStringLiteral("auto");
    const QLocale loc;
    auto gb
        = [&loc](int64_t bytes) { return loc.toString(static_cast<double>(bytes) / double(int64_t(1) << 30), 'f', 1); };
    m_device->clear();
    m_device->addItem(tr("Automatic"), QStringLiteral("auto"));
    m_device->setItemData(0, tr("The first usable GPU, else the CPU"), Qt::ToolTipRole);
    const int threads = m_threads->value() > 0 ? m_threads->value() : QThread::idealThreadCount();
    m_device->addItem(threads == 1 ? tr("CPU (1 thread)") : tr("CPU (%1 threads)").arg(threads), QStringLiteral("cpu"));
    auto* model = qobject_cast<QStandardItemModel*>(m_device->model());
    bool anyGpu = false;
    m_gpuAvailable = false;
    m_tf32Available = false;
    for (const DeviceInfo& d : list.devices) {
        if (d.kind != Device::Cuda)
            continue;
        anyGpu = true;
        m_gpuAvailable = m_gpuAvailable || d.usable;
        m_tf32Available = m_tf32Available || (d.usable && d.ccMajor >= 8);
        QString text = tr("GPU %1: %2 · %3 GB").arg(d.index).arg(QString::fromStdString(d.name)).arg(gb(d.totalBytes));
        if (d.usedBytes >= 0)
            text += tr(" (%1 GB in use)").arg(gb(d.usedBytes));
        m_device->addItem(text, QString::fromStdString(d.spec));
        const int row = m_device->count() - 1;
        QString tip
            = tr("%1, compute capability %2.%3").arg(QString::fromStdString(d.name)).arg(d.ccMajor).arg(d.ccMinor);
        if (!d.usable) {
            tip = tr("Unusable: %1").arg(QString::fromStdString(d.reason));
            if (model)
                model->item(row)->setEnabled(false);
        }
        m_device->setItemData(row, tip, Qt::ToolTipRole);
    }
    if (!anyGpu && !list.cudaReason.empty()) {
        const QString reason = QString::fromStdString(list.cudaReason);
        m_device->addItem(tr("CUDA: unavailable (%1)").arg(reason), QString());
        const int row = m_device->count() - 1;
        m_device->setItemData(row, reason, Qt::ToolTipRole);
        if (model)
            model->item(row)->setEnabled(false);
    }
    selectDevice(selected);
    m_applying = wasApplying;
    updateButtons(); // the GPU math menu follows the listing
}

void TrainingPanel::selectDevice(const QString& spec)
{
    int row = m_device->findData(spec.isEmpty() ? QStringLiteral("auto") : spec);
    if (row < 0) {
        // A device saved on another machine (or not listed yet): kept, so the setting survives
        // a save; choosing it trains on the CPU with a note if it is still missing at start.
        m_device->addItem(tr("%1 (not found on this machine)").arg(spec), spec);
        row = m_device->count() - 1;
    }
    m_device->setCurrentIndex(row);
}

QString TrainingPanel::expectedDeviceNote() const
{
    const QString spec = m_device->currentData().toString();
    if (spec == QStringLiteral("cpu") || !m_devices)
        return {};
    if (!m_devices->cudaUsable)
        return tr("%1; training on the CPU").arg(QString::fromStdString(m_devices->cudaStatus));
    for (const DeviceInfo& d : m_devices->devices)
        if (QString::fromStdString(d.spec) == spec && !d.usable)
            return tr("%1 is unusable (%2); training on the CPU").arg(spec, QString::fromStdString(d.reason));
    return {};
}

} // namespace netcanvas::widgets
