#pragma once
// InspectDock: the "look inside" views as tabs (the main window puts its training charts in
// front of them, in the bottom dock), over an InspectionController.
//   Feature Maps — the channels of the layer selected on the canvas (or in the layer box)
//     for one sample (number, Random, the Data tab's thumbnails, or an image file), with the
//     network's top-3 guess; Filters of a convolution; Live redraws them while training.
//   Evaluation — confusion matrix (counts / row-normalized; a cell opens its images),
//     per-class precision/recall/F1, accuracy and top-5, and the gallery of the most
//     confident mistakes.
//   Explain — top-5 classes of a sample or an image file with its saliency and Grad-CAM.
//   Layer Stats — activation, weight and gradient histograms; dead and saturated units.
// Requests go through the controller (worker thread); this class only shows results.
#include "app/InspectionController.h"

#include <QTabWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QStackedWidget;

namespace netcanvas::widgets {
class ConfusionMatrixView;
class ExplainView;
class FeatureMapView;
class FilterView;
class LayerStatsView;
class MetricsTable;
class RecurrentGatesView;
class RegressionPlot;
class SampleGallery;
} // namespace netcanvas::widgets

namespace netcanvas::app {

class InspectDock : public QTabWidget {
    Q_OBJECT
public:
    explicit InspectDock(InspectionController* controller, QWidget* parent = nullptr);

    // The layer to show (a node id; from the canvas selection).
    void setLayer(const QString& nodeId);
    QString layer() const;
    // The sample to show (an index into the inspected dataset) / an image file instead.
    void showSample(int64_t index);
    void showImage(const QString& path);
    // After a run starts or weights load: refresh the layer list and what is on screen.
    void sourceChanged(const ModelGraph& graph);
    // Shows the Explain tab for a sample.
    void explainSample(int64_t index);
    // Shows the Explain tab for an image file: its class, top-k probabilities and Grad-CAM.
    void explainImage(const QString& path);
    void evaluate();
    // Where the inspected weights come from now ("Run 2 · epoch 1/8, batch 120/844"); the
    // feature maps say it under the prediction, as of their request.
    void setWeightsSource(const QString& text) { m_weightsSource = text; }
    // The prediction line and the weights' source line of the Feature Maps tab (for tests).
    QLabel* guessLabel() const { return m_guess; }
    QLabel* mapsSourceLabel() const { return m_mapsSource; }

    widgets::FeatureMapView* featureMapView() const { return m_maps; }
    widgets::ConfusionMatrixView* confusionView() const { return m_confusion; }
    widgets::ExplainView* explainView() const { return m_explain; }
    widgets::LayerStatsView* statsView() const { return m_stats; }
    widgets::SampleGallery* gallery() const { return m_gallery; }
    widgets::RegressionPlot* regressionPlot() const { return m_regression; }
    QCheckBox* liveBox() const { return m_live; }
    QWidget* mapsPage() const { return m_mapsPage; }
    QWidget* evaluationPage() const { return m_evaluationPage; }
    QWidget* explainPage() const { return m_explainPage; }
    QWidget* statsPage() const { return m_statsPage; }
    QWidget* recurrentPage() const { return m_recurrentPage; }
    widgets::RecurrentGatesView* recurrentView() const { return m_recurrent; }
    // Shows the Recurrent tab and requests the gates of the chosen node for the chosen sample.
    void showRecurrent();

private:
    QWidget* buildMapsTab();
    QWidget* buildEvaluationTab();
    QWidget* buildExplainTab();
    QWidget* buildStatsTab();
    QWidget* buildRecurrentTab();
    void requestMaps();
    void requestExplain();
    void onMaps(const FeatureMapsResult& r);
    void onExplain(const ExplainResult& r);
    void onEvaluation(const inspect::Evaluation& e);
    // Real-valued targets: the predicted-vs-actual plot (and a forecast's series) and the metrics.
    void showRegression(const inspect::Evaluation& e, const InspectionData& d);
    void onFailed(const QString& message);
    void updateFiltersView();

    InspectionController* m_ctl;
    // The tabs (each a scroll area around its page).
    QWidget* m_mapsPage;
    QWidget* m_evaluationPage;
    QWidget* m_explainPage;
    QWidget* m_statsPage;
    QWidget* m_recurrentPage;
    ModelGraph m_graph;
    inspect::Evaluation m_evaluation;
    bool m_haveEvaluation = false;
    int64_t m_sample = 0;
    QString m_image; // an image file shown instead of m_sample

    // Feature maps
    QComboBox* m_layerBox;
    QSpinBox* m_sampleSpin;
    QPushButton* m_random;
    QPushButton* m_openImage;
    QCheckBox* m_live;
    QComboBox* m_what; // activations | filters
    QLabel* m_guess;
    QLabel* m_mapsSource = nullptr; // "weights: Run 2 · epoch 3/8 (final)"
    QString m_weightsSource, m_requestedSource;
    QLabel* m_mapsMessage;
    QStackedWidget* m_mapsStack;
    widgets::FeatureMapView* m_maps;
    widgets::FilterView* m_filters;
    // Evaluation
    QPushButton* m_evaluate;
    QProgressBar* m_evalProgress;
    QLabel* m_evalSummary;
    widgets::ConfusionMatrixView* m_confusion;
    widgets::MetricsTable* m_metrics;
    widgets::SampleGallery* m_gallery;
    QStackedWidget* m_evalStack; // 0: confusion | metrics | gallery; 1: the regression plot
    widgets::RegressionPlot* m_regression;
    // Explain
    QSpinBox* m_explainSpin;
    QPushButton* m_explainImage;
    QComboBox* m_classBox;
    QLabel* m_explainMessage;
    widgets::ExplainView* m_explain;
    int64_t m_explainSample = 0;
    QString m_explainPath;
    // Recurrent gates
    QComboBox* m_rnnNode;
    QComboBox* m_rnnDirection;
    QSpinBox* m_rnnSample;
    QPushButton* m_rnnShow;
    QLabel* m_rnnMessage;
    widgets::RecurrentGatesView* m_recurrent;
    // Layer stats
    QPushButton* m_computeStats;
    QLabel* m_statsMessage;
    widgets::LayerStatsView* m_stats;
};

// The sample as an image: gray for 1 channel, RGB for 3 (values in [0, 1]).
QImage inputImage(const std::vector<float>& chw, int channels, int height, int width);

} // namespace netcanvas::app
