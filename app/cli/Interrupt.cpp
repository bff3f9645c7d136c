#include "Interrupt.h"

#include <atomic>
#include <csignal>
#include <unistd.h>

namespace netcanvas::cli {

namespace {

std::atomic<int> g_signal { 0 };

extern "C" void onSignal(int sig)
{
    // Only async-signal-safe calls here: an atomic exchange, alarm and _exit.
    if (sig == SIGALRM)
        _exit(128 + g_signal.load());
    if (g_signal.exchange(sig) != 0)
        _exit(128 + sig);
    alarm(kGraceSeconds);
}

} // namespace

void installInterruptHandlers()
{
    struct sigaction sa { };
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGALRM, &sa, nullptr);
}

bool interrupted()
{
    return g_signal.load() != 0;
}

} // namespace netcanvas::cli
