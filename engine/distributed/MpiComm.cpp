#include "engine/distributed/MpiComm.h"

#include "engine/core/Error.h"

#include <chrono>
#include <cstdio>
#include <thread>

namespace netcanvas {

namespace {

constexpr int kHeartbeatTag = 7717;
constexpr int64_t kHeartbeatSlots = 16; // steps of heartbeats in flight per peer
constexpr double kGraceSeconds = 10.0; // the other ranks wait this much longer than rank 0
constexpr double kPingSeconds = 1.0; // a waiting rank repeats its heartbeat this often

double now()
{
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

} // namespace

MpiComm::MpiComm(double timeoutSeconds)
    : m_timeout(timeoutSeconds)
{
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
        int provided = 0;
        if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
            throw Error("distributed training: MPI_Init_thread failed (start the run with mpirun or srun)");
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &m_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &m_size);
    // Every rank's host name, for the messages.
    char name[MPI_MAX_PROCESSOR_NAME] = {};
    int length = 0;
    MPI_Get_processor_name(name, &length);
    std::vector<char> all(static_cast<size_t>(MPI_MAX_PROCESSOR_NAME) * static_cast<size_t>(m_size));
    MPI_Allgather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all.data(), MPI_MAX_PROCESSOR_NAME, MPI_CHAR, MPI_COMM_WORLD);
    for (int r = 0; r < m_size; ++r)
        m_hosts.emplace_back(all.data() + static_cast<size_t>(r) * MPI_MAX_PROCESSOR_NAME);
    if (m_rank == 0)
        for (int r = 1; r < m_size; ++r)
            m_beatPeers.push_back(r);
    else
        m_beatPeers.push_back(0);
    m_peerStep.assign(static_cast<size_t>(m_size), -1);
    m_lastHeard.assign(static_cast<size_t>(m_size), now());
    m_beatIn.assign(m_beatPeers.size(), -1);
    m_beatRecv.assign(m_beatPeers.size(), MPI_REQUEST_NULL);
    for (size_t i = 0; i < m_beatPeers.size(); ++i)
        MPI_Irecv(&m_beatIn[i], 1, MPI_INT64_T, m_beatPeers[i], kHeartbeatTag, MPI_COMM_WORLD, &m_beatRecv[i]);
}

MpiComm::~MpiComm()
{
    // An exception is unwinding (or finalize() was skipped): leave MPI as it is, so the process
    // exits and mpirun ends the job, rather than a collective MPI_Finalize waiting on peers.
}

std::string MpiComm::describe(int rank) const
{
    return "rank " + std::to_string(rank) + " (host " + host(rank) + ")";
}

void MpiComm::heartbeat(int64_t point)
{
    m_point = point;
    m_lastPing = now();
    m_peerStep[static_cast<size_t>(m_rank)] = point;
    // A ring of send slots: MPI_Isend keeps the buffer's address until the send completes (at
    // once for eight bytes, which go eagerly); a slot is reused only once its send completed.
    const size_t peers = m_beatPeers.size();
    if (m_beatSend.empty()) {
        m_beatSend.assign(peers * kHeartbeatSlots, MPI_REQUEST_NULL);
        m_beatOut.assign(peers * kHeartbeatSlots, 0);
    }
    const size_t slot = static_cast<size_t>(m_beatCount++ % kHeartbeatSlots) * peers;
    for (size_t i = 0; i < peers; ++i) {
        MPI_Request& request = m_beatSend[slot + i];
        if (request != MPI_REQUEST_NULL) {
            int done = 0;
            MPI_Test(&request, &done, MPI_STATUS_IGNORE);
            if (!done)
                continue; // the peer has not taken 16 heartbeats: it hangs; never block on it
        }
        m_beatOut[slot + i] = point;
        MPI_Isend(&m_beatOut[slot + i], 1, MPI_INT64_T, m_beatPeers[i], kHeartbeatTag, MPI_COMM_WORLD, &request);
    }
    drainHeartbeats();
}

