// Deterministic elementary functions built only from IEEE-754 basic
// operations (+, -, *, conversions), so results are bit-identical on every
// platform and compiler that honours -ffp-contract=off (no libm dependence).
#pragma once
#include <cstdint>
#include <cstring>

namespace htmhw {

// exp(x) in float32. Arguments are clamped to [-86, 88] so the result is always
// a finite normal float (boost factors must never be inf, 0 or denormal); NaN
// maps to the lower clamp. Relative error below 3e-7 (a few float ulp).
// Written without branches or libm so that loops over it vectorize and every
// lane computes exactly what the scalar code computes.
inline float det_expf(float x) {
    x = x >= -86.0f ? x : -86.0f;
    x = x <= 88.0f ? x : 88.0f;
    const float t = x * 1.44269504f;                     // x / ln 2
    const float kf = (t + 12582912.0f) - 12582912.0f;    // round to nearest (1.5 * 2^23 trick)
    // Cody-Waite: kf * 0.693359375f is exact (9 + 7 significant bits).
    const float r = (x - kf * 0.693359375f) - kf * -2.12194440e-4f;
    float p = 1.0f / 5040.0f;                            // Taylor, |r| <= 0.35
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    const std::uint32_t bits = static_cast<std::uint32_t>(static_cast<std::int32_t>(kf) + 127) << 23;
    float scale;
    std::memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

}  // namespace htmhw
