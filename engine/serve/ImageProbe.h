#pragma once
// ImageProbe: an encoded image's format and size read from its first bytes, without decoding
// — so a service can refuse an image too large to decode before allocating its pixels.
// Understands the formats the engine decodes (engine/data: PNG, JPEG, BMP, TIFF, WebP, PNM).
//
// Ensures: ok() → width, height > 0 as the header states them; otherwise `error` says why in
// a sentence ("not an image (unrecognized format)", "truncated PNG header", "truncated JPEG:
// no end-of-image marker"). Reads only `size` bytes; never throws.
#include <cstddef>
#include <cstdint>
#include <string>

namespace netcanvas::serve {

struct ImageInfo {
    std::string format; // "png", "jpeg", "bmp", "tiff", "webp", "pnm"; empty when unknown
    int64_t width = 0, height = 0;
    std::string error; // empty when the header was read
    bool ok() const { return error.empty(); }
};

ImageInfo probeImage(const uint8_t* bytes, size_t size);

} // namespace netcanvas::serve
