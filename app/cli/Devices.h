#pragma once
// `netcanvas-cli devices` and the --device option of train / eval / predict / bench.
#include "engine/backend/Backend.h"
#include "engine/backend/Precision.h"

#include <memory>
#include <string>

namespace netcanvas::cli {

// Lists the CPU and each GPU (docs/gpu.md), then the one-line CUDA status.
int runDevices(bool json, int threads);

// The backend for --device (auto | cpu | cuda | cuda:N) and --precision. A GPU that cannot be
// used gives the CPU and a one-line note on stderr (not for "auto" on a machine without any CUDA
// device, where the CPU is what was asked for — unless a GPU precision was asked for too); so
// does a precision the backend cannot run. A malformed spec throws FormatError.
std::unique_ptr<Backend> backendForDevice(
    const std::string& device, int threads, Precision precision = Precision::Fp32);

// --precision's value (fp32 | tf32 | fp16); anything else throws FormatError naming the flag.
Precision precisionOption(const std::string& value);

} // namespace netcanvas::cli
