#pragma once
// GradientSync: what a data-parallel run adds to a training step, as the Trainer sees it —
// an interface with no MPI in it (engine/distributed/ implements it over MPI; a Trainer
// without one trains alone, exactly as before).
//
// The Trainer calls, in this order, on every rank and for every step:
//   attach()            once per fit(), before the first step (network, parameters);
//   beginStep()         before forward, with this rank's batch and the global batch's size;
//   layerDone(node)     from Network's backward observer, right after that node's backward:
//                       its parameter gradients are final, so their all-reduce may start;
//   finishGradients()   after backward, before loss scaling, clipping and the optimizer: on
//                       return every trainable gradient is the global batch's gradient (the
//                       sample-weighted mean over ranks), identical on every rank;
//   abandonStep()       instead of finishGradients() when this rank's loss is not finite: the
//                       other ranks still complete the step (they receive NaN gradients and
//                       stop as diverged too), so no rank waits forever;
//   afterUpdate()       after the optimizer step (parameter averaging happens here);
//   detach()            when fit() ends.
// Requires: every rank calls the same sequence with the same number of steps (the sharded
// loader guarantees equal batch counts). Implementations end the job with a message naming
// the rank and host when a peer dies or stops answering (no silent hang).
#include "engine/train/Network.h"

#include <cstdint>
#include <string>
#include <vector>

namespace netcanvas {

class GradientSync {
public:
    virtual ~GradientSync() = default;
    virtual int rank() const = 0; // 0-based
    virtual int size() const = 0; // number of ranks (1: nothing to do)
    virtual void attach(
        Network& network, const std::vector<NamedParameter>& trainable, const std::vector<NamedParameter>& all)
        = 0;
    virtual void beginStep(int64_t localBatch, int64_t globalBatch) = 0;
    virtual void layerDone(const std::string& nodeId) = 0;
    virtual void finishGradients() = 0;
    virtual void abandonStep() = 0;
    virtual void afterUpdate() = 0;
    virtual void detach() = 0;
};

} // namespace netcanvas
