#pragma once
// Project fixtures shared by the project-file and document tests: a finished run with batch
// and epoch curves and a test confusion matrix, and a model with canvas positions.
#include "common/Fixtures.h"
#include "engine/session/RunRecord.h"

#include <algorithm>
#include <limits>

namespace netcanvas::fixtures {

inline RunRecord sampleRun(int id, int batches, int classes = 3)
{
    RunRecord r;
    r.id = id;
    r.modelName = "bars-cnn";
    r.datasetName = "bars";
    r.config.optimizer.kind = "sgd";
    r.config.optimizer.learningRate = 0.05;
    r.config.optimizer.momentum = 0.9;
    r.config.epochs = 2;
    r.config.batchSize = 16;
    r.config.augmentation.maxShift = 2;
    const int perEpoch = batches / 2;
    for (int i = 0; i < batches; ++i) {
        BatchEvent e;
        e.globalStep = i;
        e.batchesPerEpoch = perEpoch;
        e.totalSteps = batches;
        e.epoch = i / perEpoch;
        e.batch = i % perEpoch;
        e.loss = 2.0 / (1.0 + i) + 1e-7 * i;
        e.accuracy = std::min(1.0, 0.3 + 0.01 * i);
        e.learningRate = 0.05 * (1.0 - 0.1 * e.epoch);
        r.batches.push_back(e);
    }
    for (int ep = 0; ep < 2; ++ep) {
        EpochEvent e;
        e.epoch = ep;
        e.trainLoss = 1.0 / (ep + 1);
        e.trainAccuracy = 0.5 + 0.2 * ep;
        e.validationLoss = ep == 0 ? 0.9 : std::numeric_limits<double>::quiet_NaN();
        e.validationAccuracy = 0.6 + 0.1 * ep;
        e.learningRate = 0.05;
        e.seconds = 1.5;
        e.samplesPerSecond = 1234.5;
        e.improved = ep == 0;
        r.epochs.push_back(e);
    }
    r.running = false;
    r.summary.epochsCompleted = 2;
    r.summary.seconds = 3.0;
    r.summary.bestEpoch = 0;
    r.summary.bestValidationLoss = 0.9;
    r.summary.testAccuracy = 0.875;
    r.summary.testLoss = 0.4;
    r.summary.testSamples = 40;
    r.summary.testConfusion.reset(classes);
    r.summary.testConfusion.add(0, 0, 12);
    r.summary.testConfusion.add(1, 2, 3);
    r.summary.testConfusion.add(2, 2, 25);
    return r;
}

inline ModelGraph positionedCnn()
{
    ModelGraph g = barsCnn(3, 4);
    double y = 0;
    for (const GraphNode& n : g.nodes()) {
        GraphNode* m = g.node(n.id);
        m->ui = { { "x", 40.5 }, { "y", y } };
        y += 120;
    }
    return g;
}

} // namespace netcanvas::fixtures
