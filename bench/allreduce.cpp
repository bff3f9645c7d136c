// bench_allreduce: the cost of one gradient all-reduce between the ranks of an MPI job, without
// the skew of training (every call starts right after a barrier). For each size (bytes of
// float32; default: LeNet-5's and vgg-small's gradients) it times `iterations` MPI_Allreduce
// (sum, in place) calls and prints rank 0's median and the effective bus bandwidth
// 2(N-1)/N x bytes / time. docs/distributed.md uses it for its model.
// Usage: mpirun -np 2 bench_allreduce [ITERATIONS] [BYTES...]
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv)
{
    MPI_Init(&argc, &argv);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const int iterations = argc > 1 ? std::max(1, std::atoi(argv[1])) : 200;
    std::vector<long> sizes;
    for (int i = 2; i < argc; ++i)
        sizes.push_back(std::atol(argv[i]));
    if (sizes.empty())
        sizes = { 4L * 61706, 4L * 467818 }; // lenet5, vgg-small (netcanvas-cli info)
    for (long bytes : sizes) {
        std::vector<float> data(static_cast<size_t>(bytes / 4), 1.0f);
        std::vector<double> times;
        for (int it = 0; it < iterations + 5; ++it) {
            MPI_Barrier(MPI_COMM_WORLD);
            const double t0 = MPI_Wtime();
            MPI_Allreduce(MPI_IN_PLACE, data.data(), static_cast<int>(data.size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            if (it >= 5) // warm-up calls excluded
                times.push_back(MPI_Wtime() - t0);
        }
        std::sort(times.begin(), times.end());
        const double median = times[times.size() / 2];
        if (rank == 0)
            std::printf("%d ranks, %ld bytes: median %.3f ms per all-reduce (%d calls), bus bandwidth %.2f GB/s\n",
                size, bytes, 1e3 * median, iterations,
                2.0 * (size - 1) / size * static_cast<double>(bytes) / median / 1e9);
    }
    MPI_Finalize();
    return 0;
}
