#pragma once
// MpiComm: this process's place in an MPI job (MPI_COMM_WORLD) — rank, size, every rank's
// host name — and the one way the engine waits on MPI: polling with a deadline, so that a
// peer that died or hangs ends the job with a message naming it instead of a silent hang.
//
// Fault detection: every wait() is a point all ranks pass in the same order. On arriving at one,
// a rank sends its count of points to rank 0, and rank 0 its own to every rank (2·(N−1)
// eight-byte messages per wait). When a wait passes the timeout, rank 0 names the ranks that
// have not arrived (with their host) — or, when all have, the ones that stopped answering: a
// waiting rank repeats its heartbeat every second; the
// others wait a grace period longer (so rank 0 speaks first) and name rank 0 when it is the
// one behind. Then MPI_Abort ends every process of the job. A process that dies (kill -9)
// is reported by mpirun itself ("process rank R ... on node H exited on signal 9"), which
// also ends the job.
// Threads: MPI is initialized with MPI_THREAD_FUNNELED; only the thread that created the
// MpiComm (the training thread) may call it.
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace netcanvas {

class MpiComm {
public:
    // MPI_Init_thread (once per process). Throws Error when MPI cannot start.
    explicit MpiComm(double timeoutSeconds);
    ~MpiComm(); // MPI_Finalize when finalize() was not called and nothing failed
    MpiComm(const MpiComm&) = delete;
    MpiComm& operator=(const MpiComm&) = delete;

    int rank() const { return m_rank; }
    int size() const { return m_size; }
    const std::string& host(int rank) const { return m_hosts[static_cast<size_t>(rank)]; }
    // "rank 1 (host node7)"
    std::string describe(int rank) const;
    double timeoutSeconds() const { return m_timeout; }

    // The training step the next waits belong to (for the messages).
    void setStep(int64_t step) { m_step = step; }
    // Lets MPI progress the outstanding requests; true when all of `requests` completed.
    bool test(std::vector<MPI_Request>& requests);
    // Waits for every request, polling; past the timeout: the message above, then MPI_Abort.
    // `what` names the operation ("the gradient all-reduce").
    void wait(std::vector<MPI_Request>& requests, const std::string& what);
    // Prints "netcanvas distributed: <message>" on stderr and ends the whole job.
    [[noreturn]] void abort(const std::string& message, int code = 3);
    // Every rank calls it at the end of a run that went well: MPI_Finalize, which waits (with no
    // deadline) for the ranks still at work — rank 0 testing and writing the run folder.
    void finalize();

private:
    // Announces that this rank has arrived at wait number `point` (fault detection, above).
    void heartbeat(int64_t point);
    void drainHeartbeats();
    [[noreturn]] void timedOut(const std::string& what, double waited);

    int m_rank = 0;
    int m_size = 1;
    double m_timeout = 60.0;
    std::vector<std::string> m_hosts;
    int64_t m_step = -1;
    int64_t m_point = 0; // waits arrived at
    double m_lastPing = 0.0; // when this rank last sent its heartbeat
    std::vector<double> m_lastHeard; // per rank: when its last heartbeat arrived
    // Heartbeats: one posted receive per peer and the last step each peer announced.
    std::vector<MPI_Request> m_beatRecv;
    std::vector<int64_t> m_beatIn;
    std::vector<int64_t> m_peerStep;
    std::vector<int> m_beatPeers; // rank 0: every other rank; the others: rank 0
    std::vector<MPI_Request> m_beatSend; // a ring of slots × peers
    std::vector<int64_t> m_beatOut;
    int64_t m_beatCount = 0;
    bool m_finalized = false;
};

} // namespace netcanvas