void MpiComm::drainHeartbeats()
{
    for (size_t i = 0; i < m_beatPeers.size(); ++i)
        for (;;) {
            int arrived = 0;
            MPI_Test(&m_beatRecv[i], &arrived, MPI_STATUS_IGNORE);
            if (!arrived)
                break;
            m_peerStep[static_cast<size_t>(m_beatPeers[i])] = m_beatIn[i];
            m_lastHeard[static_cast<size_t>(m_beatPeers[i])] = now();
            MPI_Irecv(&m_beatIn[i], 1, MPI_INT64_T, m_beatPeers[i], kHeartbeatTag, MPI_COMM_WORLD, &m_beatRecv[i]);
        }
}

bool MpiComm::test(std::vector<MPI_Request>& requests)
{
    int done = 1;
    if (!requests.empty())
        MPI_Testall(static_cast<int>(requests.size()), requests.data(), &done, MPI_STATUSES_IGNORE);
    return done != 0;
}

void MpiComm::wait(std::vector<MPI_Request>& requests, const std::string& what)
{
    heartbeat(m_point + 1); // this rank has arrived here: every rank passes the same waits in order
    const double start = now();
    const double limit = m_timeout + (m_rank == 0 ? 0.0 : kGraceSeconds);
    int spins = 0;
    while (!test(requests)) {
        // Busy-poll briefly (an all-reduce usually completes within microseconds of the last
        // peer's arrival), then yield the core to the peers sharing it.
        if (++spins > 64)
            std::this_thread::sleep_for(std::chrono::microseconds(50));
        if ((spins & 255) == 0) {
            if (now() - m_lastPing > kPingSeconds)
                heartbeat(m_point); // still here: a peer that stops answering is the one to name
            drainHeartbeats();
            const double waited = now() - start;
            if (waited > limit)
                timedOut(what, waited);
        }
    }
}

void MpiComm::timedOut(const std::string& what, double waited)
{
    drainHeartbeats();
    std::string behind, silent;
    const double t = now();
    for (int peer : m_beatPeers) {
        const size_t p = static_cast<size_t>(peer);
        if (m_peerStep[p] < m_point)
            behind += (behind.empty() ? "" : ", ") + describe(peer);
        else if (t - m_lastHeard[p] > 3.0 * kPingSeconds) {
            char quiet[32];
            std::snprintf(quiet, sizeof quiet, "%.0f", t - m_lastHeard[p]);
            silent += (silent.empty() ? "" : ", ") + describe(peer) + " (silent for " + quiet + " s)";
        }
    }
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.0f", waited);
    std::string message = describe(m_rank) + " waited " + secs + " s in " + what
        + (m_step >= 0 ? " of step " + std::to_string(m_step) : std::string()) + ": ";
    if (!behind.empty())
        message += behind + " has not reached it: it died or hangs";
    else if (!silent.empty())
        message += silent + " reached it, then stopped answering: it hangs or died";
    else if (m_rank == 0)
        message += "every rank reached it, but it did not complete (a network or MPI fault)";
    else
        message += "rank 0 reached it, so another rank died or hangs (rank 0 names it)";
    if (m_rank != 0 && !behind.empty())
        message += " (if rank 0 was validating a large split, raise --comm-timeout above that time)";
    abort(message + "; ending the job (the last checkpoint, written by rank 0 after an epoch, is intact)");
}

void MpiComm::abort(const std::string& message, int code)
{
    std::fprintf(stderr, "netcanvas distributed: %s\n", message.c_str());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);
    std::abort(); // MPI_Abort does not return
}

void MpiComm::finalize()
{
    if (m_finalized)
        return;
    m_finalized = true;
    // No barrier with a deadline here: rank 0 may still be testing and writing the run folder
    // (MPI_Finalize waits for every rank; one that dies meanwhile is reported by mpirun).
    // Retire the heartbeat receives posted for the next waits; the sends (eight bytes, eager)
    // are complete.
    for (MPI_Request& r : m_beatRecv)
        if (r != MPI_REQUEST_NULL) {
            MPI_Cancel(&r);
            MPI_Wait(&r, MPI_STATUS_IGNORE);
        }
    for (MPI_Request& r : m_beatSend)
        if (r != MPI_REQUEST_NULL)
            MPI_Request_free(&r);
    MPI_Finalize();
}

} // namespace netcanvas
