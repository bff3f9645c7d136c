#pragma once
// LabelLock: the lock file `netcanvas-labels.lock` that keeps two NetCanvas windows (or
// processes) from editing the labels of one folder at the same time.
//
// What this represents: ownership of a folder's label files for the lifetime of the object.
// The file holds {"pid", "host", "program", "since"} of the holder, for the message shown to
// the next one; exclusion itself is an flock(2) on the file, which the kernel drops when the
// holder dies — so a lock left by a crash is free by construction.
// Ensures: constructed = the lock is ours, with our pid/host/time in the file; throws
// LockError naming the holder ("labels of /x are open in another NetCanvas window (pid 123
// on host since ...)") when another live process has it. A lock file naming a dead process of
// this host (or a pid reused by another program) is taken over, with a note. A lock from
// another host is never taken over (its process cannot be checked): the message says which
// file to delete. Destruction removes the file and unlocks.
#include <cstdint>
#include <optional>
#include <string>

namespace netcanvas {

class LabelLock {
public:
    struct Holder {
        int64_t pid = 0;
        std::string host;
        std::string program; // the holder's process name (/proc/<pid>/comm)
        std::string since; // UTC, ISO 8601
    };

    // `folder` names the labels in messages; `lockPath` is the lock file.
    LabelLock(const std::string& folder, const std::string& lockPath);
    ~LabelLock();
    LabelLock(const LabelLock&) = delete;
    LabelLock& operator=(const LabelLock&) = delete;

    // Set when a stale lock was taken over: whose it was.
    const std::string& note() const { return m_note; }
    const std::string& path() const { return m_path; }

    // The holder named in a lock file, if it can be read.
    static std::optional<Holder> readHolder(const std::string& lockPath);
    static std::string hostName();
    // Whether `pid` is a live process of this host running `program` (when known): not a
    // zombie, and not a pid the system has since given to another program.
    static bool processAlive(int64_t pid, const std::string& program);

private:
    std::string m_path;
    std::string m_note;
    int m_fd = -1;
};

} // namespace netcanvas
