#pragma once
// Color maps for the Inspect views: matplotlib's perceptually uniform viridis (feature maps,
// filters) and inferno (heat maps), plus gray; a float plane to a QImage; a heat map blended
// over an image.
//
// The tables are matplotlib's published 256-entry colormaps (_cm_listed.py, CC0, by
// Nathaniel J. Smith, Stefan van der Walt and Eric Firing), rounded to 8 bits per channel.
#include <QImage>
#include <QRgb>

namespace netcanvas::inspect {
struct Heatmap;
}

namespace netcanvas::widgets {

enum class ColorMap { Viridis, Inferno, Gray };

// The color at t in [0, 1] (clamped; NaN gives the t = 0 color): entry round(t·255) of the
// table. Ensures: opaque; viridis(0) = #440154, viridis(1) = #fde725, inferno(0) = #000004,
// inferno(1) = #fcffa4.
QRgb viridis(float t);
QRgb inferno(float t);
QRgb colorAt(ColorMap map, float t);

// An h×w RGB32 image of a row-major plane: value v is drawn with the color at
// (v − lo) / (hi − lo) (clamped), so lo gets the first color of the map and hi the last.
// When hi <= lo every pixel gets the first color (a constant plane, e.g. a dead channel).
// Non-finite values get the first color. Requires: values holds h·w floats (or h·w == 0,
// which gives a null image).
QImage planeToImage(const float* values, int h, int w, float lo, float hi, ColorMap map);

// `base` with the heat map blended over it: the heat map is resized to the base image's size
// with bilinear filtering (pixel centres aligned), and each pixel becomes
// base·(1 − a) + inferno(heat)·a with a = alpha · heat (alpha clamped to [0, 1]), so where the
// heat is 0 the base shows unchanged. Returns base as RGB32 when the heat map is empty or
// its values do not match its size. Requires: heat values in [0, 1] (clamped otherwise).
QImage overlayHeatmap(const QImage& base, const netcanvas::inspect::Heatmap& heat, float alpha);

// A horizontal color bar (w×h) running from the first to the last color of the map.
QImage colorBar(ColorMap map, int w, int h);

} // namespace netcanvas::widgets
