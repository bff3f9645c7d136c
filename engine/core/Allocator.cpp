#include "engine/core/Allocator.h"

#include "engine/core/Error.h"

#include <cstdlib>
#include <string>

namespace netcanvas {

namespace {
// 64-byte aligned host memory (a cache line; enough for every SIMD width Eigen uses).
// aligned_alloc and free are thread-safe, and the allocator has no state of its own.
class HostAllocator final : public Allocator {
public:
    Device device() const override { return Device::Cpu; }
    void* allocate(size_t bytes) override
    {
        constexpr size_t kAlign = 64;
        const size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign; // aligned_alloc wants a multiple
        void* p = std::aligned_alloc(kAlign, rounded == 0 ? kAlign : rounded);
        if (!p)
            throw BackendError("host memory: cannot allocate " + std::to_string(bytes) + " bytes");
        return p;
    }
    void deallocate(void* p) noexcept override { std::free(p); }
};
} // namespace

Allocator& hostAllocator()
{
    static HostAllocator allocator;
    return allocator;
}

} // namespace netcanvas
