#pragma once
// Image folders for the CLI tests: three classes of 16×16 gray PNGs over noise — a horizontal
// bar, a square, a vertical bar — in folders horizontal/, square/ and vertical/.

#include <QDir>
#include <QString>

#include <cstdint>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <random>

namespace netcanvas::test {

struct BarImages {
    uint32_t seed = 7;
    int noise = 40; // the background's values: 0..noise
    uint8_t ink = 255; // the bars' and the square's value
    bool movingSquare = false; // a 5×5 square that moves with the bar position; else 6×6 at (5, 5)
};

inline void writeBarImages(const QString& root, int perClass, const BarImages& style = {})
{
    std::mt19937 rng(style.seed);
    std::uniform_int_distribution<int> pos(2, 13), noise(0, style.noise);
    const char* names[] = { "horizontal", "square", "vertical" };
    for (int c = 0; c < 3; ++c) {
        QDir().mkpath(root + "/" + names[c]);
        for (int i = 0; i < perClass; ++i) {
            cv::Mat img(16, 16, CV_8UC1);
            for (int y = 0; y < 16; ++y)
                for (int x = 0; x < 16; ++x)
                    img.at<uint8_t>(y, x) = static_cast<uint8_t>(noise(rng));
            const int p = pos(rng);
            for (int k = 0; k < 16; ++k) {
                if (c == 0)
                    img.at<uint8_t>(p, k) = style.ink;
                if (c == 2)
                    img.at<uint8_t>(k, p) = style.ink;
            }
            if (c == 1) {
                const cv::Rect square = style.movingSquare ? cv::Rect(p / 2, p / 2, 5, 5) : cv::Rect(5, 5, 6, 6);
                img(square).setTo(style.ink);
            }
            cv::imwrite(QString("%1/%2/%3.png").arg(root, names[c]).arg(i).toStdString(), img);
        }
    }
}

} // namespace netcanvas::test
