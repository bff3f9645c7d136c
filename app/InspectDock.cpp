#include "app/InspectDock.h"

#include "engine/layers/LayerRegistry.h"
#include "widgets/inspect/ConfusionMatrixView.h"
#include "widgets/inspect/ExplainView.h"
#include "widgets/inspect/FeatureMapView.h"
#include "widgets/inspect/FilterView.h"
#include "widgets/inspect/LayerStatsView.h"
#include "widgets/inspect/MetricsTable.h"
#include "widgets/inspect/RecurrentGatesView.h"
#include "widgets/inspect/RegressionPlot.h"
#include "widgets/inspect/SampleGallery.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QRandomGenerator>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QTextDocumentFragment>
#include <QVBoxLayout>

#include <cmath>

namespace netcanvas::app {

namespace {

QLabel* hintLabel(QWidget* parent)
{
    auto* l = new QLabel(parent);
    l->setWordWrap(true);
    l->setStyleSheet(QStringLiteral("color: #6b7280;"));
    return l;
}

QString imageFilter()
{
    return QObject::tr("Images (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.webp);;All files (*)");
}

QStringList classNamesOf(const InspectionData& d)
{
    QStringList names;
    for (const auto& n : d.classNames)
        names << QString::fromStdString(n);
    return names;
}

QString scoresText(const std::vector<inspect::ClassScore>& scores, const QStringList& names)
{
    QStringList parts;
    for (const auto& s : scores)
        parts << QStringLiteral("%1 %2%")
                     .arg(names.value(s.cls, QString::number(s.cls)))
                     .arg(s.probability * 100.0, 0, 'f', 1);
    return parts.join(QStringLiteral(" · "));
}

} // namespace

QImage inputImage(const std::vector<float>& chw, int channels, int height, int width)
{
    if (channels <= 0 || height <= 0 || width <= 0 || chw.size() < static_cast<size_t>(channels) * height * width)
        return {};
    const bool rgb = channels == 3;
    QImage img(width, height, rgb ? QImage::Format_RGB888 : QImage::Format_Grayscale8);
    const size_t plane = static_cast<size_t>(height) * width;
    auto byte = [](float v) { return static_cast<uchar>(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f)); };
    for (int y = 0; y < height; ++y) {
        uchar* line = img.scanLine(y);
        for (int x = 0; x < width; ++x) {
            const size_t i = static_cast<size_t>(y) * width + x;
            if (rgb) {
                line[3 * x + 0] = byte(chw[i]);
                line[3 * x + 1] = byte(chw[plane + i]);
                line[3 * x + 2] = byte(chw[2 * plane + i]);
            } else {
                line[x] = byte(chw[i]);
            }
        }
    }
    return img;
}

InspectDock::InspectDock(InspectionController* controller, QWidget* parent)
    : QTabWidget(parent)
    , m_ctl(controller)
{
    setDocumentMode(true);
    // Each page scrolls when the dock is short, so the views never force the window's
    // layout (the canvas keeps its room; docks never overlap).
    auto scrolled = [this](QWidget* page) {
        auto* area = new QScrollArea(this);
        area->setWidgetResizable(true);
        area->setFrameShape(QFrame::NoFrame);
        area->setWidget(page);
        return area;
    };
    m_mapsPage = scrolled(buildMapsTab());
    m_evaluationPage = scrolled(buildEvaluationTab());
    m_explainPage = scrolled(buildExplainTab());
    m_statsPage = scrolled(buildStatsTab());
    m_recurrentPage = scrolled(buildRecurrentTab());
    addTab(m_mapsPage, tr("Feature Maps"));
    addTab(m_evaluationPage, tr("Evaluation"));
    addTab(m_explainPage, tr("Explain"));
    addTab(m_statsPage, tr("Layer Stats"));
    addTab(m_recurrentPage, tr("Recurrent"));
    connect(m_ctl, &InspectionController::featureMapsReady, this, &InspectDock::onMaps);
    connect(m_ctl, &InspectionController::explainReady, this, &InspectDock::onExplain);
    connect(m_ctl, &InspectionController::evaluationReady, this, &InspectDock::onEvaluation);
    connect(m_ctl, &InspectionController::filtersReady, this,
        [this](const inspect::Filters& f) { m_filters->setFilters(f); });
    connect(m_ctl, &InspectionController::statsReady, this, [this](const StatsResult& r) {
        m_stats->setStats(r.layers);
        m_statsMessage->setText(
            tr("One forward and backward pass over %1 test samples with the current weights.").arg(r.batchSize));
    });
    connect(m_ctl, &InspectionController::evaluationProgress, this, [this](int64_t done, int64_t total) {
        m_evalProgress->setRange(0, 1000);
        m_evalProgress->setValue(total > 0 ? static_cast<int>(1000 * done / total) : 0);
    });
    connect(m_ctl, &InspectionController::recurrentGatesReady, this, [this](const RecurrentGatesResult& r) {
        m_recurrent->setGates(r.gates);
        const RecurrentTrace& t = r.gates.trace;
        QString decay;
        if (t.gradNorm.size() > 1 && t.gradNorm.back() > 0.0f)
            decay = tr("; the gradient reaching step 0 is %1 of the last step's")
                        .arg(double(t.gradNorm.front() / t.gradNorm.back()), 0, 'g', 3);
        m_rnnMessage->setText(tr("%1 (%2), sample %3: %4 steps \u00d7 %5 units, class %6%7")
                                  .arg(QString::fromStdString(r.gates.node), QString::fromStdString(r.gates.type))
                                  .arg(r.sampleIndex)
                                  .arg(t.steps)
                                  .arg(t.units)
                                  .arg(r.gates.cls)
                                  .arg(decay));
    });
    connect(m_ctl, &InspectionController::failed, this, &InspectDock::onFailed);
}

