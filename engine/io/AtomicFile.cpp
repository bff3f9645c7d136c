#include "engine/io/AtomicFile.h"

#include "engine/core/Error.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <unistd.h>
#include <vector>

namespace netcanvas {

namespace {

namespace fs = std::filesystem;

// "<name>.tmp-<digits>": the partial file of an interrupted writeFileAtomic.
bool isPartialName(const std::string& name, std::string* target = nullptr)
{
    const size_t at = name.rfind(".tmp-");
    if (at == std::string::npos || at == 0 || at + 5 == name.size())
        return false;
    for (size_t i = at + 5; i < name.size(); ++i)
        if (name[i] < '0' || name[i] > '9')
            return false;
    if (target)
        *target = name.substr(0, at);
    return true;
}

// Makes a rename durable: fsync of the folder that holds the entry.
void syncFolder(const fs::path& folder)
{
    const int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

// Partial files of `target` that an earlier, killed write left (older than a few seconds,
// so a concurrent writer's file is left alone).
void removeStalePartials(const fs::path& target)
{
    std::error_code ec;
    const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
    const std::string name = target.filename().string();
    const auto now = fs::file_time_type::clock::now();
    for (const auto& e : fs::directory_iterator(folder, ec)) {
        std::string of;
        if (!isPartialName(e.path().filename().string(), &of) || of != name)
            continue;
        const auto written = fs::last_write_time(e.path(), ec);
        if (!ec && now - written > std::chrono::seconds(5))
            fs::remove(e.path(), ec);
    }
}

} // namespace

int removePartialFiles(const std::string& folder)
{
    std::error_code ec;
    int removed = 0;
    std::vector<fs::path> partial;
    for (const auto& e : fs::directory_iterator(folder, ec))
        if (isPartialName(e.path().filename().string()) && e.is_regular_file(ec))
            partial.push_back(e.path());
    for (const auto& p : partial)
        removed += fs::remove(p, ec) ? 1 : 0;
    return removed;
}

void writeFileAtomic(const std::string& path, std::string_view bytes)
{
    const fs::path target(path);
    if (target.has_parent_path()) {
        std::error_code ec;
        fs::create_directories(target.parent_path(), ec);
    }
    std::random_device rd;
    const std::string tmp = path + ".tmp-" + std::to_string(rd() % 1000000);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        throw IoError("cannot write '" + path + "': " + std::strerror(errno));
    size_t off = 0;
    while (off < bytes.size()) {
        const ssize_t w = ::write(fd, bytes.data() + off, bytes.size() - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            const std::string why = std::strerror(errno);
            ::close(fd);
            ::unlink(tmp.c_str());
            throw IoError("cannot write '" + path + "': " + why);
        }
        off += static_cast<size_t>(w);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        const std::string why = std::strerror(errno);
        ::unlink(tmp.c_str());
        throw IoError("cannot write '" + path + "': " + why);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        ::unlink(tmp.c_str());
        throw IoError("cannot replace '" + path + "': " + why);
    }
    syncFolder(target.parent_path());
    removeStalePartials(target);
}

std::string readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw IoError("cannot open '" + path + "': " + std::strerror(errno));
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad())
        throw IoError("cannot read '" + path + "'");
    return ss.str();
}

} // namespace netcanvas
