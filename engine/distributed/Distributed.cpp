#include "engine/distributed/Distributed.h"

#include "engine/core/Error.h"

#ifdef NETCANVAS_HAVE_MPI
#include "engine/distributed/MpiComm.h"
#include "engine/distributed/MpiGradientSync.h"
#endif

#include <cstdio>
#include <cstdlib>

namespace netcanvas {

void checkDistributedOptions(const DistributedOptions& o)
{
    if (o.mode != "overlap" && o.mode != "blocking" && o.mode != "average")
        throw FormatError("--sync: must be overlap, blocking or average, not '" + o.mode + "'");
    if (o.averageEvery < 1)
        throw FormatError("--average-every: must be at least 1, not " + std::to_string(o.averageEvery));
    if (!(o.bucketMegabytes > 0.0 && o.bucketMegabytes <= 1024.0))
        throw FormatError("--bucket-mb: must be in (0, 1024], not " + std::to_string(o.bucketMegabytes));
    if (!(o.timeoutSeconds >= 1.0))
        throw FormatError("--comm-timeout: must be at least 1 second, not " + std::to_string(o.timeoutSeconds));
    if (o.lrScaling != "linear" && o.lrScaling != "none")
        throw FormatError("--lr-scaling: must be linear or none, not '" + o.lrScaling + "'");
}

std::string applyLearningRateRule(
    TrainConfig& config, int ranks, const std::string& lrScaling, std::optional<int> warmupEpochs)
{
    char buf[160];
    const double base = config.optimizer.learningRate;
    if (lrScaling != "linear" || ranks <= 1) {
        if (warmupEpochs)
            config.schedule.warmupEpochs = *warmupEpochs;
        std::snprintf(buf, sizeof buf, "learning rate %.6g (not scaled), warm-up %d epoch%s", base,
            config.schedule.warmupEpochs, config.schedule.warmupEpochs == 1 ? "" : "s");
        return buf;
    }
    config.optimizer.learningRate = base * ranks;
    config.schedule.warmupEpochs = warmupEpochs ? *warmupEpochs
        : config.schedule.warmupEpochs > 0      ? config.schedule.warmupEpochs
                                                : 1;
    std::snprintf(buf, sizeof buf, "learning rate %.6g x %d ranks = %.6g (linear scaling), warm-up %d epoch%s", base,
        ranks, config.optimizer.learningRate, config.schedule.warmupEpochs,
        config.schedule.warmupEpochs == 1 ? "" : "s");
    return buf;
}

#ifdef NETCANVAS_HAVE_MPI

struct DistributedRun::Impl {
    DistributedOptions options;
    MpiComm comm;
    MpiGradientSync sync;
    Impl(const DistributedOptions& o)
        : options(o)
        , comm(o.timeoutSeconds)
        , sync(comm,
              o.mode == "average"        ? SyncMode::Average
                  : o.mode == "blocking" ? SyncMode::Blocking
                                         : SyncMode::Overlap,
              o.bucketMegabytes * 1024.0 * 1024.0, o.averageEvery)
    {
    }
};

bool DistributedRun::available()
{
    return true;
}

DistributedRun::DistributedRun(const DistributedOptions& options)
{
    checkDistributedOptions(options);
    m = std::make_unique<Impl>(options);
}

DistributedRun::~DistributedRun() = default;

int DistributedRun::rank() const
{
    return m->comm.rank();
}
int DistributedRun::size() const
{
    return m->comm.size();
}
std::string DistributedRun::host(int rank) const
{
    return m->comm.host(rank);
}
GradientSync& DistributedRun::gradientSync()
{
    return m->sync;
}

nlohmann::json DistributedRun::statsJson() const
{
    const SyncStats& s = m->sync.stats();
    const double steps = s.steps > 0 ? static_cast<double>(s.steps) : 1.0;
    return {
        { "ranks", size() },
        { "mode", m->options.mode },
        { "average_every", m->options.averageEvery },
        { "buckets", m->sync.bucketCount() },
        { "steps", s.steps },
        { "allreduce_calls", s.reductions },
        { "allreduce_bytes_per_step", s.bytes / steps },
        { "wait_ms_per_step", 1000.0 * s.waitSeconds / steps },
        { "backward_ms_per_step", 1000.0 * s.backwardSeconds / steps },
    };
}

void DistributedRun::finish()
{
    m->comm.finalize();
}

void DistributedRun::abort(const std::string& message)
{
    m->comm.abort(message);
}

#else // no MPI in this build

struct DistributedRun::Impl { };

bool DistributedRun::available()
{
    return false;
}

DistributedRun::DistributedRun(const DistributedOptions& options)
{
    checkDistributedOptions(options);
    throw Error("--distributed: this netcanvas-cli was built without MPI (install Open MPI's libopenmpi-dev and "
                "openmpi-bin, then rebuild: CMake finds it with find_package(MPI))");
}

DistributedRun::~DistributedRun() = default;
int DistributedRun::rank() const
{
    return 0;
}
int DistributedRun::size() const
{
    return 1;
}
std::string DistributedRun::host(int) const
{
    return {};
}
GradientSync& DistributedRun::gradientSync()
{
    throw Error("distributed training is not available in this build");
}
nlohmann::json DistributedRun::statsJson() const
{
    return {};
}
void DistributedRun::finish() { }
void DistributedRun::abort(const std::string& message)
{
    std::fprintf(stderr, "netcanvas distributed: %s\n", message.c_str());
    std::exit(3);
}

#endif

} // namespace netcanvas