QWidget* InspectDock::buildRecurrentTab()
{
    auto* page = new QWidget(this);
    auto* v = new QVBoxLayout(page);
    v->setContentsMargins(6, 6, 6, 6);
    v->setSpacing(4);
    auto* bar = new QHBoxLayout;
    m_rnnNode = new QComboBox(page);
    m_rnnNode->setObjectName(QStringLiteral("rnnNode"));
    m_rnnDirection = new QComboBox(page);
    m_rnnDirection->addItems({ tr("forward"), tr("backward") });
    m_rnnDirection->setToolTip(tr("The backward direction of a bidirectional layer"));
    m_rnnSample = new QSpinBox(page);
    m_rnnShow = new QPushButton(tr("Show"), page);
    bar->addWidget(new QLabel(tr("Layer"), page));
    bar->addWidget(m_rnnNode, 1);
    bar->addWidget(m_rnnDirection);
    bar->addWidget(new QLabel(tr("Sample"), page));
    bar->addWidget(m_rnnSample);
    bar->addWidget(m_rnnShow);
    v->addLayout(bar);
    m_rnnMessage = hintLabel(page);
    m_rnnMessage->setText(tr("A recurrent layer (SimpleRNN, LSTM, GRU) over one sample: its hidden state and each "
                             "gate over time, and how much gradient of the class score reaches each step."));
    v->addWidget(m_rnnMessage);
    m_recurrent = new widgets::RecurrentGatesView(page);
    v->addWidget(m_recurrent, 1);
    connect(m_rnnShow, &QPushButton::clicked, this, &InspectDock::showRecurrent);
    return page;
}

void InspectDock::showRecurrent()
{
    setCurrentWidget(m_recurrentPage);
    if (m_rnnNode->count() == 0) {
        m_rnnMessage->setText(tr("The model has no SimpleRNN, LSTM or GRU layer."));
        return;
    }
    m_ctl->requestRecurrentGates(
        m_rnnSample->value(), m_rnnNode->currentData().toString(), m_rnnDirection->currentIndex());
}

