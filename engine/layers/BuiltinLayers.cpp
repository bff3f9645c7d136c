// One line per built-in layer kind. Adding a layer: a file pair in engine/layers/ with a
// register<Kind>(LayerRegistry&) function, its tests (the generic gradient check in
// tests/engine/test_layers.cpp fails until the kind has a configuration there), and one
// line here (an activation kind is a row of backend/kernels/ActivationTable.h instead).
// Registration order is palette order.
#include "engine/layers/LayerRegistry.h"

#include "engine/layers/Activations.h"
#include "engine/layers/Add.h"
#include "engine/layers/AvgPool2D.h"
#include "engine/layers/BatchNorm.h"
#include "engine/layers/Concat.h"
#include "engine/layers/Conv1D.h"
#include "engine/layers/Conv2D.h"
#include "engine/layers/Dense.h"
#include "engine/layers/Dropout.h"
#include "engine/layers/Embedding.h"
#include "engine/layers/Flatten.h"
#include "engine/layers/GRU.h"
#include "engine/layers/GlobalAvgPool2D.h"
#include "engine/layers/GlobalPool1D.h"
#include "engine/layers/Input.h"
#include "engine/layers/LSTM.h"
#include "engine/layers/MaxPool1D.h"
#include "engine/layers/MaxPool2D.h"
#include "engine/layers/Reshape.h"
#include "engine/layers/SimpleRNN.h"
#include "engine/layers/Softmax.h"
#include "engine/layers/TimeDistributedDense.h"

namespace netcanvas {

void registerBuiltinLayers(LayerRegistry& registry)
{
    registerInput(registry);
    registerDense(registry);
    registerFlatten(registry);
    registerReshape(registry);
    registerConv2D(registry);
    registerMaxPool2D(registry);
    registerAvgPool2D(registry);
    registerGlobalAvgPool2D(registry);
    registerActivations(registry); // ReLU, LeakyReLU, ELU, Tanh, Sigmoid: backend/kernels/ActivationTable.h
    registerSoftmax(registry);
    registerDropout(registry);
    registerBatchNorm(registry);
    registerAdd(registry);
    registerConcat(registry);
    registerEmbedding(registry); // Sequence: T×F steps × features (layers/SequenceSupport.h)
    registerSimpleRNN(registry);
    registerLSTM(registry);
    registerGRU(registry);
    registerConv1D(registry);
    registerMaxPool1D(registry);
    registerGlobalPool1D(registry); // GlobalAvgPool1D, GlobalMaxPool1D
    registerTimeDistributedDense(registry);
}

} // namespace netcanvas
