#include "engine/serve/TensorBody.h"

#include "engine/core/Error.h"

#include <bit>
#include <cstring>

namespace netcanvas::serve {

// float32 values are copied as they lie in memory: little-endian, as on the wire.
static_assert(std::endian::native == std::endian::little && sizeof(float) == 4);

namespace {

uint32_t readU32(const uint8_t* p)
{
    return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16
        | static_cast<uint32_t>(p[3]) << 24;
}

void writeU32(std::string& out, uint32_t v)
{
    for (int i = 0; i < 4; ++i)
        out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

std::string shapeText(int64_t n, int64_t c, int64_t h, int64_t w)
{
    return std::to_string(n) + "\u00d7" + std::to_string(c) + "\u00d7" + std::to_string(h) + "\u00d7"
        + std::to_string(w);
}

} // namespace

TensorBodyView parseTensorBody(const uint8_t* data, size_t size)
{
    if (size < kTensorHeaderBytes)
        throw DataError("tensor body: " + std::to_string(size) + " bytes, shorter than its "
            + std::to_string(kTensorHeaderBytes) + "-byte header (magic NCT1, dtype, N, C, H, W)");
    if (std::memcmp(data, "NCT1", 4) != 0)
        throw DataError("tensor body: does not start with the magic \"NCT1\"");
    TensorBodyView v;
    const uint32_t dtype = readU32(data + 4);
    if (dtype != static_cast<uint32_t>(TensorDType::UInt8) && dtype != static_cast<uint32_t>(TensorDType::Float32))
        throw DataError("tensor body: dtype " + std::to_string(dtype) + " is neither 1 (uint8) nor 2 (float32)");
    v.dtype = static_cast<TensorDType>(dtype);
    v.n = readU32(data + 8);
    v.c = readU32(data + 12);
    v.h = readU32(data + 16);
    v.w = readU32(data + 20);
    if (v.n < 1 || v.c < 1 || v.h < 1 || v.w < 1)
        throw DataError("tensor body: shape " + shapeText(v.n, v.c, v.h, v.w) + " has a zero dimension");
    // Each dimension is < 2^32; an overflowing product (a claim of more than 2^64 bytes) is
    // refused as such, never wrapped.
    uint64_t need = v.dtype == TensorDType::UInt8 ? 1 : 4;
    bool overflow = false;
    for (int64_t d : { v.n, v.c, v.h, v.w })
        overflow = overflow || __builtin_mul_overflow(need, static_cast<uint64_t>(d), &need);
    const uint64_t payload = size - kTensorHeaderBytes;
    const char* type = v.dtype == TensorDType::UInt8 ? "uint8" : "float32";
    if (overflow || need != payload)
        throw DataError("tensor body: " + std::to_string(size) + " bytes, but a " + shapeText(v.n, v.c, v.h, v.w) + " "
            + type + " tensor needs " + std::to_string(kTensorHeaderBytes) + " + "
            + (overflow ? std::string("more than 2^64") : std::to_string(need)));
    v.values = data + kTensorHeaderBytes;
    return v;
}

std::string encodeTensorBody(TensorDType dtype, int64_t n, int64_t c, int64_t h, int64_t w, const void* values)
{
    const size_t elem = dtype == TensorDType::UInt8 ? 1 : 4;
    const size_t bytes = static_cast<size_t>(n * c * h * w) * elem;
    std::string out;
    out.reserve(kTensorHeaderBytes + bytes);
    out.append("NCT1", 4);
    writeU32(out, static_cast<uint32_t>(dtype));
    for (int64_t d : { n, c, h, w })
        writeU32(out, static_cast<uint32_t>(d));
    out.append(static_cast<const char*>(values), bytes);
    return out;
}

} // namespace netcanvas::serve
