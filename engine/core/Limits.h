#pragma once
// Limits: every size the engine accepts from a file, a model or a command line, in one place,
// with the overflow-checked arithmetic that enforces them. A reader compares what a file
// claims against these (and against the file's own length) before it allocates; the README's
// "Limits" table states them to users. Raising one is a one-line change here.
#include "engine/core/Error.h"

#include <cstdint>
#include <optional>
#include <string>

namespace netcanvas::limits {

// CPU worker threads a backend may be given (--threads, the app's setting); 0 means all cores.
inline constexpr int kMaxThreads = 256;

// Elements of one per-sample tensor in a model (2^31 − 1: an 8 GB float32 sample). A graph
// with a larger tensor is invalid, naming the node.
inline constexpr int64_t kMaxTensorElements = (int64_t(1) << 31) - 1;
// Parameters of one model (2^34: a 64 GB float32 model) and forward FLOPs per sample (2^53,
// exact in a double).
inline constexpr int64_t kMaxParameters = int64_t(1) << 34;
inline constexpr int64_t kMaxFlops = int64_t(1) << 53;

// JSON nesting depth of any file the engine reads (model, project, weights header, labels,
// journal). Real files nest at most 6 deep; recursive walks are safe far beyond this.
inline constexpr int kMaxJsonDepth = 256;

// Classes of one dataset (distinct labels seen), and of a model's output.
inline constexpr int64_t kMaxClasses = 100000;

// Uncompressed bytes of one IDX array (gzip streams are checked as they are read).
inline constexpr int64_t kMaxIdxBytes = int64_t(8) << 30;
// Bytes of a CSV dataset file (it is read whole).
inline constexpr int64_t kMaxCsvBytes = int64_t(2) << 30;
// Pixels of one image file, checked from its header before decoding (16384 × 16384), and
// the pixels all decoding threads may hold at once (each decode waits for its share).
inline constexpr int64_t kMaxImagePixels = int64_t(1) << 28;
inline constexpr int64_t kDecodePixelBudget = int64_t(1) << 29;
// Bytes of one image file.
inline constexpr int64_t kMaxImageFileBytes = int64_t(1) << 30;

// a * b, or nothing on overflow (or when either is negative).
inline std::optional<int64_t> checkedMul(int64_t a, int64_t b)
{
    int64_t r = 0;
    if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r))
        return std::nullopt;
    return r;
}

inline std::optional<int64_t> checkedAdd(int64_t a, int64_t b)
{
    int64_t r = 0;
    if (a < 0 || b < 0 || __builtin_add_overflow(a, b, &r))
        return std::nullopt;
    return r;
}

// The product of factors; a ShapeError "<what>: more than 2^63 …" on overflow.
template <class... T> int64_t product(const std::string& what, T... factors)
{
    int64_t r = 1;
    bool ok = true;
    ((ok = ok &&
             [&] {
                 const auto m = checkedMul(r, static_cast<int64_t>(factors));
                 if (m)
                     r = *m;
                 return m.has_value();
             }()),
        ...);
    if (!ok)
        throw ShapeError(what + ": the count overflows 64-bit integers");
    return r;
}

// The thread count to use for `requested` (0 = all cores); a DataError naming `what` when it
// is outside [0, kMaxThreads].
int resolveThreads(int requested, const std::string& what = "--threads");

} // namespace netcanvas::limits
