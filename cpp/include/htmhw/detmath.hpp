// Deterministic elementary functions built only from IEEE-754 basic
// operations (+, -, *, conversions), so results are bit-identical on every
// platform and compiler that honours -ffp-contract=off (no libm dependence).
#pragma once
#include <cstdint>
#include <cstring>

namespace htmhw {

// exp(x) rounded to float. Arguments are clamped to [-87, 88] so the result is
// always a finite normal float (boost factors must never be inf or denormal).
// Relative error below 2e-7 (about 1-2 float ulp).
inline float det_expf(float xf) {
    double x = static_cast<double>(xf);
    if (!(x > -87.0)) x = -87.0;  // also maps NaN to the lower clamp
    if (x > 88.0) x = 88.0;
    const double t = x * 1.4426950408889634;  // x / ln 2
    const int k = static_cast<int>(t + (t >= 0.0 ? 0.5 : -0.5));
    const double kd = static_cast<double>(k);
    // Cody-Waite reduction: ln2_hi has few enough bits that kd * ln2_hi is exact.
    const double r = (x - kd * 0.693145751953125) - kd * 1.4286068203094172321e-6;
    // Taylor polynomial of e^r on |r| <= 0.35, truncation error < 3e-10.
    double p = 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    const std::uint64_t bits = static_cast<std::uint64_t>(k + 1023) << 52;
    double scale;
    std::memcpy(&scale, &bits, sizeof scale);
    return static_cast<float>(p * scale);
}

}  // namespace htmhw
