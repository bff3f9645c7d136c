#include "engine/distributed/MpiGradientSync.h"

#include "engine/core/Error.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>

namespace netcanvas {

namespace {

double now()
{
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// The Trainer's rule for a parameter the optimizer updates (Trainer.cpp, updatedByOptimizer).
bool reduced(const Parameter& p)
{
    return p.trainable && !p.grad.empty() && p.grad.size() == p.value.size();
}

} // namespace

MpiGradientSync::MpiGradientSync(MpiComm& comm, SyncMode mode, double bucketBytes, int averageEvery)
    : m_comm(comm)
    , m_mode(mode)
    , m_bucketBytes(std::max(bucketBytes, 4.0))
    , m_averageEvery(std::max(averageEvery, 1))
{
}

void MpiGradientSync::attach(
    Network& network, const std::vector<NamedParameter>& trainable, const std::vector<NamedParameter>& all)
{
    m_network = &network;
    m_all = all;
    m_params.clear();
    m_nodeParams.clear();
    m_buckets.clear();
    // Backward order: the last node's parameters first (their gradients are ready first).
    for (auto it = trainable.rbegin(); it != trainable.rend(); ++it)
        if (reduced(*it->param))
            m_params.push_back(*it);
    m_bucketOf.assign(m_params.size(), 0);
    m_hostGrads.clear();
    m_hostGrads.resize(m_params.size()); // default (host) tensors: filled on device backends only
    m_gradientValues = 0;
    double bytes = 0.0;
    for (size_t i = 0; i < m_params.size(); ++i) {
        if (m_buckets.empty() || bytes >= m_bucketBytes) {
            m_buckets.emplace_back();
            bytes = 0.0;
        }
        Bucket& b = m_buckets.back();
        b.params.push_back(i);
        const int64_t n = m_params[i].param->grad.size();
        b.buffer.resize(b.buffer.size() + static_cast<size_t>(n));
        bytes += 4.0 * static_cast<double>(n);
        m_gradientValues += n;
        m_bucketOf[i] = m_buckets.size() - 1;
        m_nodeParams[m_params[i].node].push_back(i);
    }
    m_requests.assign(m_buckets.size(), MPI_REQUEST_NULL);
    m_needBroadcast = true;
    m_step = 0;
    if (m_mode != SyncMode::Average)
        network.setBackwardObserver([this](const std::string& id) { layerDone(id); });
}

void MpiGradientSync::detach()
{
    if (!m_network)
        return;
    // Parameter averaging ends every fit() on one model, whatever k: rank 0 saves it.
    if (m_mode == SyncMode::Average && m_step % m_averageEvery != 0)
        averageParameters();
    m_network->setBackwardObserver({});
    m_network = nullptr;
}

void MpiGradientSync::broadcastParameters()
{
    std::vector<Tensor> host(m_all.size());
    std::vector<MPI_Request> requests;
    for (size_t i = 0; i < m_all.size(); ++i) {
        Tensor& value = m_all[i].param->value;
        float* data = value.data();
        if (!value.isHost()) {
            m_network->assign(host[i], value);
            data = host[i].data();
        }
        requests.emplace_back();
        MPI_Ibcast(data, static_cast<int>(value.size()), MPI_FLOAT, 0, MPI_COMM_WORLD, &requests.back());
    }
    m_comm.wait(requests, "the broadcast of rank 0's initial weights");
    for (size_t i = 0; i < m_all.size(); ++i)
        if (!m_all[i].param->value.isHost())
            m_network->assign(m_all[i].param->value, host[i]);
}

void MpiGradientSync::beginStep(int64_t localBatch, int64_t globalBatch)
{
    m_comm.setStep(m_globalStep++);
    if (m_needBroadcast) {
        broadcastParameters();
        m_needBroadcast = false;
    }
    // Each rank's loss is the mean over its own rows: weighted by n_r / n, the sum over ranks is
    // the mean over the global batch (equal shares but for the last batch of an epoch).
    m_weight = globalBatch > 0 ? static_cast<double>(localBatch) / static_cast<double>(globalBatch)
                               : 1.0 / static_cast<double>(size());
    for (Bucket& b : m_buckets) {
        b.pending = static_cast<int>(b.params.size());
        b.launched = false;
    }
    m_firstLayerDone = -1.0;
}

float* MpiGradientSync::hostGrad(size_t i)
{
    Tensor& grad = m_params[i].param->grad;
    if (grad.isHost())
        return grad.data();
    m_network->assign(m_hostGrads[i], grad); // a download on a device backend
    return m_hostGrads[i].data();
}

void MpiGradientSync::storeGrad(size_t i)
{
    Tensor& grad = m_params[i].param->grad;
    if (!grad.isHost())
        m_network->assign(grad, m_hostGrads[i]);
}

void MpiGradientSync::launch(Bucket& b, bool poison)
{
    const float w = static_cast<float>(m_weight);
    float* out = b.buffer.data();
    for (size_t i : b.params) {
        const int64_t n = m_params[i].param->grad.size();
        if (poison) {
            std::fill(out, out + n, std::numeric_limits<float>::quiet_NaN());
        } else {
            const float* g = hostGrad(i);
            for (int64_t k = 0; k < n; ++k)
                out[k] = w * g[k];
        }
        out += n;
    }
    const size_t index = static_cast<size_t>(&b - m_buckets.data());
    MPI_Iallreduce(MPI_IN_PLACE, b.buffer.data(), static_cast<int>(b.buffer.size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD,
        &m_requests[index]);
    b.launched = true;
    m_stats.bytes += 4.0 * static_cast<double>(b.buffer.size());
    ++m_stats.reductions;
}

void MpiGradientSync::layerDone(const std::string& nodeId)
{
    if (m_firstLayerDone < 0.0)
        m_firstLayerDone = now();
    if (m_mode != SyncMode::Overlap)
        return;
    auto it = m_nodeParams.find(nodeId);
    if (it != m_nodeParams.end())
        for (size_t i : it->second) {
            Bucket& b = m_buckets[m_bucketOf[i]];
            if (--b.pending == 0)
                launch(b);
        }
    // Progress: Open MPI advances non-blocking collectives only inside MPI calls.
    m_comm.test(m_requests);
}

void MpiGradientSync::waitAll(const std::string& what)
{
    const double t0 = now();
    m_comm.wait(m_requests, what);
    m_stats.waitSeconds += now() - t0;
}

void MpiGradientSync::finishGradients()
{
    if (m_mode == SyncMode::Average) {
        ++m_stats.steps;
        return;
    }
    const double t0 = now();
    if (m_firstLayerDone >= 0.0)
        m_stats.backwardSeconds += t0 - m_firstLayerDone;
    for (Bucket& b : m_buckets)
        if (!b.launched) // Blocking mode, or a node whose backward did not run
            launch(b);
    waitAll("the gradient all-reduce");
    for (Bucket& b : m_buckets) {
        const float* in = b.buffer.data();
        for (size_t i : b.params) {
            Tensor& grad = m_params[i].param->grad;
            float* g = grad.isHost() ? grad.data() : m_hostGrads[i].data();
            std::memcpy(g, in, sizeof(float) * static_cast<size_t>(grad.size()));
            storeGrad(i);
            in += grad.size();
        }
    }
    ++m_stats.steps;
}

void MpiGradientSync::abandonStep()
{
    if (m_mode == SyncMode::Average) {
        // Meet the others' next averaging round with NaN weights: they diverge and stop too.
        for (const NamedParameter& p : m_all)
            m_network->backend().fill(
                p.param->value.data(), p.param->value.size(), std::numeric_limits<float>::quiet_NaN());
        averageParameters();
        return;
    }
    for (Bucket& b : m_buckets)
        if (!b.launched)
            launch(b, true);
    waitAll("the gradient all-reduce");
}

void MpiGradientSync::afterUpdate()
{
    ++m_step;
    if (m_mode == SyncMode::Average && m_step % m_averageEvery == 0)
        averageParameters();
}

void MpiGradientSync::averageParameters()
{
    std::vector<float> buffer;
    for (const NamedParameter& p : m_all) {
        const Tensor host = m_network->hostCopy(p.param->value);
        buffer.insert(buffer.end(), host.data(), host.data() + host.size());
    }
    std::vector<MPI_Request> request(1, MPI_REQUEST_NULL);
    const double t0 = now();
    MPI_Iallreduce(
        MPI_IN_PLACE, buffer.data(), static_cast<int>(buffer.size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &request[0]);
    m_comm.wait(request, "the parameter averaging");
    m_stats.waitSeconds += now() - t0;
    m_stats.bytes += 4.0 * static_cast<double>(buffer.size());
    ++m_stats.reductions;
    const float inv = 1.0f / static_cast<float>(size());
    const float* in = buffer.data();
    for (const NamedParameter& p : m_all) {
        Tensor host = m_network->hostCopy(p.param->value);
        for (int64_t k = 0; k < host.size(); ++k)
            host.data()[k] = in[k] * inv;
        m_network->assign(p.param->value, host);
        in += host.size();
    }
}

} // namespace netcanvas