QWidget* InspectDock::buildMapsTab()
{
    auto* page = new QWidget(this);
    auto* v = new QVBoxLayout(page);
    v->setContentsMargins(6, 6, 6, 6);
    v->setSpacing(4);
    auto* bar = new QHBoxLayout;
    m_layerBox = new QComboBox(page);
    m_layerBox->setMinimumContentsLength(14);
    m_layerBox->setAccessibleName(tr("Layer"));
    m_layerBox->setToolTip(tr("The layer whose output is shown (or select a node on the canvas)"));
    m_what = new QComboBox(page);
    m_what->addItems({ tr("Activations"), tr("Filters") });
    m_what->setAccessibleName(tr("Show activations or filters"));
    m_sampleSpin = new QSpinBox(page);
    m_sampleSpin->setRange(0, 0);
    m_sampleSpin->setPrefix(tr("sample "));
    m_sampleSpin->setAccessibleName(tr("Sample for the feature maps"));
    m_sampleSpin->setAccessibleDescription(tr("The index of the dataset sample shown through the network"));
    m_sampleSpin->setToolTip(tr("A sample of the dataset (double-click a thumbnail in the Data tab to pick one)"));
    m_random = new QPushButton(tr("Random"), page);
    m_openImage = new QPushButton(tr("Image…"), page);
    m_openImage->setToolTip(tr("Show the feature maps of an image file (or drop one on the window)"));
    m_live = new QCheckBox(tr("Live"), page);
    m_live->setToolTip(tr("Redraw while training, from the newest weights (a few times a second)"));
    bar->addWidget(new QLabel(tr("Layer"), page));
    bar->addWidget(m_layerBox);
    bar->addWidget(m_what);
    bar->addSpacing(8);
    bar->addWidget(m_sampleSpin);
    bar->addWidget(m_random);
    bar->addWidget(m_openImage);
    bar->addSpacing(8);
    bar->addWidget(m_live);
    bar->addStretch();
    v->addLayout(bar);
    // What the network makes of the sample, on a line of its own.
    m_guess = new QLabel(page);
    m_guess->setStyleSheet(QStringLiteral("color: #3a414c;"));
    m_guess->setSizePolicy(
        QSizePolicy::Ignored, QSizePolicy::Preferred); // long guesses are clipped, not widening the dock
    v->addWidget(m_guess);
    m_mapsSource = new QLabel(page);
    m_mapsSource->setObjectName(QStringLiteral("mapsWeightsSource"));
    m_mapsSource->setStyleSheet(QStringLiteral("color: #5a6270;"));
    m_mapsSource->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_mapsSource->hide();
    v->addWidget(m_mapsSource);
    m_mapsMessage = hintLabel(page);
    m_mapsMessage->setText(tr("Train the model (or open a project with trained weights), then select a layer."));
    v->addWidget(m_mapsMessage);
    m_mapsStack = new QStackedWidget(page);
    m_maps = new widgets::FeatureMapView(m_mapsStack);
    m_filters = new widgets::FilterView(m_mapsStack);
    m_mapsStack->addWidget(m_maps);
    m_mapsStack->addWidget(m_filters);
    v->addWidget(m_mapsStack, 1);

    connect(m_layerBox, &QComboBox::currentIndexChanged, this, [this] {
        updateFiltersView();
        requestMaps();
    });
    connect(m_what, &QComboBox::currentIndexChanged, this, &InspectDock::updateFiltersView);
    connect(m_sampleSpin, &QSpinBox::valueChanged, this, [this](int v) {
        m_sample = v;
        m_image.clear();
        requestMaps();
    });
    connect(m_random, &QPushButton::clicked, this, [this] {
        const InspectionData d = m_ctl->data();
        const auto& pool = d.testIndices;
        if (!pool.empty())
            m_sampleSpin->setValue(
                static_cast<int>(pool[QRandomGenerator::global()->bounded(static_cast<int>(pool.size()))]));
        else if (d.dataset && d.dataset->size() > 0)
            m_sampleSpin->setValue(QRandomGenerator::global()->bounded(static_cast<int>(d.dataset->size())));
    });
    connect(m_openImage, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Image to Inspect"), QString(), imageFilter());
        if (!path.isEmpty())
            showImage(path);
    });
    connect(m_live, &QCheckBox::toggled, m_ctl, &InspectionController::setLive);
    return page;
}

