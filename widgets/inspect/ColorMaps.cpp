#include "widgets/inspect/ColorMaps.h"

#include "engine/inspect/Inspect.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace netcanvas::widgets {

namespace {

// matplotlib's _viridis_data and _inferno_data as 0xRRGGBB, entry i = round(255·data[i]).
// Generated from OpenCV's copy of the same float tables (cv::applyColorMap with
// COLORMAP_VIRIDIS / COLORMAP_INFERNO over 0..255) and checked against matplotlib's
// lib/matplotlib/_cm_listed.py.
// clang-format off
constexpr std::array<QRgb, 256> kViridis = {
    0x440154, 0x440256, 0x450457, 0x450559, 0x46075a, 0x46085c, 0x460a5d, 0x460b5e, 0x470d60, 0x470e61,
    0x471063, 0x471164, 0x471365, 0x481467, 0x481668, 0x481769, 0x48186a, 0x481a6c, 0x481b6d, 0x481c6e,
    0x481d6f, 0x481f70, 0x482071, 0x482173, 0x482374, 0x482475, 0x482576, 0x482677, 0x482878, 0x482979,
    0x472a7a, 0x472c7a, 0x472d7b, 0x472e7c, 0x472f7d, 0x46307e, 0x46327e, 0x46337f, 0x463480, 0x453581,
    0x453781, 0x453882, 0x443983, 0x443a83, 0x443b84, 0x433d84, 0x433e85, 0x423f85, 0x424086, 0x424186,
    0x414287, 0x414487, 0x404588, 0x404688, 0x3f4788, 0x3f4889, 0x3e4989, 0x3e4a89, 0x3e4c8a, 0x3d4d8a,
    0x3d4e8a, 0x3c4f8a, 0x3c508b, 0x3b518b, 0x3b528b, 0x3a538b, 0x3a548c, 0x39558c, 0x39568c, 0x38588c,
    0x38598c, 0x375a8c, 0x375b8d, 0x365c8d, 0x365d8d, 0x355e8d, 0x355f8d, 0x34608d, 0x34618d, 0x33628d,
    0x33638d, 0x32648e, 0x32658e, 0x31668e, 0x31678e, 0x31688e, 0x30698e, 0x306a8e, 0x2f6b8e, 0x2f6c8e,
    0x2e6d8e, 0x2e6e8e, 0x2e6f8e, 0x2d708e, 0x2d718e, 0x2c718e, 0x2c728e, 0x2c738e, 0x2b748e, 0x2b758e,
    0x2a768e, 0x2a778e, 0x2a788e, 0x29798e, 0x297a8e, 0x297b8e, 0x287c8e, 0x287d8e, 0x277e8e, 0x277f8e,
    0x27808e, 0x26818e, 0x26828e, 0x26828e, 0x25838e, 0x25848e, 0x25858e, 0x24868e, 0x24878e, 0x23888e,
    0x23898e, 0x238a8d, 0x228b8d, 0x228c8d, 0x228d8d, 0x218e8d, 0x218f8d, 0x21908d, 0x21918c, 0x20928c,
    0x20928c, 0x20938c, 0x1f948c, 0x1f958b, 0x1f968b, 0x1f978b, 0x1f988b, 0x1f998a, 0x1f9a8a, 0x1e9b8a,
    0x1e9c89, 0x1e9d89, 0x1f9e89, 0x1f9f88, 0x1fa088, 0x1fa188, 0x1fa187, 0x1fa287, 0x20a386, 0x20a486,
    0x21a585, 0x21a685, 0x22a785, 0x22a884, 0x23a983, 0x24aa83, 0x25ab82, 0x25ac82, 0x26ad81, 0x27ad81,
    0x28ae80, 0x29af7f, 0x2ab07f, 0x2cb17e, 0x2db27d, 0x2eb37c, 0x2fb47c, 0x31b57b, 0x32b67a, 0x34b679,
    0x35b779, 0x37b878, 0x38b977, 0x3aba76, 0x3bbb75, 0x3dbc74, 0x3fbc73, 0x40bd72, 0x42be71, 0x44bf70,
    0x46c06f, 0x48c16e, 0x4ac16d, 0x4cc26c, 0x4ec36b, 0x50c46a, 0x52c569, 0x54c568, 0x56c667, 0x58c765,
    0x5ac864, 0x5cc863, 0x5ec962, 0x60ca60, 0x63cb5f, 0x65cb5e, 0x67cc5c, 0x69cd5b, 0x6ccd5a, 0x6ece58,
    0x70cf57, 0x73d056, 0x75d054, 0x77d153, 0x7ad151, 0x7cd250, 0x7fd34e, 0x81d34d, 0x84d44b, 0x86d549,
    0x89d548, 0x8bd646, 0x8ed645, 0x90d743, 0x93d741, 0x95d840, 0x98d83e, 0x9bd93c, 0x9dd93b, 0xa0da39,
    0xa2da37, 0xa5db36, 0xa8db34, 0xaadc32, 0xaddc30, 0xb0dd2f, 0xb2dd2d, 0xb5de2b, 0xb8de29, 0xbade28,
    0xbddf26, 0xc0df25, 0xc2df23, 0xc5e021, 0xc8e020, 0xcae11f, 0xcde11d, 0xd0e11c, 0xd2e21b, 0xd5e21a,
    0xd8e219, 0xdae319, 0xdde318, 0xdfe318, 0xe2e418, 0xe5e419, 0xe7e419, 0xeae51a, 0xece51b, 0xefe51c,
    0xf1e51d, 0xf4e61e, 0xf6e620, 0xf8e621, 0xfbe723, 0xfde725,
};
constexpr std::array<QRgb, 256> kInferno = {
    0x000004, 0x010005, 0x010106, 0x010108, 0x02010a, 0x02020c, 0x02020e, 0x030210, 0x040312, 0x040314,
    0x050417, 0x060419, 0x07051b, 0x08051d, 0x09061f, 0x0a0722, 0x0b0724, 0x0c0826, 0x0d0829, 0x0e092b,
    0x10092d, 0x110a30, 0x120a32, 0x140b34, 0x150b37, 0x160b39, 0x180c3c, 0x190c3e, 0x1b0c41, 0x1c0c43,
    0x1e0c45, 0x1f0c48, 0x210c4a, 0x230c4c, 0x240c4f, 0x260c51, 0x280b53, 0x290b55, 0x2b0b57, 0x2d0b59,
    0x2f0a5b, 0x310a5c, 0x320a5e, 0x340a5f, 0x360961, 0x380962, 0x390963, 0x3b0964, 0x3d0965, 0x3e0966,
    0x400a67, 0x420a68, 0x440a68, 0x450a69, 0x470b6a, 0x490b6a, 0x4a0c6b, 0x4c0c6b, 0x4d0d6c, 0x4f0d6c,
    0x510e6c, 0x520e6d, 0x540f6d, 0x550f6d, 0x57106e, 0x59106e, 0x5a116e, 0x5c126e, 0x5d126e, 0x5f136e,
    0x61136e, 0x62146e, 0x64156e, 0x65156e, 0x67166e, 0x69166e, 0x6a176e, 0x6c186e, 0x6d186e, 0x6f196e,
    0x71196e, 0x721a6e, 0x741a6e, 0x751b6e, 0x771c6d, 0x781c6d, 0x7a1d6d, 0x7c1d6d, 0x7d1e6d, 0x7f1e6c,
    0x801f6c, 0x82206c, 0x84206b, 0x85216b, 0x87216b, 0x88226a, 0x8a226a, 0x8c2369, 0x8d2369, 0x8f2469,
    0x902568, 0x922568, 0x932667, 0x952667, 0x972766, 0x982766, 0x9a2865, 0x9b2964, 0x9d2964, 0x9f2a63,
    0xa02a63, 0xa22b62, 0xa32c61, 0xa52c60, 0xa62d60, 0xa82e5f, 0xa92e5e, 0xab2f5e, 0xad305d, 0xae305c,
    0xb0315b, 0xb1325a, 0xb3325a, 0xb43359, 0xb63458, 0xb73557, 0xb93556, 0xba3655, 0xbc3754, 0xbd3853,
    0xbf3952, 0xc03a51, 0xc13a50, 0xc33b4f, 0xc43c4e, 0xc63d4d, 0xc73e4c, 0xc83f4b, 0xca404a, 0xcb4149,
    0xcc4248, 0xce4347, 0xcf4446, 0xd04545, 0xd24644, 0xd34743, 0xd44842, 0xd54a41, 0xd74b3f, 0xd84c3e,
    0xd94d3d, 0xda4e3c, 0xdb503b, 0xdd513a, 0xde5238, 0xdf5337, 0xe05536, 0xe15635, 0xe25734, 0xe35933,
    0xe45a31, 0xe55c30, 0xe65d2f, 0xe75e2e, 0xe8602d, 0xe9612b, 0xea632a, 0xeb6429, 0xeb6628, 0xec6726,
    0xed6925, 0xee6a24, 0xef6c23, 0xef6e21, 0xf06f20, 0xf1711f, 0xf1731d, 0xf2741c, 0xf3761b, 0xf37819,
    0xf47918, 0xf57b17, 0xf57d15, 0xf67e14, 0xf68013, 0xf78212, 0xf78410, 0xf8850f, 0xf8870e, 0xf8890c,
    0xf98b0b, 0xf98c0a, 0xf98e09, 0xfa9008, 0xfa9207, 0xfa9407, 0xfb9606, 0xfb9706, 0xfb9906, 0xfb9b06,
    0xfb9d07, 0xfc9f07, 0xfca108, 0xfca309, 0xfca50a, 0xfca60c, 0xfca80d, 0xfcaa0f, 0xfcac11, 0xfcae12,
    0xfcb014, 0xfcb216, 0xfcb418, 0xfbb61a, 0xfbb81d, 0xfbba1f, 0xfbbc21, 0xfbbe23, 0xfac026, 0xfac228,
    0xfac42a, 0xfac62d, 0xf9c72f, 0xf9c932, 0xf9cb35, 0xf8cd37, 0xf8cf3a, 0xf7d13d, 0xf7d340, 0xf6d543,
    0xf6d746, 0xf5d949, 0xf5db4c, 0xf4dd4f, 0xf4df53, 0xf4e156, 0xf3e35a, 0xf3e55d, 0xf2e661, 0xf2e865,
    0xf2ea69, 0xf1ec6d, 0xf1ed71, 0xf1ef75, 0xf1f179, 0xf2f27d, 0xf2f482, 0xf3f586, 0xf3f68a, 0xf4f88e,
    0xf5f992, 0xf6fa96, 0xf8fb9a, 0xf9fc9d, 0xfafda1, 0xfcffa4,
};
// clang-format on

int tableIndex(float t)
{
    if (!(t > 0.0f)) // also NaN
        return 0;
    if (t >= 1.0f)
        return 255;
    return static_cast<int>(std::lround(t * 255.0f));
}

} // namespace

