#include "engine/data/ImageHeader.h"

#include "engine/core/Limits.h"

namespace netcanvas {

namespace {

class Bytes {
public:
    explicit Bytes(std::string_view b)
        : m_b(b)
    {
    }
    bool has(size_t at, size_t n) const { return at <= m_b.size() && n <= m_b.size() - at; }
    uint32_t u8(size_t at) const { return static_cast<uint8_t>(m_b[at]); }
    uint32_t be16(size_t at) const { return (u8(at) << 8) | u8(at + 1); }
    uint32_t le16(size_t at) const { return u8(at) | (u8(at + 1) << 8); }
    uint32_t be32(size_t at) const { return (be16(at) << 16) | be16(at + 2); }
    uint32_t le32(size_t at) const { return le16(at) | (le16(at + 2) << 16); }
    uint32_t le24(size_t at) const { return u8(at) | (u8(at + 1) << 8) | (u8(at + 2) << 16); }
    bool starts(std::string_view magic, size_t at = 0) const
    {
        return has(at, magic.size()) && m_b.substr(at, magic.size()) == magic;
    }
    size_t size() const { return m_b.size(); }

private:
    std::string_view m_b;
};

std::optional<ImageSize> png(const Bytes& b)
{
    if (!b.has(16, 8) || !b.starts("IHDR", 12))
        return std::nullopt;
    return ImageSize { b.be32(16), b.be32(20) };
}

std::optional<ImageSize> jpeg(const Bytes& b)
{
    size_t at = 2;
    while (b.has(at, 4)) {
        if (b.u8(at) != 0xFF)
            return std::nullopt;
        const uint32_t marker = b.u8(at + 1);
        if (marker == 0xFF) { // fill byte
            ++at;
            continue;
        }
        if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) { // no length
            at += 2;
            continue;
        }
        const uint32_t length = b.be16(at + 2);
        if (length < 2)
            return std::nullopt;
        const bool startOfFrame
            = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (startOfFrame) {
            if (!b.has(at + 5, 4))
                return std::nullopt;
            return ImageSize { b.be16(at + 7), b.be16(at + 5) };
        }
        if (marker == 0xD9 || marker == 0xDA) // end of image, start of scan: no frame header before
            return std::nullopt;
        at += 2 + length;
    }
    return std::nullopt;
}

std::optional<ImageSize> bmp(const Bytes& b)
{
    if (!b.has(14, 4))
        return std::nullopt;
    const uint32_t headerSize = b.le32(14);
    if (headerSize == 12 && b.has(18, 4)) // OS/2 BITMAPCOREHEADER
        return ImageSize { b.le16(18), b.le16(20) };
    if (headerSize < 40 || !b.has(18, 8))
        return std::nullopt;
    const int64_t w = static_cast<int32_t>(b.le32(18));
    const int64_t h = static_cast<int32_t>(b.le32(22));
    return ImageSize { w < 0 ? -w : w, h < 0 ? -h : h }; // a negative height is a top-down image
}

std::optional<ImageSize> gif(const Bytes& b)
{
    if (!b.has(6, 4))
        return std::nullopt;
    return ImageSize { b.le16(6), b.le16(8) };
}

std::optional<ImageSize> webp(const Bytes& b)
{
    if (b.starts("VP8X", 12) && b.has(24, 6))
        return ImageSize { int64_t(b.le24(24)) + 1, int64_t(b.le24(27)) + 1 };
    if (b.starts("VP8L", 12) && b.has(21, 4)) {
        const uint32_t bits = b.le32(21);
        return ImageSize { int64_t(bits & 0x3FFF) + 1, int64_t((bits >> 14) & 0x3FFF) + 1 };
    }
    if (b.starts("VP8 ", 12) && b.has(26, 4))
        return ImageSize { b.le16(26) & 0x3FFF, b.le16(28) & 0x3FFF };
    return std::nullopt;
}

std::optional<ImageSize> tiff(const Bytes& b)
{
    const bool little = b.starts("II");
    auto u16 = [&](size_t at) { return little ? b.le16(at) : b.be16(at); };
    auto u32 = [&](size_t at) { return little ? b.le32(at) : b.be32(at); };
    if (!b.has(4, 4))
        return std::nullopt;
    const size_t ifd = u32(4);
    if (!b.has(ifd, 2))
        return std::nullopt;
    const uint32_t entries = u16(ifd);
    int64_t width = -1, height = -1;
    for (uint32_t e = 0; e < entries; ++e) {
        const size_t at = ifd + 2 + size_t(12) * e;
        if (!b.has(at, 12))
            return std::nullopt;
        const uint32_t tag = u16(at), type = u16(at + 2);
        const int64_t value = type == 3 ? u16(at + 8) : type == 4 ? u32(at + 8) : -1;
        if (tag == 256)
            width = value;
        else if (tag == 257)
            height = value;
    }
    if (width < 0 || height < 0)
        return std::nullopt;
    return ImageSize { width, height };
}

} // namespace

std::optional<ImageSize> imageSizeFromHeader(std::string_view bytes)
{
    const Bytes b(bytes);
    if (b.starts("\x89PNG\r\n\x1a\n"))
        return png(b);
    if (b.starts("\xFF\xD8"))
        return jpeg(b);
    if (b.starts("BM"))
        return bmp(b);
    if (b.starts("GIF87a") || b.starts("GIF89a"))
        return gif(b);
    if (b.starts("RIFF") && b.starts("WEBP", 8))
        return webp(b);
    if (b.starts(std::string_view("II*\0", 4)) || b.starts(std::string_view("MM\0*", 4)))
        return tiff(b);
    return std::nullopt;
}

std::optional<int64_t> checkImageHeader(std::string_view bytes, std::string& reason)
{
    const std::optional<ImageSize> size = imageSizeFromHeader(bytes);
    if (!size) {
        reason = "cannot decode image (not a PNG, JPEG, BMP, GIF, WebP or TIFF header)";
        return std::nullopt;
    }
    const auto pixels = limits::checkedMul(size->width, size->height);
    if (!pixels || *pixels > limits::kMaxImagePixels) {
        reason = "image of " + std::to_string(size->width) + "\u00d7" + std::to_string(size->height)
            + " pixels, more than the " + std::to_string(limits::kMaxImagePixels) + " pixels NetCanvas decodes";
        return std::nullopt;
    }
    return *pixels;
}

} // namespace netcanvas
