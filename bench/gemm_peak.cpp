// bench_gemm_peak: the machine's single-precision GEMM throughput — the yardstick for the
// GFLOP/s that `netcanvas-cli bench` reports (docs/benchmarks.md).
//
// Measures C = A·B for square float32 matrices (default 2048×2048, 2 threads) with Eigen
// (threads through OpenMP when this target was built with it) and with OpenBLAS's
// cblas_sgemm when it was found at build time. Each library is warmed up once, then timed
// over --reps runs; a run counts 2·n³ floating-point operations.
//
// Usage: bench_gemm_peak [--size N] [--threads T] [--reps R] [--json]
#include <Eigen/Core>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#ifdef NETCANVAS_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct Result {
    std::string library;
    bool available = false;
    std::string note;
    double best = 0.0; // GFLOP/s of the fastest run
    double median = 0.0; // GFLOP/s of the median run
};

double seconds()
{
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// Runs fn once to warm up, then `reps` timed times; GFLOP/s from 2·n³ per run.
void measure(Result& r, int n, int reps, const std::function<void()>& fn)
{
    fn();
    std::vector<double> rates;
    for (int i = 0; i < reps; ++i) {
        const double t0 = seconds();
        fn();
        const double dt = seconds() - t0;
        rates.push_back(2.0 * n * static_cast<double>(n) * n / dt / 1e9);
    }
    std::sort(rates.begin(), rates.end());
    r.available = true;
    r.best = rates.back();
    r.median = rates[rates.size() / 2];
    // Let the library's worker threads go idle before the next one starts.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
}

int intArg(const char* value, const char* name)
{
    char* end = nullptr;
    const long v = std::strtol(value, &end, 10);
    if (!end || *end || v < 1 || v > 1000000) {
        std::fprintf(stderr, "bench_gemm_peak: %s needs a positive integer, not '%s'\n", name, value);
        std::exit(2);
    }
    return static_cast<int>(v);
}

} // namespace

int main(int argc, char** argv)
{
    int n = 2048, threads = 2, reps = 10;
    bool json = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--json")
            json = true;
        else if ((a == "--size" || a == "--threads" || a == "--reps") && i + 1 < argc) {
            const int v = intArg(argv[++i], a.c_str());
            (a == "--size" ? n : a == "--threads" ? threads : reps) = v;
        } else {
            std::fprintf(stderr, "usage: bench_gemm_peak [--size N] [--threads T] [--reps R] [--json]\n");
            return 2;
        }
    }

    Matrix A = Matrix::Random(n, n), B = Matrix::Random(n, n), C = Matrix::Zero(n, n);
    std::vector<Result> results;

    Result eigen;
    eigen.library = "eigen";
#if defined(_OPENMP) && !defined(EIGEN_DONT_PARALLELIZE)
    Eigen::setNbThreads(threads);
    eigen.note = std::to_string(Eigen::nbThreads()) + " OpenMP threads";
#else
    eigen.note = "1 thread (built without OpenMP)";
#endif
    measure(eigen, n, reps, [&] { C.noalias() = A * B; });
    results.push_back(eigen);

    Result blas;
    blas.library = "openblas";
#ifdef NETCANVAS_HAVE_OPENBLAS
    openblas_set_num_threads(threads);
    blas.note = std::to_string(openblas_get_num_threads()) + " threads, " + openblas_get_config();
    measure(blas, n, reps, [&] {
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, A.data(), n, B.data(), n, 0.0f, C.data(), n);
    });
#else
    blas.note = "not built (install libopenblas-dev and reconfigure)";
#endif
    results.push_back(blas);

    double peak = 0.0;
    std::string peakLibrary;
    for (const auto& r : results)
        if (r.available && r.best > peak) {
            peak = r.best;
            peakLibrary = r.library;
        }

    if (json) {
        std::printf("{\"size\": %d, \"threads\": %d, \"reps\": %d", n, threads, reps);
        for (const auto& r : results) {
            if (r.available)
                std::printf(", \"%s_gflops\": %.2f, \"%s_gflops_median\": %.2f", r.library.c_str(), r.best,
                    r.library.c_str(), r.median);
            else
                std::printf(", \"%s_gflops\": null", r.library.c_str());
        }
        std::printf(", \"peak_gflops\": %.2f, \"peak_library\": \"%s\"}\n", peak, peakLibrary.c_str());
        return 0;
    }
    std::printf("sgemm %d×%d×%d, %d threads, %d runs (GFLOP/s = 2·n³ / time)\n", n, n, n, threads, reps);
    for (const auto& r : results) {
        if (r.available)
            std::printf(
                "  %-9s best %7.1f  median %7.1f GFLOP/s  (%s)\n", r.library.c_str(), r.best, r.median, r.note.c_str());
        else
            std::printf("  %-9s %s\n", r.library.c_str(), r.note.c_str());
    }
    std::printf("peak: %.1f GFLOP/s (%s)\n", peak, peakLibrary.c_str());
    return 0;
}
