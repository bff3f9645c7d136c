#include "engine/labels/LabelLock.h"

#include "engine/core/Error.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace netcanvas {

namespace {

std::string readSmall(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return {};
    std::string s(4096, '\0');
    in.read(s.data(), static_cast<std::streamsize>(s.size()));
    s.resize(static_cast<size_t>(in.gcount()));
    return s;
}

std::string trimmed(std::string s)
{
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r'))
        s.pop_back();
    return s;
}

std::string selfProgram()
{
    return trimmed(readSmall("/proc/self/comm"));
}

std::string nowUtc()
{
    const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm {};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

std::optional<LabelLock::Holder> parseHolder(const std::string& text)
{
    try {
        const auto j = nlohmann::json::parse(text);
        LabelLock::Holder h;
        h.pid = j.value("pid", int64_t { 0 });
        h.host = j.value("host", std::string());
        h.program = j.value("program", std::string());
        h.since = j.value("since", std::string());
        if (h.pid <= 0)
            return std::nullopt;
        return h;
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
}

std::string describe(const LabelLock::Holder& h)
{
    std::string s
        = "pid " + std::to_string(h.pid) + " on " + (h.host.empty() ? std::string("an unknown host") : h.host);
    if (!h.since.empty())
        s += " since " + h.since;
    return s;
}

} // namespace

std::string LabelLock::hostName()
{
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0)
        return "localhost";
    return buf;
}

bool LabelLock::processAlive(int64_t pid, const std::string& program)
{
    if (pid <= 0)
        return false;
    // Signal 0 checks existence only; EPERM means it exists but belongs to someone else.
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM)
        return false;
    const std::string proc = "/proc/" + std::to_string(pid) + "/";
    const std::string stat = readSmall(proc + "stat");
    if (stat.empty())
        return true; // no /proc: trust kill()
    // "pid (comm) S ...": the state follows the last ')'.
    const auto close = stat.rfind(')');
    if (close != std::string::npos && close + 2 < stat.size() && (stat[close + 2] == 'Z' || stat[close + 2] == 'X'))
        return false; // a zombie: dead, not yet reaped by its parent
    const std::string comm = trimmed(readSmall(proc + "comm"));
    return program.empty() || comm.empty() || comm == program;
}

std::optional<LabelLock::Holder> LabelLock::readHolder(const std::string& lockPath)
{
    return parseHolder(readSmall(lockPath));
}

LabelLock::LabelLock(const std::string& folder, const std::string& lockPath)
    : m_path(lockPath)
{
    const std::string host = hostName();
    const std::string program = selfProgram();
    auto held = [&](const Holder& h, const std::string& extra) {
        return LockError("labels of " + folder + " are open in another NetCanvas window (" + describe(h) + ")" + extra);
    };
    for (int attempt = 0; attempt < 8; ++attempt) {
        const int fd = ::open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            throw IoError("cannot create the lock file '" + lockPath + "': " + std::strerror(errno));
        // Taken, or flock not supported by this file system (then the file's content decides).
        const bool mayTake = ::flock(fd, LOCK_EX | LOCK_NB) == 0 || (errno != EWOULDBLOCK && errno != EINTR);
        if (!mayTake) {
            const std::string text = readSmall(lockPath);
            ::close(fd);
            if (const auto h = parseHolder(text))
                throw held(*h, "");
            throw LockError(
                "labels of " + folder + " are open in another NetCanvas window (lock file '" + lockPath + "')");
        }
        // The file may have been removed (its holder closed) between our open and flock: then
        // we locked a deleted file. Start again on the one at the path.
        struct stat a {
        }, b {};
        if (::fstat(fd, &a) != 0 || ::stat(lockPath.c_str(), &b) != 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
            ::close(fd);
            continue;
        }
        std::string text(4096, '\0');
        const ssize_t n = ::pread(fd, text.data(), text.size(), 0);
        text.resize(n > 0 ? static_cast<size_t>(n) : 0);
        if (const auto h = parseHolder(text)) {
            // Unlocked, yet naming a holder: a crash left it — unless flock is not honoured
            // here (some network file systems), so check the process too.
            if (h->host != host) {
                ::close(fd);
                throw held(*h, "; if no NetCanvas window on " + h->host + " has them open, delete " + lockPath);
            }
            if (h->pid != static_cast<int64_t>(::getpid()) && processAlive(h->pid, h->program)) {
                ::close(fd);
                throw held(*h, "");
            }
            m_note = h->pid == static_cast<int64_t>(::getpid())
                ? "took over a lock file this process left behind"
                : "took over the lock of " + describe(*h) + ", which is no longer running";
        }
        const nlohmann::json me { { "pid", static_cast<int64_t>(::getpid()) }, { "host", host }, { "program", program },
            { "since", nowUtc() } };
        const std::string bytes = me.dump() + "\n";
        if (::ftruncate(fd, 0) != 0
            || ::pwrite(fd, bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size())) {
            const std::string why = std::strerror(errno);
            ::close(fd);
            throw IoError("cannot write the lock file '" + lockPath + "': " + why);
        }
        ::fsync(fd);
        m_fd = fd;
        return;
    }
    throw LockError("labels of " + folder + ": the lock file '" + lockPath + "' keeps changing; try again");
}

LabelLock::~LabelLock()
{
    if (m_fd >= 0) {
        ::unlink(m_path.c_str()); // while still locked: nobody else can have taken it meanwhile
        ::close(m_fd);
    }
}

} // namespace netcanvas