QWidget* InspectDock::buildEvaluationTab()
{
    auto* page = new QWidget(this);
    auto* v = new QVBoxLayout(page);
    v->setContentsMargins(6, 6, 6, 6);
    v->setSpacing(4);
    auto* bar = new QHBoxLayout;
    m_evaluate = new QPushButton(tr("Evaluate Test Split"), page);
    m_evalProgress = new QProgressBar(page);
    m_evalProgress->setMaximumWidth(160);
    m_evalProgress->setMaximumHeight(10);
    m_evalProgress->setTextVisible(false);
    m_evalProgress->hide();
    m_evalSummary = hintLabel(page);
    m_evalSummary->setText(
        tr("Evaluate the trained model on its test split: confusion matrix, per-class metrics, mistakes."));
    bar->addWidget(m_evaluate);
    bar->addWidget(m_evalProgress);
    bar->addWidget(m_evalSummary, 1);
    v->addLayout(bar);
    // Confusion matrix | per-class metrics | the images of a cell (or the mistakes).
    auto* split = new QSplitter(Qt::Horizontal, page);
    m_confusion = new widgets::ConfusionMatrixView(split);
    m_metrics = new widgets::MetricsTable(split);
    m_gallery = new widgets::SampleGallery(split);
    split->addWidget(m_confusion);
    split->addWidget(m_metrics);
    split->addWidget(m_gallery);
    split->setStretchFactor(0, 0);
    split->setStretchFactor(1, 0);
    split->setStretchFactor(2, 1);
    split->setSizes({ 420, 290, 300 });
    split->setChildrenCollapsible(false);
    m_evalStack = new QStackedWidget(page);
    m_evalStack->addWidget(split);
    m_regression = new widgets::RegressionPlot(m_evalStack);
    m_evalStack->addWidget(m_regression);
    v->addWidget(m_evalStack, 1);

    connect(m_evaluate, &QPushButton::clicked, this, &InspectDock::evaluate);
    connect(m_confusion, &widgets::ConfusionMatrixView::cellActivated, this, [this](int t, int p) {
        if (!m_haveEvaluation)
            return;
        const InspectionData d = m_ctl->data();
        const QStringList names = classNamesOf(d);
        const auto samples = m_evaluation.cell(t, p);
        m_gallery->setSamples(d.dataset, samples, names);
        m_gallery->setTitle(t == p
                ? tr("%1 — correct (%2)").arg(names.value(t)).arg(samples.size())
                : tr("%1 predicted as %2 (%3)").arg(names.value(t), names.value(p)).arg(samples.size()));
    });
    connect(m_gallery, &widgets::SampleGallery::sampleActivated, this, [this](qint64 index) { explainSample(index); });
    return page;
}

QWidget* InspectDock::buildExplainTab()
{
    auto* page = new QWidget(this);
    auto* v = new QVBoxLayout(page);
    v->setContentsMargins(6, 6, 6, 6);
    v->setSpacing(4);
    auto* bar = new QHBoxLayout;
    m_explainSpin = new QSpinBox(page);
    m_explainSpin->setRange(0, 0);
    m_explainSpin->setPrefix(tr("sample "));
    m_explainSpin->setAccessibleName(tr("Sample to explain"));
    m_explainSpin->setAccessibleDescription(tr("The index of a dataset sample whose class evidence is shown"));
    m_explainImage = new QPushButton(tr("Image…"), page);
    m_classBox = new QComboBox(page);
    m_classBox->setToolTip(tr("The class whose evidence is shown"));
    m_classBox->setAccessibleName(tr("Class to explain"));
    m_classBox->setMinimumContentsLength(12);
    bar->addWidget(m_explainSpin);
    bar->addWidget(m_explainImage);
    bar->addWidget(new QLabel(tr("Explain"), page));
    bar->addWidget(m_classBox);
    bar->addStretch();
    m_explainMessage = hintLabel(page);
    bar->addWidget(m_explainMessage, 1);
    v->addLayout(bar);
    m_explain = new widgets::ExplainView(page);
    v->addWidget(m_explain, 1);

    connect(m_explainSpin, &QSpinBox::valueChanged, this, [this](int i) {
        m_explainSample = i;
        m_explainPath.clear();
        requestExplain();
    });
    connect(m_explainImage, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Image to Explain"), QString(), imageFilter());
        if (path.isEmpty())
            return;
        m_explainPath = path;
        requestExplain();
    });
    connect(m_classBox, &QComboBox::activated, this, [this] { requestExplain(); });
    return page;
}

QWidget* InspectDock::buildStatsTab()
{
    auto* page = new QWidget(this);
    auto* v = new QVBoxLayout(page);
    v->setContentsMargins(6, 6, 6, 6);
    v->setSpacing(4);
    auto* bar = new QHBoxLayout;
    m_computeStats = new QPushButton(tr("Compute"), page);
    m_statsMessage = hintLabel(page);
    m_statsMessage->setText(
        tr("Histograms of each layer's activations, weights and gradients; dead ReLUs and saturated "
           "tanh/sigmoid units. Recomputed after every epoch while this tab is open."));
    bar->addWidget(m_computeStats);
    bar->addWidget(m_statsMessage, 1);
    v->addLayout(bar);
    m_stats = new widgets::LayerStatsView(page);
    v->addWidget(m_stats, 1);
    connect(m_computeStats, &QPushButton::clicked, this, [this] { m_ctl->requestStats(); });
    return page;
}

