#include "engine/core/Rng.h"

#include <cmath>

namespace netcanvas {

namespace {
uint64_t splitmix(uint64_t& x)
{
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}
} // namespace

void Rng::reseed(uint64_t seed)
{
    uint64_t x = seed;
    for (auto& s : m_s)
        s = splitmix(x);
    m_hasSpare = false;
}

Rng::State Rng::state() const
{
    State st;
    for (int i = 0; i < 4; ++i)
        st.words[i] = m_s[i];
    st.hasSpare = m_hasSpare;
    st.spare = m_spare;
    return st;
}

void Rng::setState(const State& st)
{
    for (int i = 0; i < 4; ++i)
        m_s[i] = st.words[i];
    m_hasSpare = st.hasSpare;
    m_spare = st.spare;
}

uint64_t Rng::nextU64()
{ // xoshiro256**
    const uint64_t result = rotl(m_s[1] * 5, 7) * 9;
    const uint64_t t = m_s[1] << 17;
    m_s[2] ^= m_s[0];
    m_s[3] ^= m_s[1];
    m_s[1] ^= m_s[2];
    m_s[0] ^= m_s[3];
    m_s[2] ^= t;
    m_s[3] = rotl(m_s[3], 45);
    return result;
}

float Rng::uniform()
{
    return static_cast<float>(nextU64() >> 40) * (1.0f / 16777216.0f);
}

float Rng::normal()
{
    if (m_hasSpare) {
        m_hasSpare = false;
        return m_spare;
    }
    double u1 = 0.0;
    while (u1 <= 1e-12)
        u1 = static_cast<double>(nextU64() >> 11) * (1.0 / 9007199254740992.0);
    const double u2 = static_cast<double>(nextU64() >> 11) * (1.0 / 9007199254740992.0);
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double a = 6.283185307179586 * u2;
    m_spare = static_cast<float>(r * std::sin(a));
    m_hasSpare = true;
    return static_cast<float>(r * std::cos(a));
}

uint64_t Rng::below(uint64_t n)
{
    if (n == 0)
        return 0;
    // Lemire's nearly-divisionless method would be faster; modulo bias is negligible for our n.
    return nextU64() % n;
}

Rng Rng::split()
{
    return Rng(nextU64());
}

} // namespace netcanvas
