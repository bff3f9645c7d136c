#pragma once
// Looking inside a trained network (Qt-free): feature maps, class probabilities and top-k,
// saliency and Grad-CAM explanations, per-layer statistics (histograms, dead and saturated
// units), and a detailed evaluation (confusion, top-k accuracy, every sample's prediction
// for the mistakes gallery). The app's Inspect views and `netcanvas-cli eval /
// featuremaps / explain` are built on these functions.
//
// Inputs are samples of a Dataset (uint8 or float) turned into network input by
// sampleTensor(): scaled to [0, 1] and normalized with the run's Normalization, exactly as
// the Trainer does — so what is inspected is what was trained.
//
// Requires: `network` is not used by another thread during a call (the app inspects a
// private copy filled from Trainer::copySnapshot()). Calls run forward passes in inference
// mode (dropout off, batch norm on running statistics) and may run backward passes; they
// leave the parameters unchanged (their grads are overwritten). The network runs on a
// host-memory backend (the CPU's: inspection networks always do; Trainer::copySnapshot
// fills them from any device) — these functions read activations and gradients in place.
// Errors: a node id that does not exist, or a node whose output cannot be shown as maps,
// throws GraphError naming it; a sample index, row, class or label out of range throws
// DataError; an input that does not fit the Input node throws ShapeError.
#include "engine/data/Dataset.h"
#include "engine/data/Split.h"
#include "engine/layers/Recurrent.h"
#include "engine/train/Metrics.h"
#include "engine/train/Network.h"

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace netcanvas::inspect {

// Sample `index` of `data` as a 1×C×H×W (or 1×features) network input.
Tensor sampleTensor(const Dataset& data, int64_t index, const Normalization& norm);
// Several samples as one N×… batch.
Tensor batchTensor(const Dataset& data, const std::vector<int64_t>& indices, const Normalization& norm);

// One node's activation for one input, as planes: channels × height × width (a node with a
// flat output, e.g. Dense, gives channels = 1, height = 1, width = features).
struct FeatureMaps {
    std::string node;
    int channels = 0, height = 0, width = 0;
    std::vector<float> values; // channels·height·width, channel-major
    // Per channel: min, max, mean (for the zoomed view and shared/per-channel scaling).
    std::vector<float> channelMin, channelMax, channelMean;
};
// Runs `input` (1×…) forward and returns the activation of `nodeId`.
FeatureMaps featureMaps(Network& network, const Tensor& input, const std::string& nodeId);
// The activations of several nodes from one forward pass (same order as nodeIds).
std::vector<FeatureMaps> featureMaps(Network& network, const Tensor& input, const std::vector<std::string>& nodeIds);

// Nodes whose output has spatial maps (rank-3 output shape with H·W > 1), in execution order.
std::vector<std::string> spatialNodes(const Network& network);
// The last convolution (Conv2D) in execution order; empty when there is none.
std::string lastConvolution(const Network& network);

// Weights of a Conv2D node as filters: filters × inChannels × k × k, plus the layout.
struct Filters {
    std::string node;
    int filters = 0, channels = 0, height = 0, width = 0;
    std::vector<float> values;
};
Filters convolutionFilters(Network& network, const std::string& nodeId);

// Class probabilities of the network's output for each row of `output` (softmax of the
// logits; the values as they are when the output node is already a Softmax).
std::vector<float> probabilities(const Network& network, const Tensor& output, int64_t row);
struct ClassScore {
    int cls = 0;
    float probability = 0.0f;
};
// The k most probable classes for `input` (1×…), most probable first.
std::vector<ClassScore> classify(Network& network, const Tensor& input, int k);

// A heat map over the input's H×W, values in [0, 1] (1 = most important).
struct Heatmap {
    int height = 0, width = 0;
    std::vector<float> values; // height·width, row-major
};
// Vanilla gradient saliency: |d score_cls / d input|, max over channels, scaled to [0, 1]
// (the class score as for gradCam()). Uses Network::setKeepInputGradient, restored after.
Heatmap saliency(Network& network, const Tensor& input, int cls);
// Grad-CAM (Selvaraju et al. 2017) on `nodeId` (default: lastConvolution()): the ReLU of
// the channel maps weighted by their spatially averaged gradients of the class score,
// bilinearly upsampled to the input's H×W and scaled to [0, 1]. The class score is the
// logit (pre-softmax) when the output is a Softmax node.
Heatmap gradCam(Network& network, const Tensor& input, int cls, const std::string& nodeId = {});

// Per-layer statistics for instructors: distributions and the units that stopped learning.
struct Histogram {
    float min = 0.0f, max = 0.0f;
    std::vector<int64_t> counts; // equal-width bins over [min, max] of the finite values (NaN/Inf left out)
    double mean = 0.0, stddev = 0.0;
    int64_t total() const;
};
struct LayerStats {
    std::string node, type;
    Histogram activations; // this node's output over the batch
    Histogram weights; // its first trainable parameter ("weight"); empty counts when none
    Histogram gradients; // d loss / d weight over the batch; empty counts when none
    // The statistic the activation table (backend/kernels/ActivationTable.h) gives the node's kind:
    double deadFraction
        = -1.0; // DeadUnits (ReLU/LeakyReLU/ELU): units (channel·position) never > 0 over the batch; -1 n/a
    double saturatedFraction
        = -1.0; // Saturation: values outside the row's range (Tanh: |y| > 0.99; Sigmoid: y < 0.01 or > 0.99); -1 n/a
};
// One forward and backward pass (cross-entropy against `labels`) over `batch`.
std::vector<LayerStats> layerStatistics(
    Network& network, const Tensor& batch, const std::vector<int32_t>& labels, int bins = 40);

// A recurrent layer (SimpleRNN, LSTM, GRU) over one input: its hidden state and each gate's
// activations over time (time × unit heat maps; LSTM also the cell state "c"), and the norm
// of the gradient of the class score reaching each step's hidden state ‖d score / d h_t‖ —
// the picture of an LSTM keeping long-range gradient where a SimpleRNN's vanishes.
struct RecurrentGates {
    std::string node, type;
    int direction = 0; // 0 forward, 1 the backward direction of a bidirectional layer
    int cls = 0; // the class whose score (the logit under a final Softmax) was back-propagated
    RecurrentTrace trace; // time in input order
};
// Recurrent nodes in execution order.
std::vector<std::string> recurrentNodes(const Network& network);
// Runs `input` (1×…) forward in inference mode and back-propagates the score of `cls` (−1:
// the predicted class). nodeId empty: the first recurrent node. Throws GraphError when the
// node is not recurrent (or the network has none), DataError for a bad class or direction.
RecurrentGates recurrentGates(
    Network& network, const Tensor& input, const std::string& nodeId = {}, int cls = -1, int direction = 0);

// Every sample's prediction over a set of samples.
struct SamplePrediction {
    int64_t index = 0; // into the dataset
    int truth = 0, predicted = 0;
    float confidence = 0.0f; // probability of `predicted`
    float truthProbability = 0.0f; // probability of `truth`
};
struct Evaluation {
    ConfusionMatrix confusion;
    double accuracy = 0.0; // NaN (as topKAccuracy) when there are no samples
    int topK = 5; // as asked, clamped to [1, classes]
    double topKAccuracy = 0.0; // truth among the topK most probable classes (ties: lower class first)
    std::vector<SamplePrediction> samples; // in the order of `indices`
    // Real-valued targets (Dataset::isRegression; evaluateRegression): no confusion matrix but
    // RMSE, MAE and R² and each sample's predicted and actual target values in the data's
    // units (samples × targetSize, in the order of `indices`); for a series also the naive
    // last-value forecast's RMSE on the same samples (NaN otherwise).
    bool regression = false;
    double rmse = std::numeric_limits<double>::quiet_NaN(), mae = std::numeric_limits<double>::quiet_NaN();
    double r2 = std::numeric_limits<double>::quiet_NaN(), naiveRmse = std::numeric_limits<double>::quiet_NaN();
    std::vector<int64_t> indices;
    std::vector<float> predicted, actual;
    // Misclassified samples, most confident mistakes first.
    std::vector<SamplePrediction> mistakes() const;
    // Samples with truth t predicted as p (a confusion-matrix cell), most confident first.
    std::vector<SamplePrediction> cell(int t, int p) const;
};
// Regression: the network's outputs taken as targets normalized by `targetNorm` (one mean and
// deviation, as the Trainer trains them; empty = as stored) and brought back to the data's units.
Evaluation evaluateRegression(Network& network, const Dataset& data, const std::vector<int64_t>& indices,
    const Normalization& norm, const Normalization& targetNorm, int64_t batchSize = 256,
    const std::function<bool(int64_t, int64_t)>& progress = {});
// `progress(done, total)` may return false to cancel (throws DataError "cancelled").
Evaluation evaluate(Network& network, const Dataset& data, const std::vector<int64_t>& indices,
    const Normalization& norm, int topK = 5, int64_t batchSize = 256,
    const std::function<bool(int64_t, int64_t)>& progress = {});

} // namespace netcanvas::inspect