void InspectDock::sourceChanged(const ModelGraph& graph)
{
    m_graph = graph;
    const InspectionData d = m_ctl->data();
    {
        const QSignalBlocker block(m_rnnNode);
        const QString keepRnn = m_rnnNode->currentData().toString();
        m_rnnNode->clear();
        for (const std::string& id : graph.topologicalOrder()) {
            const GraphNode* n = graph.node(id);
            if (n && (n->type == "SimpleRNN" || n->type == "LSTM" || n->type == "GRU"))
                m_rnnNode->addItem(
                    QStringLiteral("%1 (%2)").arg(QString::fromStdString(id), QString::fromStdString(n->type)),
                    QString::fromStdString(id));
        }
        m_rnnNode->setCurrentIndex(std::max(0, m_rnnNode->findData(keepRnn)));
        m_rnnSample->setRange(0, d.dataset ? static_cast<int>(std::max<int64_t>(d.dataset->size() - 1, 0)) : 0);
    }
    const QString keep = layer();
    {
        const QSignalBlocker block(m_layerBox);
        m_layerBox->clear();
        for (const std::string& id : graph.topologicalOrder()) {
            const GraphNode* n = graph.node(id);
            if (!n || n->type == "Input")
                continue;
            m_layerBox->addItem(
                QStringLiteral("%1 (%2)").arg(QString::fromStdString(id), QString::fromStdString(n->type)),
                QString::fromStdString(id));
        }
        int idx = m_layerBox->findData(keep);
        if (idx < 0) // default: the first convolution, the most instructive maps
            for (int i = 0; i < m_layerBox->count() && idx < 0; ++i)
                if (m_layerBox->itemText(i).contains(QLatin1String("(Conv2D)")))
                    idx = i;
        m_layerBox->setCurrentIndex(std::max(idx, 0));
    }
    const int maxIndex = d.dataset ? static_cast<int>(std::max<int64_t>(d.dataset->size() - 1, 0)) : 0;
    {
        const QSignalBlocker b1(m_sampleSpin), b2(m_explainSpin);
        m_sampleSpin->setRange(0, maxIndex);
        m_explainSpin->setRange(0, maxIndex);
        if (!d.testIndices.empty() && m_sample == 0)
            m_sample = d.testIndices.front(); // a sample the model did not train on
        m_sampleSpin->setValue(static_cast<int>(std::min<int64_t>(m_sample, maxIndex)));
        m_explainSpin->setValue(static_cast<int>(std::min<int64_t>(m_explainSample, maxIndex)));
    }
    const QStringList names = classNamesOf(d);
    {
        const QSignalBlocker b(m_classBox);
        m_classBox->clear();
        m_classBox->addItem(tr("predicted class"), -1);
        for (int i = 0; i < names.size(); ++i)
            m_classBox->addItem(names[i], i);
    }
    m_mapsMessage->hide();
    updateFiltersView();
    requestMaps();
}

void InspectDock::setLayer(const QString& nodeId)
{
    const int idx = m_layerBox->findData(nodeId);
    if (idx >= 0)
        m_layerBox->setCurrentIndex(idx);
}

QString InspectDock::layer() const
{
    return m_layerBox->currentData().toString();
}

void InspectDock::showSample(int64_t index)
{
    m_image.clear();
    if (m_sampleSpin->value() == index)
        requestMaps();
    else
        m_sampleSpin->setValue(static_cast<int>(index));
}

void InspectDock::showImage(const QString& path)
{
    m_image = path;
    requestMaps();
}

void InspectDock::explainSample(int64_t index)
{
    setCurrentWidget(m_explainPage);
    m_explainPath.clear();
    if (m_explainSpin->value() == index)
        requestExplain();
    else
        m_explainSpin->setValue(static_cast<int>(index));
}

void InspectDock::explainImage(const QString& path)
{
    setCurrentWidget(m_explainPage);
    m_explainPath = path;
    requestExplain();
}

void InspectDock::evaluate()
{
    if (!m_ctl->hasSource()) {
        m_evalSummary->setText(tr("Nothing to evaluate yet: train the model first."));
        return;
    }
    m_evalProgress->setRange(0, 0);
    m_evalProgress->show();
    m_evaluate->setEnabled(false);
    m_evalSummary->setText(tr("Evaluating…"));
    m_ctl->requestEvaluation(5);
}

