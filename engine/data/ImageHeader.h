#pragma once
// ImageHeader: an image's size read from the first bytes of its file, before any decoding, so
// that a small file claiming a huge image (a "decompression bomb") is refused without
// allocating it. Knows PNG, JPEG, BMP, GIF, WebP and TIFF — the formats the data readers
// accept. Pure functions over bytes: no OpenCV, no files (fuzzed: fuzz/fuzz_image_header.cpp).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace netcanvas {

struct ImageSize {
    int64_t width = 0, height = 0;
};

// The size the header declares, or nothing when the bytes are not one of those formats or the
// header is cut short. Never reads past bytes.size().
std::optional<ImageSize> imageSizeFromHeader(std::string_view bytes);

// The pixels the header of `bytes` declares, checked against limits::kMaxImagePixels: what
// every decoder (datasets, predict, the service's uploads, the label browser's thumbnails)
// calls before it decodes. Nothing, with `reason` set, when the header is not one of those
// formats or is cut short, or when the image has more pixels than NetCanvas decodes.
std::optional<int64_t> checkImageHeader(std::string_view bytes, std::string& reason);

} // namespace netcanvas
