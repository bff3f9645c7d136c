#pragma once
// MpiGradientSync: GradientSync over MPI (CPU memory) — synchronous data parallelism.
//
// Modes (DistributedOptions::mode):
//  - Overlap (default): the trainable gradients, in backward order, are cut into buckets of
//    about bucketBytes. When the backward of the last node of a bucket is done
//    (layerDone), the bucket is packed — each rank's gradient weighted by its share of the
//    global batch, n_r / n — and MPI_Iallreduce(SUM) starts; communication then runs while
//    the earlier layers compute their backward. Open MPI has no progress thread by default:
//    a non-blocking collective advances only inside MPI calls, so every layerDone() also
//    calls MPI_Testall on the buckets in flight (the progress strategy). finishGradients()
//    waits for the rest and unpacks.
//  - Blocking: the same buckets, all started in finishGradients() after the whole backward
//    (no overlap): the reference the overlap is measured against.
//  - Average: no gradient exchange; every `averageEvery` steps (and at the end of fit) the
//    parameter values — and batch-norm running statistics — are averaged over the ranks
//    (DL4J / BigDL-style parameter averaging; docs/distributed.md gives the trade-off).
// At the first step of a fit() every parameter is broadcast from rank 0, so all ranks start
// from the same weights whatever each one loaded.
// Ensures (Overlap, Blocking): after finishGradients() every rank holds the same gradients,
// the gradient of the mean loss over the global batch (up to float summation order).
#include "engine/distributed/MpiComm.h"
#include "engine/train/GradientSync.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace netcanvas {

enum class SyncMode { Overlap, Blocking, Average };

// Totals since construction (rank-local), for the run's summary and docs/distributed.md.
struct SyncStats {
    int64_t steps = 0;
    int64_t reductions = 0; // all-reduce calls (buckets, or averaging rounds)
    double bytes = 0.0; // payload all-reduced by this rank (bytes of float)
    double waitSeconds = 0.0; // blocked in finishGradients()/afterUpdate(): communication not hidden
    double backwardSeconds = 0.0; // from the first layerDone() to finishGradients() of each step
};

class MpiGradientSync final : public GradientSync {
public:
    MpiGradientSync(MpiComm& comm, SyncMode mode, double bucketBytes, int averageEvery);

    int rank() const override { return m_comm.rank(); }
    int size() const override { return m_comm.size(); }
    void attach(Network& network, const std::vector<NamedParameter>& trainable,
        const std::vector<NamedParameter>& all) override;
    void beginStep(int64_t localBatch, int64_t globalBatch) override;
    void layerDone(const std::string& nodeId) override;
    void finishGradients() override;
    void abandonStep() override;
    void afterUpdate() override;
    void detach() override;

    const SyncStats& stats() const { return m_stats; }
    int bucketCount() const { return static_cast<int>(m_buckets.size()); }
    // Float values all-reduced per step (Overlap/Blocking): the trainable gradients.
    int64_t valuesPerStep() const { return m_gradientValues; }

private:
    struct Bucket {
        std::vector<size_t> params; // indices into m_params
        std::vector<float> buffer;
        int pending = 0; // params whose node's backward has not finished this step
        bool launched = false;
    };
    void launch(Bucket& b, bool poison = false); // poison: NaN instead of this rank's gradients
    void waitAll(const std::string& what);
    void broadcastParameters();
    void averageParameters();
    float* hostGrad(size_t i); // the gradient of m_params[i] on the host (downloaded when on a device)
    void storeGrad(size_t i);

    MpiComm& m_comm;
    SyncMode m_mode;
    double m_bucketBytes;
    int m_averageEvery;
    Network* m_network = nullptr;
    std::vector<NamedParameter> m_params; // the trainable ones, backward order
    std::vector<NamedParameter> m_all; // every parameter (broadcast, averaging)
    std::map<std::string, std::vector<size_t>> m_nodeParams; // node id -> indices into m_params
    std::vector<size_t> m_bucketOf; // per param index: its bucket
    std::vector<Bucket> m_buckets;
    std::vector<MPI_Request> m_requests; // per bucket
    std::vector<Tensor> m_hostGrads; // device backends: host copies of the gradients
    int64_t m_gradientValues = 0;
    double m_weight = 1.0; // this rank's n_r / n for the current step
    bool m_needBroadcast = true;
    int64_t m_step = 0; // steps since attach
    int64_t m_globalStep = 0; // steps since construction (heartbeats)
    double m_firstLayerDone = -1.0;
    SyncStats m_stats;
};

} // namespace netcanvas
