#pragma once
// Rng: the engine's one source of randomness. Deterministic for a seed on every platform
// (own distributions, not std::normal_distribution, whose output differs between libraries).
#include <cstdint>

namespace netcanvas {

class Rng {
public:
    explicit Rng(uint64_t seed = 0x5eed) { reseed(seed); }
    void reseed(uint64_t seed);
    uint64_t nextU64();
    // Uniform in [0, 1).
    float uniform();
    float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
    // Standard normal (Box-Muller).
    float normal();
    float normal(float mean, float stddev) { return mean + stddev * normal(); }
    // Uniform integer in [0, n).
    uint64_t below(uint64_t n);
    // A new independent generator derived from this one (for threads, layers, epochs).
    Rng split();

    // The whole state (a resumed run continues the same sequence): xoshiro's four words and
    // the Box-Muller spare.
    struct State {
        uint64_t words[4] = {};
        bool hasSpare = false;
        float spare = 0.0f;
    };
    State state() const;
    void setState(const State& state);

private:
    uint64_t m_s[4];
    bool m_hasSpare = false;
    float m_spare = 0.0f;
};

} // namespace netcanvas
