#include "engine/serve/ImageProbe.h"

#include <cstring>
#include <tuple>

namespace netcanvas::serve {

namespace {

uint32_t be32(const uint8_t* p)
{
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}
uint16_t be16(const uint8_t* p)
{
    return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
uint32_t le32(const uint8_t* p)
{
    return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}
uint16_t le16(const uint8_t* p)
{
    return static_cast<uint16_t>(p[0] | (p[1] << 8));
}

ImageInfo failed(const char* format, std::string why)
{
    ImageInfo info;
    info.format = format;
    info.error = std::move(why);
    return info;
}

ImageInfo sized(const char* format, int64_t w, int64_t h)
{
    ImageInfo info;
    info.format = format;
    info.width = w;
    info.height = h;
    if (w <= 0 || h <= 0)
        info.error = std::string(format) + " header gives an empty size " + std::to_string(w) + "x" + std::to_string(h);
    return info;
}

ImageInfo png(const uint8_t* b, size_t n)
{
    // signature (8), IHDR length (4), "IHDR" (4), width (4), height (4)
    if (n < 24)
        return failed("png", "truncated PNG header");
    if (std::memcmp(b + 12, "IHDR", 4) != 0)
        return failed("png", "corrupt PNG: the first chunk is not IHDR");
    // A complete PNG ends with its IEND chunk (4 zero bytes, "IEND", CRC).
    if (n < 45 || std::memcmp(b + n - 8, "IEND", 4) != 0)
        return failed("png", "truncated PNG: no IEND chunk at the end");
    return sized("png", be32(b + 16), be32(b + 20));
}

ImageInfo jpeg(const uint8_t* b, size_t n)
{
    // The image ends with EOI (FF D9), possibly followed by padding.
    bool eoi = false;
    const size_t from = n > 64 ? n - 64 : 0;
    for (size_t i = n - 1; i > from && !eoi; --i)
        eoi = b[i - 1] == 0xFF && b[i] == 0xD9;
    size_t p = 2;
    while (p + 4 <= n) {
        if (b[p] != 0xFF)
            return failed("jpeg", "corrupt JPEG: expected a marker at byte " + std::to_string(p));
        const uint8_t marker = b[p + 1];
        if (marker == 0xFF) { // fill byte
            ++p;
            continue;
        }
        if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
            p += 2;
            continue;
        }
        const size_t len = be16(b + p + 2);
        if (len < 2)
            return failed("jpeg", "corrupt JPEG: a segment of length " + std::to_string(len));
        const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (sof) {
            if (p + 9 > n)
                break;
            if (!eoi)
                return failed("jpeg", "truncated JPEG: no end-of-image marker");
            return sized("jpeg", be16(b + p + 7), be16(b + p + 5));
        }
        if (marker == 0xDA) // start of scan before any frame header
            return failed("jpeg", "corrupt JPEG: scan data before the frame header");
        p += 2 + len;
    }
    return failed("jpeg", "truncated JPEG header (no frame header)");
}

ImageInfo bmp(const uint8_t* b, size_t n)
{
    if (n < 26)
        return failed("bmp", "truncated BMP header");
    const uint32_t fileSize = le32(b + 2);
    const uint32_t headerSize = le32(b + 14);
    int64_t w = 0, h = 0;
    if (headerSize == 12) { // OS/2 BITMAPCOREHEADER
        w = le16(b + 18);
        h = le16(b + 20);
    } else {
        w = static_cast<int32_t>(le32(b + 18));
        h = static_cast<int32_t>(le32(b + 22));
        if (h < 0)
            h = -h; // top-down rows
    }
    if (fileSize != 0 && fileSize > n)
        return failed("bmp",
            "truncated BMP: the header says " + std::to_string(fileSize) + " bytes, the upload has "
                + std::to_string(n));
    return sized("bmp", w, h);
}

ImageInfo tiff(const uint8_t* b, size_t n)
{
    const bool little = b[0] == 'I';
    auto u16 = [&](size_t at) { return little ? le16(b + at) : be16(b + at); };
    auto u32 = [&](size_t at) { return little ? le32(b + at) : be32(b + at); };
    if (n < 8)
        return failed("tiff", "truncated TIFF header");
    const size_t ifd = u32(4);
    if (ifd + 2 > n)
        return failed("tiff", "truncated TIFF: the first directory is past the end");
    const size_t entries = u16(ifd);
    if (ifd + 2 + entries * 12 > n)
        return failed("tiff", "truncated TIFF directory");
    int64_t w = 0, h = 0;
    for (size_t i = 0; i < entries; ++i) {
        const size_t e = ifd + 2 + i * 12;
        const uint16_t tag = u16(e), type = u16(e + 2);
        const int64_t value = type == 3 ? u16(e + 8) : u32(e + 8);
        if (tag == 256)
            w = value;
        else if (tag == 257)
            h = value;
    }
    return sized("tiff", w, h);
}

ImageInfo webp(const uint8_t* b, size_t n)
{
    if (n < 30)
        return failed("webp", "truncated WebP header");
    const size_t riffSize = le32(b + 4) + size_t(8);
    if (riffSize > n)
        return failed("webp",
            "truncated WebP: the header says " + std::to_string(riffSize) + " bytes, the upload has "
                + std::to_string(n));
    if (std::memcmp(b + 12, "VP8 ", 4) == 0)
        return sized("webp", le16(b + 26) & 0x3FFF, le16(b + 28) & 0x3FFF);
    if (std::memcmp(b + 12, "VP8L", 4) == 0) {
        const uint32_t bits = le32(b + 21);
        return sized("webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1);
    }
    if (std::memcmp(b + 12, "VP8X", 4) == 0) {
        const int64_t w = 1 + (b[24] | (b[25] << 8) | (b[26] << 16));
        const int64_t h = 1 + (b[27] | (b[28] << 8) | (b[29] << 16));
        return sized("webp", w, h);
    }
    return failed("webp", "corrupt WebP: unknown chunk");
}

// PNM: "P1".."P6", then width and height as decimal text, with comments.
ImageInfo pnm(const uint8_t* b, size_t n)
{
    size_t p = 2;
    int64_t v[2] = { 0, 0 };
    for (int k = 0; k < 2; ++k) {
        while (p < n && (b[p] == ' ' || b[p] == '\t' || b[p] == '\r' || b[p] == '\n' || b[p] == '#')) {
            if (b[p] == '#')
                while (p < n && b[p] != '\n')
                    ++p;
            else
                ++p;
        }
        const size_t start = p;
        while (p < n && b[p] >= '0' && b[p] <= '9' && p - start < 9)
            v[k] = v[k] * 10 + (b[p++] - '0');
        if (p == start || p >= n)
            return failed("pnm", "truncated PNM header");
    }
    return sized("pnm", v[0], v[1]);
}

} // namespace

ImageInfo probeImage(const uint8_t* b, size_t n)
{
    if (n == 0)
        return failed("", "empty image (0 bytes)");
    if (n >= 8 && std::memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
        return png(b, n);
    if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
        return jpeg(b, n);
    if (n >= 2 && b[0] == 'B' && b[1] == 'M')
        return bmp(b, n);
    if (n >= 4
        && ((b[0] == 'I' && b[1] == 'I' && b[2] == 42 && b[3] == 0)
            || (b[0] == 'M' && b[1] == 'M' && b[2] == 0 && b[3] == 42)))
        return tiff(b, n);
    if (n >= 12 && std::memcmp(b, "RIFF", 4) == 0 && std::memcmp(b + 8, "WEBP", 4) == 0)
        return webp(b, n);
    if (n >= 3 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6'
        && (b[2] == ' ' || b[2] == '\n' || b[2] == '\r' || b[2] == '\t' || b[2] == '#'))
        return pnm(b, n);
    // Shorter than a signature but the start of one: a cut upload rather than another format.
    for (const auto& [signature, length, format] : { std::tuple { "\x89PNG\r\n\x1a\n", size_t(8), "PNG" },
             std::tuple { "\xFF\xD8\xFF", size_t(3), "JPEG" }, std::tuple { "RIFF", size_t(4), "WebP" },
             std::tuple { "II*", size_t(3), "TIFF" }, std::tuple { "MM\0*", size_t(4), "TIFF" } })
        if (n < length && std::memcmp(b, signature, n) == 0)
            return failed("", std::string("truncated ") + format + " header");
    if (n >= 4 && n < 12 && std::memcmp(b, "RIFF", 4) == 0)
        return failed("webp", "truncated WebP header");
    return failed("", "not an image (unrecognized format; PNG, JPEG, BMP, TIFF, WebP and PNM are accepted)");
}

} // namespace netcanvas::serve