void InspectDock::requestMaps()
{
    if (!m_ctl->hasSource() || layer().isEmpty())
        return;
    if (m_what->currentIndex() == 1) {
        m_ctl->requestFilters(layer());
        return;
    }
    m_requestedSource = m_weightsSource;
    if (!m_image.isEmpty())
        m_ctl->requestFeatureMapsForImage(m_image, layer());
    else
        m_ctl->requestFeatureMaps(m_sample, layer());
}

void InspectDock::updateFiltersView()
{
    const GraphNode* n = m_graph.node(layer().toStdString());
    const bool conv = n && n->type == "Conv2D";
    m_what->setEnabled(conv);
    if (!conv && m_what->currentIndex() == 1) {
        const QSignalBlocker b(m_what);
        m_what->setCurrentIndex(0);
    }
    m_mapsStack->setCurrentIndex(m_what->currentIndex());
    if (m_what->currentIndex() == 1)
        requestMaps();
}

void InspectDock::requestExplain()
{
    if (!m_ctl->hasSource())
        return;
    const int cls = m_classBox->currentData().isValid() ? m_classBox->currentData().toInt() : -1;
    if (!m_explainPath.isEmpty())
        m_ctl->requestExplainImage(m_explainPath, cls);
    else
        m_ctl->requestExplain(m_explainSample, cls);
}

void InspectDock::onMaps(const FeatureMapsResult& r)
{
    if (QString::fromStdString(r.maps.node) != layer())
        return; // an answer to an older question
    m_maps->setInput(inputImage(r.input, r.channels, r.height, r.width));
    m_maps->setMaps(r.maps);
    const InspectionData d = m_ctl->data();
    const QStringList names = classNamesOf(d);
    QString what = r.imagePath.isEmpty() ? tr("sample %1").arg(r.sampleIndex) : QFileInfo(r.imagePath).fileName();
    // A labeled sample: right or wrong said with a mark and a word, not by color alone.
    QString verdict;
    if (r.sampleIndex >= 0 && d.dataset && r.sampleIndex < d.dataset->size()) {
        const int label = d.dataset->labels[static_cast<size_t>(r.sampleIndex)];
        what += tr(" (labeled %1)").arg(names.value(label));
        if (!r.scores.empty()) {
            const bool right = r.scores.front().cls == label;
            verdict = right ? QStringLiteral("<span style='color:#25652a'><b>✓ %1</b></span> ").arg(tr("right:"))
                            : QStringLiteral("<span style='color:#a1261b'><b>✗ %1</b></span> ").arg(tr("wrong:"));
        }
    }
    m_guess->setTextFormat(Qt::RichText);
    m_guess->setText(QStringLiteral("%1 → %2%3%4")
                         .arg(what.toHtmlEscaped(), verdict, scoresText(r.scores, names).toHtmlEscaped(),
                             r.live ? tr(" · live") : QString()));
    m_guess->setToolTip(QTextDocumentFragment::fromHtml(m_guess->text()).toPlainText());
    m_guess->setAccessibleName(m_guess->toolTip());
    // Which weights these maps come from: with Live off they stay as they were computed.
    m_mapsSource->setVisible(!m_requestedSource.isEmpty());
    m_mapsSource->setText(tr("Weights: %1%2").arg(m_requestedSource, r.live ? tr(" (live)") : QString()));
    m_mapsSource->setToolTip(m_mapsSource->text());
}

void InspectDock::onExplain(const ExplainResult& r)
{
    const InspectionData d = m_ctl->data();
    const QStringList names = classNamesOf(d);
    m_explain->setImage(inputImage(r.input, r.channels, r.height, r.width));
    m_explain->setScores(r.scores, names);
    m_explain->setHeatmaps(r.saliency, r.gradCam);
    QString what = r.imagePath.isEmpty() ? tr("sample %1").arg(r.sampleIndex) : QFileInfo(r.imagePath).fileName();
    if (r.sampleIndex >= 0 && d.dataset && r.sampleIndex < d.dataset->size())
        what += tr(", labeled %1").arg(names.value(d.dataset->labels[static_cast<size_t>(r.sampleIndex)]));
    m_explainMessage->setText(
        tr("%1: evidence for “%2”%3")
            .arg(what, names.value(r.explainedClass))
            .arg(r.gradCamNode.isEmpty() ? QString() : tr(" · Grad-CAM on %1").arg(r.gradCamNode)));
}

