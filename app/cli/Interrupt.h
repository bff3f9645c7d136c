#pragma once
// SIGINT and SIGTERM for netcanvas-cli. The first signal sets interrupted(): a training run
// stops at its next batch and saves its last good weights (exit code 130), a dataset load is
// cancelled. Whatever the process is doing, it ends: a second signal, or kGraceSeconds after
// the first with the run still going (a long evaluation, a stuck device), ends it at once
// with exit code 128 + the signal.
namespace netcanvas::cli {

inline constexpr unsigned kGraceSeconds = 20;

void installInterruptHandlers();
bool interrupted();

} // namespace netcanvas::cli