QRgb viridis(float t)
{
    return 0xff000000u | kViridis[static_cast<size_t>(tableIndex(t))];
}

QRgb inferno(float t)
{
    return 0xff000000u | kInferno[static_cast<size_t>(tableIndex(t))];
}

QRgb colorAt(ColorMap map, float t)
{
    switch (map) {
    case ColorMap::Viridis:
        return viridis(t);
    case ColorMap::Inferno:
        return inferno(t);
    case ColorMap::Gray:
        break;
    }
    const int g = tableIndex(t);
    return qRgb(g, g, g);
}

QImage planeToImage(const float* values, int h, int w, float lo, float hi, ColorMap map)
{
    if (h <= 0 || w <= 0 || !values)
        return {};
    QImage img(w, h, QImage::Format_RGB32);
    // One lookup table per call: 256 colors, then an index per value.
    std::array<QRgb, 256> lut {};
    for (int i = 0; i < 256; ++i)
        lut[static_cast<size_t>(i)] = colorAt(map, static_cast<float>(i) / 255.0f);
    const bool flat = !(hi > lo);
    const float scale = flat ? 0.0f : 1.0f / (hi - lo);
    for (int y = 0; y < h; ++y) {
        auto* row = reinterpret_cast<QRgb*>(img.scanLine(y));
        const float* src = values + static_cast<size_t>(y) * static_cast<size_t>(w);
        for (int x = 0; x < w; ++x) {
            const float v = src[x];
            row[x] = lut[static_cast<size_t>(flat || !std::isfinite(v) ? 0 : tableIndex((v - lo) * scale))];
        }
    }
    return img;
}