void InspectDock::onEvaluation(const inspect::Evaluation& e)
{
    m_evaluation = e;
    m_haveEvaluation = true;
    m_evalProgress->hide();
    m_evaluate->setEnabled(true);
    const InspectionData d = m_ctl->data();
    m_evalStack->setCurrentIndex(e.regression ? 1 : 0);
    // Only the page shown sets the stack's minimum size (a hidden confusion matrix would make
    // the regression plot taller than the dock, its axis labels scrolled out of view).
    for (int i = 0; i < m_evalStack->count(); ++i) {
        const bool shown = i == m_evalStack->currentIndex();
        m_evalStack->widget(i)->setSizePolicy(shown ? QSizePolicy::Expanding : QSizePolicy::Ignored,
            shown ? QSizePolicy::Expanding : QSizePolicy::Ignored);
    }
    m_evalStack->updateGeometry();
    if (e.regression) {
        showRegression(e, d);
        return;
    }
    const QStringList names = classNamesOf(d);
    m_confusion->setMatrix(e.confusion, names);
    m_metrics->setEvaluation(e, names);
    const auto mistakes = e.mistakes();
    m_gallery->setSamples(d.dataset, mistakes, names);
    m_gallery->setTitle(tr("Most confident mistakes (%1)").arg(mistakes.size()));
    m_evalSummary->setText(tr("%1 test samples · accuracy %2% · top-%3 %4% · click a cell to see its images")
                               .arg(e.samples.size())
                               .arg(e.accuracy * 100.0, 0, 'f', 2)
                               .arg(e.topK)
                               .arg(e.topKAccuracy * 100.0, 0, 'f', 2));
}

void InspectDock::showRegression(const inspect::Evaluation& e, const InspectionData& d)
{
    QString caption
        = tr("RMSE %1 · MAE %2 · R² %3")
              .arg(QString::number(e.rmse, 'g', 4), QString::number(e.mae, 'g', 4), QString::number(e.r2, 'f', 3));
    if (std::isfinite(e.naiveRmse))
        caption += QStringLiteral("\n") + tr("naive last value: RMSE %1").arg(QString::number(e.naiveRmse, 'g', 4));
    if (d.dataset && d.dataset->seriesDifferenced)
        caption += QStringLiteral("\n") + tr("values: changes from the window's last value");
    m_regression->setData(e.actual, e.predicted, caption);
    const Dataset* data = d.dataset.get();
    if (data && data->seriesTargetFeature >= 0 && !e.indices.empty()) {
        // The series in the data's units, each test window's first forecast step at its time.
        std::vector<float> series = data->series;
        const size_t k = static_cast<size_t>(data->targetSize());
        std::vector<int64_t> times;
        std::vector<float> forecasts;
        for (size_t s = 0; s < e.indices.size(); ++s) {
            const int64_t t = data->targetTime[static_cast<size_t>(e.indices[s])];
            times.push_back(t);
            // A forecast of changes is a change from the window's last value.
            forecasts.push_back(e.predicted[s * k]
                + (data->seriesDifferenced && t > 0 ? data->series[static_cast<size_t>(t - 1)] : 0.0f));
        }
        const int64_t testBegin = times.empty() ? -1 : times.front();
        m_regression->setSeries(std::move(series), std::move(times), std::move(forecasts), testBegin);
    } else {
        m_regression->setSeries({}, {}, {}, -1);
    }
    m_evalSummary->setText(
        tr("%1 test samples · RMSE %2 · MAE %3 · R² %4%5")
            .arg(e.indices.size())
            .arg(QString::number(e.rmse, 'g', 4), QString::number(e.mae, 'g', 4), QString::number(e.r2, 'f', 3))
            .arg(std::isfinite(e.naiveRmse)
                    ? tr(" · naive last-value RMSE %1").arg(QString::number(e.naiveRmse, 'g', 4))
                    : QString()));
}

void InspectDock::onFailed(const QString& message)
{
    m_evalProgress->hide();
    m_evaluate->setEnabled(true);
    QWidget* page = currentWidget();
    QLabel* target = page == m_evaluationPage ? m_evalSummary
        : page == m_explainPage               ? m_explainMessage
        : page == m_statsPage                 ? m_statsMessage
                                              : m_mapsMessage;
    target->setText(QStringLiteral("<span style='color:#a1261b'>%1</span>").arg(message.toHtmlEscaped()));
    target->show();
}

} // namespace netcanvas::app
