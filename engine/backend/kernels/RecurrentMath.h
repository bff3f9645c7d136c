#pragma once
// Per-element math of the recurrent cells (LSTM, GRU), shared by every backend: the host
// fallback of Backend::lstmCellForward & co., the CPU backend's scalar tails and any device
// kernel compile these same functions. Header-only, no dependencies beyond the activation
// math: included from .cu files.
//
// Layouts (PyTorch's, docs/model-format.md): one row per sample, the gates side by side.
//   LSTM: gates [4H] in the order i, f, g, o;  c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c')
//   GRU:  gates [3H] in the order r, z, n;  the input part gi = W_ih x + b_ih and the hidden
//         part gh = W_hh h + b_hh are kept apart because
//         n = tanh(gi_n + r ⊙ gh_n),  h' = (1 − z) ⊙ n + z ⊙ h.
// Forward functions overwrite the pre-activations with the activations (what backward reads).
#include "engine/backend/kernels/ActivationTable.h"

namespace netcanvas::kernels {

NC_HD float sigmoid(float x)
{
    return SigmoidMath::forward(x, 0.0f);
}

// Element j of one LSTM row: gates (pre-activations in, activations out), c and h of this step.
NC_HD void lstmCellForward(float* gates, float cPrev, float& c, float& h, int64_t j, int64_t hidden)
{
    const float i = sigmoid(gates[j]);
    const float f = sigmoid(gates[hidden + j]);
    const float g = tanhf(gates[2 * hidden + j]);
    const float o = sigmoid(gates[3 * hidden + j]);
    gates[j] = i;
    gates[hidden + j] = f;
    gates[2 * hidden + j] = g;
    gates[3 * hidden + j] = o;
    c = f * cPrev + i * g;
    h = o * tanhf(c);
}

// Element j of one LSTM row backward. gates: the forward's activations; dh: dL/dh of this step
// (from the output and from the next step); dc: dL/dc from the next step in, dL/dc_prev out.
// Writes the pre-activation gradients dGates (i, f, g, o).
NC_HD void lstmCellBackward(
    const float* gates, float cPrev, float c, float dh, float& dc, float* dGates, int64_t j, int64_t hidden)
{
    const float i = gates[j], f = gates[hidden + j], g = gates[2 * hidden + j], o = gates[3 * hidden + j];
    const float tc = tanhf(c);
    const float dcTotal = dc + dh * o * (1.0f - tc * tc);
    dGates[j] = dcTotal * g * i * (1.0f - i);
    dGates[hidden + j] = dcTotal * cPrev * f * (1.0f - f);
    dGates[2 * hidden + j] = dcTotal * i * (1.0f - g * g);
    dGates[3 * hidden + j] = dh * tc * o * (1.0f - o);
    dc = dcTotal * f;
}

// Element j of one GRU row: gates = gi (pre-activations in; r, z, n out), gh the hidden part.
NC_HD void gruCellForward(float* gates, const float* gh, float hPrev, float& h, int64_t j, int64_t hidden)
{
    const float r = sigmoid(gates[j] + gh[j]);
    const float z = sigmoid(gates[hidden + j] + gh[hidden + j]);
    const float n = tanhf(gates[2 * hidden + j] + r * gh[2 * hidden + j]);
    gates[j] = r;
    gates[hidden + j] = z;
    gates[2 * hidden + j] = n;
    h = (1.0f - z) * n + z * hPrev;
}

// Element j of one GRU row backward: gradients of gi (dGi) and gh (dGh) — equal for r and z —
// and dL/dh_prev through the z ⊙ h path, added to dhPrev.
NC_HD void gruCellBackward(const float* gates, const float* gh, float hPrev, float dh, float* dGi, float* dGh,
    float& dhPrev, int64_t j, int64_t hidden)
{
    const float r = gates[j], z = gates[hidden + j], n = gates[2 * hidden + j];
    const float dn = dh * (1.0f - z) * (1.0f - n * n);
    const float dz = dh * (hPrev - n) * z * (1.0f - z);
    const float dr = dn * gh[2 * hidden + j] * r * (1.0f - r);
    dGi[j] = dr;
    dGh[j] = dr;
    dGi[hidden + j] = dz;
    dGh[hidden + j] = dz;
    dGi[2 * hidden + j] = dn;
    dGh[2 * hidden + j] = dn * r;
    dhPrev += dh * z;
}

// Embedding: the table row of a token id stored as a float (rounded to the nearest whole
// number, so ids survive float storage), or −1 when it is not in [0, vocab).
NC_HD int64_t tokenRow(float id, int64_t vocab)
{
    if (!(id > -0.5f && id < static_cast<float>(vocab) - 0.5f))
        return -1;
    return static_cast<int64_t>(id + 0.5f);
}

} // namespace netcanvas::kernels
