#pragma once
// im2col / col2im for one C×H×W sample and a window (WindowDesc: kernel, stride and
// padding per axis; window.channels is not read — `channels` says how many planes).
//
// The column block of a sample has C·kH·kW rows (row = (c·kH + kh)·kW + kw) and outH·outW
// columns; it is written at `col` with row stride `ld` (so several samples can sit side by
// side in one batch-wide matrix: sample s at col + s·outH·outW, ld = S·outH·outW).
// Padding cells read as 0.
#include "engine/backend/Backend.h"

namespace netcanvas::cpu {

void im2col(const float* image, int64_t channels, const WindowDesc& w, float* col, int64_t ld);

// The adjoint of im2col: ADDS every column entry back into its image cell. The caller
// zeroes `image` first.
void col2im(const float* col, int64_t ld, int64_t channels, const WindowDesc& w, float* image);

} // namespace netcanvas::cpu
