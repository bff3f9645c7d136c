#pragma once
// TensorBody: the compact binary body of POST /v1/predict (Content-Type
// application/x-netcanvas-tensor, docs/serving.md) — several samples already at the model's
// input size, with no image format to decode and no JSON to parse:
//
//   offset 0   4 bytes  magic "NCT1"
//   offset 4   uint32   dtype: 1 = uint8 pixels (0..255), 2 = float32 (pixel values in [0, 1],
//                       or the network's input as is with ?normalize=false)
//   offset 8   uint32   N, C, H, W (samples, channels, height, width)
//   offset 24  N×C×H×W values, little-endian, each sample C×H×W with channel planes
//                       (the engine's layout: all of channel 0, then channel 1, ...)
//
// Ensures: parseTensorBody() accepts exactly that — every dimension ≥ 1 and the body exactly
// 24 + N·C·H·W·(1 or 4) bytes, computed without overflow — and otherwise throws DataError
// saying what is wrong ("tensor body: 100 bytes, but a 2×1×28×28 uint8 tensor needs 24 + 1568");
// it allocates nothing: the view points into `data`. encodeTensorBody() writes such a body.
#include <cstddef>
#include <cstdint>
#include <string>

namespace netcanvas::serve {

inline constexpr const char* kTensorContentType = "application/x-netcanvas-tensor";

enum class TensorDType : uint32_t { UInt8 = 1, Float32 = 2 };

struct TensorBodyView {
    TensorDType dtype = TensorDType::UInt8;
    int64_t n = 0, c = 0, h = 0, w = 0;
    const uint8_t* values = nullptr; // n×c×h×w values of dtype (float32 possibly unaligned)
    int64_t sampleValues() const { return c * h * w; }
};

constexpr size_t kTensorHeaderBytes = 24;

TensorBodyView parseTensorBody(const uint8_t* data, size_t size);

// A body of `n` samples of c×h×w `dtype` values taken from `values` (n·c·h·w of them:
// uint8_t or float, as dtype says).
std::string encodeTensorBody(TensorDType dtype, int64_t n, int64_t c, int64_t h, int64_t w, const void* values);

} // namespace netcanvas::serve
