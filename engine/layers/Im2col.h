#pragma once
// im2col / col2im for one C×H×W sample and a square window (see Window2D).
//
// The column block of a sample has C·k·k rows (row = (c·k + kh)·k + kw) and outH·outW
// columns; it is written at `col` with row stride `ld` (so several samples can sit side by
// side in one batch-wide matrix: sample s at col + s·outH·outW, ld = S·outH·outW).
// Padding cells read as 0.
#include "engine/layers/LayerSupport.h"

namespace netcanvas {

void im2col(const float* image, int64_t channels, const Window2D& w, float* col, int64_t ld);

// The adjoint of im2col: ADDS every column entry back into its image cell. The caller
// zeroes `image` first.
void col2im(const float* col, int64_t ld, int64_t channels, const Window2D& w, float* image);

} // namespace netcanvas