QImage overlayHeatmap(const QImage& base, const inspect::Heatmap& heat, float alpha)
{
    QImage out = base.convertToFormat(QImage::Format_RGB32);
    const int hh = heat.height, hw = heat.width;
    if (out.isNull() || hh <= 0 || hw <= 0 || heat.values.size() != static_cast<size_t>(hh) * static_cast<size_t>(hw))
        return out;
    alpha = std::clamp(std::isfinite(alpha) ? alpha : 0.0f, 0.0f, 1.0f);
    const int W = out.width(), H = out.height();
    const auto at = [&](int y, int x) {
        const float v = heat.values[static_cast<size_t>(y) * static_cast<size_t>(hw) + static_cast<size_t>(x)];
        return std::isfinite(v) ? std::clamp(v, 0.0f, 1.0f) : 0.0f;
    };
    // Bilinear sampling with pixel centres aligned: output pixel x samples the heat map at
    // (x + 0.5)·hw/W − 0.5, clamped to the edge.
    std::vector<int> x0(static_cast<size_t>(W)), x1(static_cast<size_t>(W));
    std::vector<float> fx(static_cast<size_t>(W));
    for (int x = 0; x < W; ++x) {
        const float sx
            = std::clamp((static_cast<float>(x) + 0.5f) * static_cast<float>(hw) / static_cast<float>(W) - 0.5f, 0.0f,
                static_cast<float>(hw - 1));
        const auto i = static_cast<size_t>(x);
        x0[i] = static_cast<int>(sx);
        x1[i] = std::min(x0[i] + 1, hw - 1);
        fx[i] = sx - static_cast<float>(x0[i]);
    }
    for (int y = 0; y < H; ++y) {
        const float sy
            = std::clamp((static_cast<float>(y) + 0.5f) * static_cast<float>(hh) / static_cast<float>(H) - 0.5f, 0.0f,
                static_cast<float>(hh - 1));
        const int y0 = static_cast<int>(sy), y1 = std::min(y0 + 1, hh - 1);
        const float fy = sy - static_cast<float>(y0);
        auto* row = reinterpret_cast<QRgb*>(out.scanLine(y));
        for (int x = 0; x < W; ++x) {
            const auto i = static_cast<size_t>(x);
            const float top = at(y0, x0[i]) * (1.0f - fx[i]) + at(y0, x1[i]) * fx[i];
            const float bottom = at(y1, x0[i]) * (1.0f - fx[i]) + at(y1, x1[i]) * fx[i];
            const float h = top * (1.0f - fy) + bottom * fy;
            const float a = alpha * h;
            if (a <= 0.0f)
                continue;
            const QRgb c = inferno(h);
            const QRgb b = row[x];
            const auto mix = [a](int bv, int cv) {
                return std::clamp(
                    static_cast<int>(std::lround(static_cast<float>(bv) * (1.0f - a) + static_cast<float>(cv) * a)), 0,
                    255);
            };
            row[x] = qRgb(mix(qRed(b), qRed(c)), mix(qGreen(b), qGreen(c)), mix(qBlue(b), qBlue(c)));
        }
    }
    return out;
}

QImage colorBar(ColorMap map, int w, int h)
{
    if (w <= 0 || h <= 0)
        return {};
    QImage img(w, h, QImage::Format_RGB32);
    for (int x = 0; x < w; ++x) {
        const QRgb c = colorAt(map, w == 1 ? 0.0f : static_cast<float>(x) / static_cast<float>(w - 1));
        for (int y = 0; y < h; ++y)
            reinterpret_cast<QRgb*>(img.scanLine(y))[x] = c;
    }
    return img;
}

} // namespace netcanvas::widgets
