#pragma once
// FuzzTarget: one reader under fuzzing = one file fuzz/fuzz_<name>.cpp, nothing else to edit:
//
//     #include "fuzz/FuzzTarget.h"
//     #include "engine/graph/ModelJson.h"
//
//     NETCANVAS_FUZZ_TARGET(model_json)
//     {
//         netcanvas::parseModelJson(std::string(input), "fuzz.json").analyze();
//     }
//
// The body gets the input bytes and calls the reader the way the program does. A
// netcanvas::Error is the right answer to bad input; anything else — another exception, a
// crash, a sanitizer report, an allocation beyond libFuzzer's -malloc_limit_mb — is a finding.
//
// Two builds of the same file (docs/architecture.md, "Fuzzing"):
// - scripts/fuzz.sh (clang, -fsanitize=fuzzer,address,undefined): NETCANVAS_LIBFUZZER is
//   defined and the macro defines LLVMFuzzerTestOneInput — one executable fuzz_<name> per file;
// - the CTest suite (any compiler): the macro registers the body under its name, and
//   tests/engine/test_fuzz_regressions.cpp feeds it every input of fuzz/regressions/<name>/.
// Readers that take a path get their bytes through scratchFile().
#include "engine/core/Error.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <unistd.h>

namespace netcanvas::fuzz {

using Body = void (*)(std::string_view input);

inline std::map<std::string, Body>& targets()
{
    static std::map<std::string, Body> registry;
    return registry;
}

inline bool registerTarget(const char* name, Body body)
{
    targets().emplace(name, body);
    return true;
}

// Writes `bytes` to `name` in this process's scratch folder (removed at exit) and returns its
// path; a second call with the same name replaces the file.
inline std::string scratchFile(const std::string& name, std::string_view bytes)
{
    static const std::filesystem::path folder = [] {
        const char* tmp = std::getenv("TMPDIR");
        std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/netcanvas-fuzz-XXXXXX";
        if (!mkdtemp(pattern.data()))
            std::abort();
        static const std::string made = pattern;
        std::atexit([] {
            std::error_code ec;
            std::filesystem::remove_all(made, ec);
        });
        return std::filesystem::path(pattern);
    }();
    const std::filesystem::path path = folder / name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path.string();
}

// libFuzzer's entry: bad input must end as a netcanvas::Error.
inline void runOne(Body body, std::string_view input)
{
    try {
        body(input);
    } catch (const Error&) {
    }
}

} // namespace netcanvas::fuzz

#ifdef NETCANVAS_LIBFUZZER
#define NETCANVAS_FUZZ_ENTRY_(name)                                                                                    \
    extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)                                            \
    {                                                                                                                  \
        ::netcanvas::fuzz::runOne(netcanvasFuzzBody_##name, { reinterpret_cast<const char*>(data), size });            \
        return 0;                                                                                                      \
    }
#else
#define NETCANVAS_FUZZ_ENTRY_(name)                                                                                    \
    [[maybe_unused]] static const bool netcanvasFuzzRegistered_##name                                                  \
        = ::netcanvas::fuzz::registerTarget(#name, netcanvasFuzzBody_##name);
#endif

#define NETCANVAS_FUZZ_TARGET(name)                                                                                    \
    static void netcanvasFuzzBody_##name(std::string_view input);                                                      \
    NETCANVAS_FUZZ_ENTRY_(name)                                                                                        \
    static void netcanvasFuzzBody_##name(std::string_view input)
