#pragma once
// Allocator: where a Tensor's storage lives. The host allocator (hostAllocator()) hands out
// 64-byte-aligned host memory; a device backend's allocator hands out device memory, whose
// pointers only that backend's operations may touch (Backend::upload/download move data).
#include <cstddef>

namespace netcanvas {

enum class Device { Cpu, Cuda };

class Allocator {
public:
    virtual ~Allocator() = default;
    virtual Device device() const = 0;
    // At least `bytes` bytes (bytes > 0); throws BackendError (naming the size) when out of memory.
    virtual void* allocate(size_t bytes) = 0;
    virtual void deallocate(void* p) noexcept = 0;
};

// The process-wide host allocator (aligned to 64 bytes; thread-safe).
Allocator& hostAllocator();

} // namespace netcanvas
