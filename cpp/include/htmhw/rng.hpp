// The project's PRNG: xoshiro256** seeded through SplitMix64, with documented
// derived draws. Every random decision in htmhw goes through this file so that
// another implementation (Python, Verilog, a C testbench) can reproduce it.
// Specification: docs/rng.md.
#pragma once
#include <cstdint>

namespace htmhw {

// SplitMix64 step: used only to expand a 64-bit seed into generator state.
inline std::uint64_t splitmix64_next(std::uint64_t& state) {
    state += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

class Rng {
public:
    // stream lets independent consumers (one per column, say) draw without
    // depending on each other's order, which keeps initialization parallelizable
    // and each column reproducible on its own.
    explicit Rng(std::uint64_t seed, std::uint64_t stream = 0) {
        std::uint64_t sm = seed ^ (stream * 0xD1B54A32D192ED03ULL);
        for (auto& w : s_) w = splitmix64_next(sm);
    }

    std::uint64_t next_u64() {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    // Uniform in [0, 1) with 53 random bits; exact in IEEE double.
    double uniform01() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

    // Approximately standard normal: Irwin-Hall sum of 12 uniform01() minus 6 (mean 0,
    // variance 1, bounded to [-6, 6)). Only additions, so bit-identical everywhere.
    double normal12() {
        double s = 0.0;
        for (int i = 0; i < 12; ++i) s += uniform01();
        return s - 6.0;
    }

    // Uniform integer in [0, n) by bitmask rejection (unbiased, platform
    // independent). n == 1 returns 0 without drawing. Precondition: n >= 1.
    std::uint64_t below(std::uint64_t n) {
        if (n <= 1) return 0;
        const int bits = 64 - __builtin_clzll(n - 1);
        for (;;) {
            const std::uint64_t r = next_u64() >> (64 - bits);
            if (r < n) return r;
        }
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t s_[4];
};

}  // namespace htmhw
