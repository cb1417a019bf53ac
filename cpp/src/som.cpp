// Self-organizing map: grids, neighbourhoods, batch and online training, top-K
// encoding. Contract: cpp/include/htmhw/som.hpp and docs/som.md.
//
// Why the results are identical for any thread count and SIMD level:
// * every float sum has one fixed order (inputs ascending, units ascending) and
//   SIMD lanes only ever hold independent outputs (units, or dimensions of one
//   output row); the build has -ffp-contract=off and nothing here uses FMA;
// * work is split by output (samples for distances, units for sums), never
//   reduced per thread;
// * skipping a zero term is exact: an accumulator starts at +0 and can never
//   become -0 (in round-to-nearest x + y is -0 only if both are -0), so adding a
//   +-0 product changes nothing. Hence the sparse cross term (non-zero inputs
//   only), the dense one (all inputs), and smoothing that skips empty units or
//   zero weights give the same bits.
#include "htmhw/som.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

#include "htmhw/check.hpp"
#include "htmhw/detmath.hpp"
#include "htmhw/parallel.hpp"
#include "htmhw/rng.hpp"

#if defined(__x86_64__) || defined(__i386__)
#define HTMHW_SOM_X86 1
#include <immintrin.h>
#endif

#pragma GCC diagnostic ignored "-Wpsabi"
// GCC 12 flags the undefined-register idiom inside its own AVX-512 intrinsic headers.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace htmhw {

namespace {

[[noreturn]] void fail(const std::string& msg) { throw std::invalid_argument(msg); }

// ---------------------------------------------------------------- kernels ----
// Vector types from GCC's vector extensions: one body, instantiated per width.
typedef float v4f __attribute__((vector_size(16)));
#ifdef HTMHW_SOM_X86
typedef float v8f __attribute__((vector_size(32)));
typedef float v16f __attribute__((vector_size(64)));
#endif

#define SOM_INLINE inline __attribute__((always_inline))

template <class V>
SOM_INLINE V vload(const float* p) {
    V v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
template <class V>
SOM_INLINE void vstore(float* p, V v) {
    std::memcpy(p, &v, sizeof v);
}
// Exact broadcast of x to every lane. (Written as load-into-lane-0 + shuffle: a
// plain {x, x, ...} in this target-neutral template is lowered lane by lane.)
template <class V>
SOM_INLINE V vbroadcast(float x) {
    V v = V{};
    std::memcpy(&v, &x, sizeof x);
    return __builtin_shuffle(v, decltype(v < v){});
}

// out[j] = sum_k w[k] * base[idx[k] * stride + j] for j in [0, len), k ascending.
// (The sparse cross term: base = W^T + u0, idx = non-zero inputs, w = their values.
// Smoothing: base = unit sums, idx = contributing units, w = neighbourhood weights.)
template <class V, int NV>
SOM_INLINE void wsum_body(float* out, const float* base, std::size_t stride, const std::uint32_t* idx,
                          const float* w, std::size_t m, std::size_t len) {
    constexpr std::size_t L = sizeof(V) / sizeof(float);
    std::size_t j = 0;
    for (; j + NV * L <= len; j += NV * L) {
        V a[NV];
        for (int q = 0; q < NV; ++q) a[q] = V{};
        for (std::size_t k = 0; k < m; ++k) {
            const V wk = vbroadcast<V>(w[k]);
            const float* r = base + idx[k] * stride + j;
#pragma GCC unroll 16
            for (int q = 0; q < NV; ++q) a[q] += wk * vload<V>(r + q * L);
        }
        for (int q = 0; q < NV; ++q) vstore(out + j + q * L, a[q]);
    }
    for (; j + L <= len; j += L) {
        V a = V{};
        for (std::size_t k = 0; k < m; ++k) a += vbroadcast<V>(w[k]) * vload<V>(base + idx[k] * stride + j);
        vstore(out + j, a);
    }
    for (; j < len; ++j) {
        float a = 0.0f;
        for (std::size_t k = 0; k < m; ++k) a += w[k] * base[idx[k] * stride + j];
        out[j] = a;
    }
}

// Dense cross term of 4 samples: out[s][u] = sum_d x[s][d] * wt[d * ld + u], d
// ascending, for u in [0, len) (wt and out already offset to the tile).
template <class V, int NV>
SOM_INLINE void dense4_body(float* const* out, const float* const* x, const float* wt, std::size_t ld,
                            std::size_t dim, std::size_t len) {
    constexpr std::size_t L = sizeof(V) / sizeof(float);
    std::size_t j = 0;
    for (; j + NV * L <= len; j += NV * L) {
        V a[4][NV];
        for (int s = 0; s < 4; ++s)
            for (int q = 0; q < NV; ++q) a[s][q] = V{};
        for (std::size_t d = 0; d < dim; ++d) {
            V wv[NV];
            const float* r = wt + d * ld + j;
            for (int q = 0; q < NV; ++q) wv[q] = vload<V>(r + q * L);
#pragma GCC unroll 4
            for (int s = 0; s < 4; ++s) {
                const V xs = vbroadcast<V>(x[s][d]);
#pragma GCC unroll 8
                for (int q = 0; q < NV; ++q) a[s][q] += xs * wv[q];
            }
        }
        for (int s = 0; s < 4; ++s)
            for (int q = 0; q < NV; ++q) vstore(out[s] + j + q * L, a[s][q]);
    }
    for (; j < len; ++j)
        for (int s = 0; s < 4; ++s) {
            float a = 0.0f;
            for (std::size_t d = 0; d < dim; ++d) a += x[s][d] * wt[d * ld + j];
            out[s][j] = a;
        }
}

// y[j] += c * (x[j] - y[j]) (online update), element-wise.
template <class V>
SOM_INLINE void towards_body(float* y, const float* x, float c, std::size_t len) {
    constexpr std::size_t L = sizeof(V) / sizeof(float);
    const V cv = vbroadcast<V>(c);
    std::size_t j = 0;
    for (; j + L <= len; j += L) {
        const V yv = vload<V>(y + j);
        vstore(y + j, yv + cv * (vload<V>(x + j) - yv));
    }
    for (; j < len; ++j) y[j] = y[j] + c * (x[j] - y[j]);
}

// Squared Euclidean distances from x to 4 prototypes, each with 16 interleaved
// partial sums (lane j takes the dimensions d = j mod 16, ascending) combined by
// a fixed halving tree: the order is part of the definition, so every vector
// width gives the same bits. Four prototypes at once keep four add chains busy.
template <class V>
SOM_INLINE void dist2x4_body(const float* x, const float* const* w, std::size_t dim, float* out) {
    constexpr std::size_t L = sizeof(V) / sizeof(float), Q = 16 / L;
    V acc[4][Q];
    for (int i = 0; i < 4; ++i)
        for (std::size_t q = 0; q < Q; ++q) acc[i][q] = V{};
    std::size_t d = 0;
    for (; d + 16 <= dim; d += 16)
        for (std::size_t q = 0; q < Q; ++q) {
            const V xv = vload<V>(x + d + q * L);
#pragma GCC unroll 4
            for (int i = 0; i < 4; ++i) {
                const V t = xv - vload<V>(w[i] + d + q * L);
                acc[i][q] += t * t;
            }
        }
    for (int i = 0; i < 4; ++i) {
        float part[16];
        for (std::size_t q = 0; q < Q; ++q) vstore(part + q * L, acc[i][q]);
        for (std::size_t j = 0; d + j < dim; ++j) {
            const float t = x[d + j] - w[i][d + j];
            part[j] += t * t;
        }
        for (int h = 8; h >= 1; h /= 2)
            for (int j = 0; j < h; ++j) part[j] += part[j + h];
        out[i] = part[0];
    }
}

struct Kernels {
    void (*wsum)(float*, const float*, std::size_t, const std::uint32_t*, const float*, std::size_t, std::size_t);
    void (*dense4)(float* const*, const float* const*, const float*, std::size_t, std::size_t, std::size_t);
    void (*towards)(float*, const float*, float, std::size_t);
    void (*dist2x4)(const float*, const float* const*, std::size_t, float*);
};

void wsum_portable(float* o, const float* b, std::size_t s, const std::uint32_t* i, const float* w, std::size_t m,
                   std::size_t n) {
    wsum_body<v4f, 8>(o, b, s, i, w, m, n);
}
void dense4_portable(float* const* o, const float* const* x, const float* wt, std::size_t ld, std::size_t dim,
                     std::size_t n) {
    dense4_body<v4f, 2>(o, x, wt, ld, dim, n);
}
void towards_portable(float* y, const float* x, float c, std::size_t n) { towards_body<v4f>(y, x, c, n); }
void dist2x4_portable(const float* x, const float* const* w, std::size_t n, float* o) { dist2x4_body<v4f>(x, w, n, o); }

#ifdef HTMHW_SOM_X86
#define SOM_AVX2 __attribute__((target("avx2")))
#define SOM_AVX512 __attribute__((target("avx512f")))
SOM_AVX2 void wsum_avx2(float* o, const float* b, std::size_t s, const std::uint32_t* i, const float* w,
                        std::size_t m, std::size_t n) {
    wsum_body<v8f, 8>(o, b, s, i, w, m, n);
}
SOM_AVX2 void dense4_avx2(float* const* o, const float* const* x, const float* wt, std::size_t ld, std::size_t dim,
                          std::size_t n) {
    dense4_body<v8f, 2>(o, x, wt, ld, dim, n);
}
SOM_AVX2 void towards_avx2(float* y, const float* x, float c, std::size_t n) { towards_body<v8f>(y, x, c, n); }
SOM_AVX2 void dist2x4_avx2(const float* x, const float* const* w, std::size_t n, float* o) {
    dist2x4_body<v8f>(x, w, n, o);
}
SOM_AVX512 void wsum_avx512(float* o, const float* b, std::size_t s, const std::uint32_t* i, const float* w,
                            std::size_t m, std::size_t n) {
    wsum_body<v16f, 8>(o, b, s, i, w, m, n);
}
SOM_AVX512 void dense4_avx512(float* const* o, const float* const* x, const float* wt, std::size_t ld,
                              std::size_t dim, std::size_t n) {
    dense4_body<v16f, 4>(o, x, wt, ld, dim, n);
}
SOM_AVX512 void towards_avx512(float* y, const float* x, float c, std::size_t n) { towards_body<v16f>(y, x, c, n); }
SOM_AVX512 void dist2x4_avx512(const float* x, const float* const* w, std::size_t n, float* o) {
    dist2x4_body<v16f>(x, w, n, o);
}

int detect_level() {
    if (__builtin_cpu_supports("avx512f")) return 2;
    if (__builtin_cpu_supports("avx2")) return 1;
    return 0;
}
#else
int detect_level() { return 0; }
#endif

// ------------------------------------------------ prefilter kernels ----
// Exact int32 dot products of int16-quantized samples and prototypes, four
// samples x 64 units per call (the approximate cross term of the prefilter, see
// "prefilter" below). Words hold two int16 (dimension 2k in the low half, 2k + 1
// in the high half); qw is one panel of 64 units, d2 words x 64. Integer sums are
// exact, so the order of the additions does not matter here.
using Approx4Fn = void (*)(const std::int32_t* const*, const std::int32_t*, std::size_t, std::int32_t* const*);
// Exact cross term of eight (sample, 8-unit chunk) pairs: out[i][j] = sum_d
// x[i][d] * panel[i][8 d + j], d ascending, one rounding per product and per sum:
// the same operations, in the same order, as dense4_body and wsum_body (eight
// independent add chains hide the add latency).
using Verify8Fn = void (*)(const float* const*, const float* const*, std::size_t, float* const*);

#ifdef HTMHW_SOM_X86
// The multiply-accumulate is inline asm with the accumulator as an in/out
// operand: with the intrinsics GCC 12 copies every accumulator to a fresh register
// and back on each step (two extra moves per multiply-add).
#define SOM_DPWSSD(acc, x, w) asm("vpdpwssd %2, %1, %0" : "+v"(acc) : "v"(x), "v"(w))
#define SOM_MADDADD(acc, x, w)                                                                \
    do {                                                                                     \
        __m512i t_;                                                                          \
        asm("vpmaddwd %2, %1, %0" : "=v"(t_) : "v"(x), "v"(w));                              \
        asm("vpaddd %1, %0, %0" : "+v"(acc) : "v"(t_));                                      \
    } while (0)
// (Sixteen named accumulators: GCC keeps asm operands taken from an array in memory.)
#define SOM_ROW(MAC, s)                \
    MAC(a##s##0, x##s, w0);            \
    MAC(a##s##1, x##s, w1);            \
    MAC(a##s##2, x##s, w2);            \
    MAC(a##s##3, x##s, w3)
#define SOM_STORE_ROW(s)                                 \
    _mm512_storeu_si512(out[s], a##s##0);                \
    _mm512_storeu_si512(out[s] + 16, a##s##1);           \
    _mm512_storeu_si512(out[s] + 32, a##s##2);           \
    _mm512_storeu_si512(out[s] + 48, a##s##3)
#define SOM_APPROX4_BODY(MAC)                                                                   \
    const __m512i z = _mm512_setzero_si512();                                                   \
    __m512i a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;             \
    __m512i a20 = z, a21 = z, a22 = z, a23 = z, a30 = z, a31 = z, a32 = z, a33 = z;             \
    const std::int32_t *q0 = qx[0], *q1 = qx[1], *q2 = qx[2], *q3 = qx[3];                      \
    for (std::size_t k = 0; k < d2; ++k) {                                                      \
        const std::int32_t* r = qw + k * 64;                                                    \
        const __m512i w0 = _mm512_loadu_si512(r), w1 = _mm512_loadu_si512(r + 16);              \
        const __m512i w2 = _mm512_loadu_si512(r + 32), w3 = _mm512_loadu_si512(r + 48);         \
        const __m512i x0 = _mm512_set1_epi32(q0[k]), x1 = _mm512_set1_epi32(q1[k]);             \
        const __m512i x2 = _mm512_set1_epi32(q2[k]), x3 = _mm512_set1_epi32(q3[k]);             \
        SOM_ROW(MAC, 0);                                                                        \
        SOM_ROW(MAC, 1);                                                                        \
        SOM_ROW(MAC, 2);                                                                        \
        SOM_ROW(MAC, 3);                                                                        \
    }                                                                                           \
    SOM_STORE_ROW(0);                                                                           \
    SOM_STORE_ROW(1);                                                                           \
    SOM_STORE_ROW(2);                                                                           \
    SOM_STORE_ROW(3);

__attribute__((target("avx512f,avx512bw"))) void approx4_avx512bw(const std::int32_t* const* qx,
                                                                   const std::int32_t* qw, std::size_t d2,
                                                                   std::int32_t* const* out) {
    SOM_APPROX4_BODY(SOM_MADDADD)
}
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void approx4_vnni(const std::int32_t* const* qx,
                                                                         const std::int32_t* qw, std::size_t d2,
                                                                         std::int32_t* const* out) {
    SOM_APPROX4_BODY(SOM_DPWSSD)
}
#undef SOM_MADDADD
#undef SOM_DPWSSD
#undef SOM_APPROX4_BODY
#undef SOM_ROW
#undef SOM_STORE_ROW

__attribute__((target("avx2"))) void verify8_avx2(const float* const* x, const float* const* panel, std::size_t dim,
                                                  float* const* out) {
    // 8-unit chunks in 256-bit registers: Zen 4 runs two 256-bit multiplies (or adds) per
    // cycle but one 512-bit, and a BMU's candidates rarely fill 16 units.
    // (_mm256_set1_ps from memory is one vbroadcastss; the generic vbroadcast is two.)
    __m256 a[8];
    for (int i = 0; i < 8; ++i) a[i] = _mm256_setzero_ps();
    for (std::size_t d = 0; d < dim; ++d) {
#pragma GCC unroll 8
        for (int i = 0; i < 8; ++i)
            a[i] = _mm256_add_ps(a[i], _mm256_mul_ps(_mm256_set1_ps(x[i][d]), _mm256_loadu_ps(panel[i] + 8 * d)));
    }
    for (int i = 0; i < 8; ++i) _mm256_storeu_ps(out[i], a[i]);
}

// One sample's bounds, in float, 16 units per step: lo[u] = a_u - E_u and
// hi[u] = a_u + E_u with a_u = norm_u - (scale_x A_u) dot_u and E_u = resid_x P_u +
// norm_x Q_u + R_u (QuantMap; padded units have norm_u = +inf). Returns min_u hi[u];
// hi_min (if not null) gets each chunk's min. Min is exact, so its order is irrelevant.
// The float roundings here are covered by E (QuantMap's coefficients, docs/som.md).
__attribute__((target("avx512f"))) float bounds_avx512(const std::int32_t* dot, std::size_t chunks, const float* nu,
                                                     const float* A, const float* P, const float* Q, const float* R,
                                                     float sx, float xn, float xres, float* lo, float* hi,
                                                     float* hi_min) {
    const __m512 vsx = _mm512_set1_ps(sx), vxn = _mm512_set1_ps(xn), vxr = _mm512_set1_ps(xres);
    __m512 gmin = _mm512_set1_ps(std::numeric_limits<float>::infinity());
    for (std::size_t c = 0; c < chunks; ++c) {
        const std::size_t u = 16 * c;
        const __m512 I = _mm512_cvtepi32_ps(_mm512_loadu_si512(dot + u));
        const __m512 a =
            _mm512_sub_ps(_mm512_loadu_ps(nu + u), _mm512_mul_ps(_mm512_mul_ps(vsx, _mm512_loadu_ps(A + u)), I));
        const __m512 e = _mm512_add_ps(
            _mm512_add_ps(_mm512_mul_ps(vxr, _mm512_loadu_ps(P + u)), _mm512_mul_ps(vxn, _mm512_loadu_ps(Q + u))),
            _mm512_loadu_ps(R + u));
        const __m512 hv = _mm512_add_ps(a, e);
        _mm512_storeu_ps(lo + u, _mm512_sub_ps(a, e));
        _mm512_storeu_ps(hi + u, hv);
        gmin = _mm512_min_ps(gmin, hv);
        if (hi_min) hi_min[c] = _mm512_reduce_min_ps(hv);
    }
    return _mm512_reduce_min_ps(gmin);
}

// masks[c] = the units j of chunk c with lo[16 c + j] <= bound (bit j).
__attribute__((target("avx512f"))) void below_masks(const float* lo, std::size_t chunks, float bound,
                                                   std::uint16_t* masks) {
    const __m512 b = _mm512_set1_ps(bound);
    for (std::size_t c = 0; c < chunks; ++c)
        masks[c] = static_cast<std::uint16_t>(_mm512_cmp_ps_mask(_mm512_loadu_ps(lo + 16 * c), b, _CMP_LE_OQ));
}

Verify8Fn verify8_fn() { return verify8_avx2; }

// The prefilter's kernels, or null when the CPU lacks AVX-512BW.
Approx4Fn detect_approx4() {
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw")) return nullptr;
    return __builtin_cpu_supports("avx512vnni") ? approx4_vnni : approx4_avx512bw;
}
#else
Approx4Fn detect_approx4() { return nullptr; }
Verify8Fn verify8_fn() { return nullptr; }
float bounds_avx512(const std::int32_t*, std::size_t, const float*, const float*, const float*, const float*,
                    const float*, float, float, float, float*, float*, float*) {
    return 0.0f;
}
void below_masks(const float*, std::size_t, float, std::uint16_t*) {}
#endif

const int kMaxLevel = detect_level();
std::atomic<int> g_level{kMaxLevel};
std::atomic<int> g_cross_path{0};

Kernels kernels() {
#ifdef HTMHW_SOM_X86
    switch (g_level.load()) {
        case 2: return {wsum_avx512, dense4_avx512, towards_avx512, dist2x4_avx512};
        case 1: return {wsum_avx2, dense4_avx2, towards_avx2, dist2x4_avx2};
        default: break;
    }
#endif
    return {wsum_portable, dense4_portable, towards_portable, dist2x4_portable};
}

// d2[i] = squared distance from x to prototype units[i] (dist2x4 per group of
// four; a short last group repeats its last unit).
void dist2_units(const Kernels& k, const float* x, const float* weights, std::size_t dim,
                 const std::uint32_t* units, std::size_t n, float* d2) {
    for (std::size_t i = 0; i < n; i += 4) {
        const float* w[4];
        float out[4];
        for (std::size_t j = 0; j < 4; ++j) w[j] = weights + static_cast<std::size_t>(units[std::min(i + j, n - 1)]) * dim;
        k.dist2x4(x, w, dim, out);
        for (std::size_t j = 0; j < 4 && i + j < n; ++j) d2[i + j] = out[j];
    }
}

// ------------------------------------------------------------------ grid ----
struct Offsets {
    std::int64_t a;  // rect: dx; hex: 2 dx (half units)
    std::int64_t b;  // dy in rows
};

Offsets grid_offsets(const SomGrid& g, std::uint32_t u, std::uint32_t v) {
    const std::int64_t ru = u / g.cols, cu = u % g.cols, rv = v / g.cols, cv = v % g.cols;
    std::int64_t a, b = std::llabs(ru - rv);
    if (g.lattice == SomLattice::hex) {
        a = std::llabs((2 * cu + (ru & 1)) - (2 * cv + (rv & 1)));
        if (g.topology == SomTopology::toroidal) {
            const std::int64_t period = 2 * static_cast<std::int64_t>(g.cols);
            a %= period;
            a = std::min(a, period - a);
        }
    } else {
        a = std::llabs(cu - cv);
        if (g.topology == SomTopology::toroidal) a = std::min<std::int64_t>(a, g.cols - a);
    }
    if (g.topology == SomTopology::toroidal) b = std::min<std::int64_t>(b, g.rows - b);
    return {a, b};
}

double d2_of(const SomGrid& g, Offsets o) {
    if (g.lattice == SomLattice::hex) return static_cast<double>(o.a * o.a + 3 * o.b * o.b) / 4.0;
    return static_cast<double>(o.a * o.a + o.b * o.b);
}

float gauss_weight(double d2, double sigma) {
    const double q = d2 / (2.0 * sigma * sigma);
    if (q > 32.0) return 0.0f;
    return det_expf(static_cast<float>(-q));
}

// Weight of the pair (u, v) as used by training.
float pair_weight(const SomGrid& g, SomNeighborhood h, std::uint32_t u, std::uint32_t v, double radius,
                  double std_coeff) {
    const Offsets o = grid_offsets(g, u, v);
    if (h == SomNeighborhood::gaussian && g.lattice == SomLattice::rect) {
        const double sigma = std_coeff * radius;
        return gauss_weight(static_cast<double>(o.a * o.a), sigma) * gauss_weight(static_cast<double>(o.b * o.b), sigma);
    }
    return som_neighborhood_weight(h, d2_of(g, o), radius, std_coeff);
}

void check_radius(double radius, double std_coeff) {
    if (!(radius > 0.0 && radius <= 1e9)) fail_field("radius", "in (0, 1e9]", radius);
    if (!(std_coeff > 0.0 && std_coeff <= 1e6))
        fail_field("std_coeff", "in (0, 1e6]", std_coeff);
}

// ------------------------------------------------------------ prepared map ----
constexpr std::size_t kSampleBlock = 32;
constexpr std::size_t kTileBytes = 1u << 19;

// Units per tile of W^T: the tile (dim x tile floats) is kept near kTileBytes so
// it stays in L2 while a block of samples runs over it.
std::size_t unit_tile(std::size_t U, std::size_t D) {
    std::size_t t = kTileBytes / (4 * std::max<std::size_t>(D, 1));
    t = std::max<std::size_t>(64, t / 64 * 64);
    return std::min(t, U);
}

// W^T in tiles and |w_u|^2, the operands of the cross term. Tile t covers units
// [t0, t0 + len) and is stored contiguously at wt + t0 * dim as dim rows of len
// (a contiguous tile avoids the cache-set conflicts of a 4 KiB row stride).
struct Prepared {
    std::uint32_t units = 0, dim = 0;
    std::size_t tile = 0;
    std::vector<float> wt;
    std::vector<float> norms;
    const float* tile_at(std::size_t u0) const { return wt.data() + u0 * dim; }
};

Prepared prepare(const SomMap& m, unsigned threads) {
    Prepared p;
    p.units = m.grid.num_units();
    p.dim = m.dim;
    const std::size_t U = p.units, D = p.dim;
    p.tile = unit_tile(U, D);
    p.wt.resize(U * D);
    p.norms.assign(U, 0.0f);
    const std::size_t tiles = (U + p.tile - 1) / p.tile;
    parallel_for(tiles, threads, [&](std::size_t t0, std::size_t t1) {
        for (std::size_t t = t0; t < t1; ++t) {
            const std::size_t u0 = t * p.tile, len = std::min(p.tile, U - u0);
            float* dst = p.wt.data() + u0 * D;
            for (std::size_t d = 0; d < D; ++d)
                for (std::size_t j = 0; j < len; ++j) dst[d * len + j] = m.weights[(u0 + j) * D + d];
            // |w_u|^2 = sum_d w_ud^2, d ascending, vectorized across units.
            for (std::size_t d = 0; d < D; ++d)
                for (std::size_t j = 0; j < len; ++j) p.norms[u0 + j] += dst[d * len + j] * dst[d * len + j];
        }
    });
    return p;
}

bool use_sparse(std::size_t nnz, std::size_t D) {
    switch (g_cross_path.load()) {
        case 1: return true;
        case 2:
        case 3: return false;
        default: return 2 * nnz <= D;
    }
}

// Non-zero inputs of every sample (CSR), and which samples take the dense path.
struct SparseRows {
    std::vector<std::size_t> offsets;  // n + 1
    std::vector<std::uint32_t> idx;
    std::vector<float> val;
    std::vector<std::uint8_t> dense;   // 1: dense kernel (in groups of four within a block)
};

SparseRows sparse_rows(const float* x, std::size_t n, std::size_t D) {
    SparseRows r;
    r.offsets.assign(n + 1, 0);
    r.dense.assign(n, 0);
    for (std::size_t s = 0; s < n; ++s) {
        const float* xs = x + s * D;
        std::size_t nnz = 0;
        for (std::size_t d = 0; d < D; ++d) nnz += xs[d] != 0.0f;
        r.dense[s] = !use_sparse(nnz, D);
        r.offsets[s + 1] = r.offsets[s] + (r.dense[s] ? 0 : nnz);
    }
    r.idx.resize(r.offsets[n]);
    r.val.resize(r.offsets[n]);
    for (std::size_t s = 0; s < n; ++s) {
        if (r.dense[s]) continue;
        const float* xs = x + s * D;
        std::size_t o = r.offsets[s];
        for (std::size_t d = 0; d < D; ++d)
            if (xs[d] != 0.0f) {
                r.idx[o] = static_cast<std::uint32_t>(d);
                r.val[o++] = xs[d];
            }
    }
    return r;
}

// ------------------------------------------------------------- prefilter ----
// The dense cross term, pruned without changing a bit of any result (docs/som.md,
// "Prefilter"). Per sample an approximate key a_u of every unit comes from exact
// int32 dot products of int16-quantized x and w; E_u bounds |k_u - a_u| where k_u
// is the exact float32 key (norm_u - 2 c_u, c_u summed in the one fixed order).
// Only 8-unit chunks holding a unit with a_u - E_u <= B, B the k-th smallest
// a_v + E_v, can hold one of the k best units (or tie with one), so only those
// chunks get the exact cross term, with the kernels' arithmetic; the ranking then
// runs on exact keys as before. A sample whose candidates cover more than a
// quarter of the map takes the full kernel.
const Approx4Fn g_approx4 = detect_approx4();
constexpr std::size_t kPanel = 64;   // units per panel of the quantized map
constexpr std::size_t kChunk16 = 16;  // units per step of the bounds (one 512-bit register)
constexpr std::size_t kChunk8 = 8;    // units per exactly recomputed chunk

// int16 image of a vector: v ~ scale * q, |q_d| <= qmax; norm >= |v|, resid >= |v - scale q|.
struct QuantRow {
    double scale = 0.0, norm = 0.0, resid = 0.0;
};

// A float >= v (v >= 0): the bounds are evaluated in float and must not shrink.
float up(double v) { return std::nextafter(static_cast<float>(v), std::numeric_limits<float>::infinity()); }

// |sum_d qx_d qw_d| <= dim qmax^2 must stay below 2^31 (no int32 overflow).
std::int32_t prefilter_qmax(std::size_t dim) {
    return static_cast<std::int32_t>(std::min(32767.0, std::floor(std::sqrt(2147483647.0 / static_cast<double>(dim)))));
}

[[maybe_unused]] QuantRow quantize_row(const float* v, std::size_t dim, std::int32_t qmax, std::int32_t* words) {
    double m = 0.0;
    for (std::size_t d = 0; d < dim; ++d) m = std::max(m, static_cast<double>(std::fabs(v[d])));
    QuantRow r;
    r.scale = m > 0.0 ? m / qmax : 0.0;
    const double inv = m > 0.0 ? qmax / m : 0.0;
    double n2 = 0.0, r2 = 0.0;
    for (std::size_t k = 0; k < (dim + 1) / 2; ++k) {
        std::uint32_t word = 0;
        for (std::size_t h = 0; h < 2 && 2 * k + h < dim; ++h) {
            const double vd = v[2 * k + h];
            const double t = std::min<double>(qmax, std::max<double>(-qmax, std::nearbyint(vd * inv)));
            const double e = vd - r.scale * t;
            r2 += e * e;
            n2 += vd * vd;
            word |= static_cast<std::uint32_t>(static_cast<std::uint16_t>(static_cast<std::int16_t>(t))) << (16 * h);
        }
        words[k] = static_cast<std::int32_t>(word);
    }
    // Double rounding (~1e-16 relative per operation, also in scale * t) is far
    // below these margins.
    r.norm = std::sqrt(n2) * (1.0 + 1e-10);
    r.resid = std::sqrt(r2) * (1.0 + 1e-10) + 1e-15 * r.norm;
    return r;
}

#ifdef HTMHW_SOM_X86
// quantize_row with AVX-512: the same q (the int16 array is the word layout:
// little-endian pairs), norm and resid up to the order of the double sums, which
// the margins cover.
__attribute__((target("avx512f,avx512bw"))) QuantRow quantize_row_avx512(const float* v, std::size_t dim,
                                                                          std::int32_t qmax, std::int32_t* words) {
    __m512 mx = _mm512_setzero_ps();
    std::size_t d = 0;
    for (; d + 16 <= dim; d += 16) mx = _mm512_max_ps(mx, _mm512_abs_ps(_mm512_loadu_ps(v + d)));
    float m = _mm512_reduce_max_ps(mx);
    for (; d < dim; ++d) m = std::max(m, std::fabs(v[d]));
    QuantRow r;
    r.scale = m > 0.0f ? static_cast<double>(m) / qmax : 0.0;
    // Any rounding of inv only changes which q is chosen; the residual is measured.
    const float inv = m > 0.0f ? static_cast<float>(qmax / static_cast<double>(m)) : 0.0f;
    const __m512 vinv = _mm512_set1_ps(inv), vq = _mm512_set1_ps(static_cast<float>(qmax));
    const __m512d vs = _mm512_set1_pd(r.scale);
    __m512d n2 = _mm512_setzero_pd(), r2 = _mm512_setzero_pd();
    auto* q16 = reinterpret_cast<unsigned char*>(words);
    for (d = 0; d + 16 <= dim; d += 16) {
        const __m512 x = _mm512_loadu_ps(v + d);
        __m512 t = _mm512_roundscale_ps(_mm512_mul_ps(x, vinv), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        t = _mm512_min_ps(vq, _mm512_max_ps(_mm512_sub_ps(_mm512_setzero_ps(), vq), t));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(q16 + 2 * d), _mm512_cvtepi32_epi16(_mm512_cvtps_epi32(t)));
        for (int h = 0; h < 2; ++h) {
            const __m256 xh = _mm512_castps512_ps256(h ? _mm512_shuffle_f32x4(x, x, 0xEE) : x);
            const __m256 th = _mm512_castps512_ps256(h ? _mm512_shuffle_f32x4(t, t, 0xEE) : t);
            const __m512d xd = _mm512_cvtps_pd(xh);
            const __m512d e = _mm512_sub_pd(xd, _mm512_mul_pd(vs, _mm512_cvtps_pd(th)));
            r2 = _mm512_add_pd(r2, _mm512_mul_pd(e, e));
            n2 = _mm512_add_pd(n2, _mm512_mul_pd(xd, xd));
        }
    }
    double n2s = _mm512_reduce_add_pd(n2), r2s = _mm512_reduce_add_pd(r2);
    for (; d < dim; ++d) {
        const double vd = v[d];
        const double t = std::min<double>(qmax, std::max<double>(-qmax, std::nearbyint(vd * inv)));
        const double e = vd - r.scale * t;
        r2s += e * e;
        n2s += vd * vd;
        const std::int16_t t16 = static_cast<std::int16_t>(t);
        std::memcpy(q16 + 2 * d, &t16, 2);
    }
    if (dim % 2) std::memset(q16 + 2 * dim, 0, 2);  // the high half of the last word
    r.norm = std::sqrt(n2s) * (1.0 + 1e-10);
    r.resid = std::sqrt(r2s) * (1.0 + 1e-10) + 1e-15 * r.norm;
    return r;
}
#define SOM_QUANTIZE_ROW quantize_row_avx512
#else
#define SOM_QUANTIZE_ROW quantize_row
#endif

// Quantized samples (training quantizes x once per call).
struct QuantX {
    std::size_t d2 = 0;
    std::vector<std::int32_t> words;  // n x d2
    std::vector<QuantRow> rows;
};

struct QuantMap {
    std::size_t d2 = 0, panels = 0;
    std::int32_t qmax = 0;
    std::vector<std::int32_t> qw;  // panel p, word k, unit j: qw[(p d2 + k) 64 + j]
    std::vector<float> w8;         // W^T by 8-unit chunk c: w8[(c dim + d) 8 + j]
    // Per unit (padded to whole 16-unit steps): norm_u (the float norm the exact key
    // uses, +inf for padding), A = 2 scale_u, and E's coefficients (quantize_map):
    // E_u = resid_x P_u + |x| Q_u + R_u.
    std::vector<float> nu, A, P, Q, R;
};

// k: the number of best units wanted. Ranking many units (top-K encoding) costs the
// prefilter a k-th smallest bound, more candidate chunks and a sort of their units;
// below ~200 dimensions the full kernel is then as fast (measured, docs/som.md), so
// for k > 2 it runs only from kPrefilterMinDimTopK dimensions on.
constexpr std::size_t kPrefilterMinDimTopK = 192;
bool prefilter_on(std::size_t units, std::size_t dim, std::uint32_t k) {
    const int path = g_cross_path.load();
    if (!g_approx4 || g_level.load() < 2 || path == 1 || path == 3) return false;
    if (k > 2 && dim < kPrefilterMinDimTopK && path != 2) return false;
    return dim >= 2 && dim <= 65536 && units >= 16;
}

QuantX quantize_samples(const float* x, std::size_t n, std::size_t dim, const std::uint8_t* dense, unsigned threads) {
    QuantX q;
    q.d2 = (dim + 1) / 2;
    q.words.assign(n * q.d2, 0);
    q.rows.assign(n, QuantRow{});
    const std::int32_t qmax = prefilter_qmax(dim);
    parallel_for(n, threads, [&](std::size_t s0, std::size_t s1) {
        for (std::size_t s = s0; s < s1; ++s)
            if (!dense || dense[s]) q.rows[s] = SOM_QUANTIZE_ROW(x + s * dim, dim, qmax, q.words.data() + s * q.d2);
    });
    return q;
}

QuantMap quantize_map(const SomMap& m, const float* norms, unsigned threads) {
    QuantMap q;
    const std::size_t U = m.grid.num_units(), D = m.dim;
    q.d2 = (D + 1) / 2;
    q.panels = (U + kPanel - 1) / kPanel;
    q.qmax = prefilter_qmax(D);
    q.qw.assign(q.panels * q.d2 * kPanel, 0);

    q.w8.assign(((U + kChunk16 - 1) / kChunk16) * 2 * D * kChunk8, 0.0f);
    // c_u in any order: |c_u - x.w| <= gamma_D sum |x_d w_d| <= gamma_D |x| |w|; the
    // float key's final rounding adds 2^-24 (norm_u + 2 |c_u|); underflow at most
    // 2^-149 per operation. Margins: 2^-22 for 2^-23 (1 + gamma), 1e-12 for double rounding.
    const double g = static_cast<double>(D) * 0x1p-24;
    const double rel = 2.0 * g / (1.0 - g) + 0x1p-22 + 1e-12;
    const double tiny = std::ldexp(4.0 * static_cast<double>(D) + 24.0, -149);  // + 16 for the bounds' float ops
    const std::size_t UC = ((U + kChunk16 - 1) / kChunk16) * kChunk16;
    q.nu.assign(UC, std::numeric_limits<float>::infinity());
    q.A.assign(UC, 0.0f);
    q.P.assign(UC, 0.0f);
    q.Q.assign(UC, 0.0f);
    q.R.assign(UC, 0.0f);
    constexpr double kUp = 1.0 + 1e-6;
    parallel_for(q.panels, threads, [&](std::size_t p0, std::size_t p1) {
        std::vector<std::int32_t> words(q.d2);
        for (std::size_t p = p0; p < p1; ++p)
            for (std::size_t u = p * kPanel; u < std::min(U, (p + 1) * kPanel); ++u) {
                const float* w = m.weights.data() + u * D;
                const QuantRow r = SOM_QUANTIZE_ROW(w, D, q.qmax, words.data());
                q.nu[u] = norms[u];
                q.A[u] = static_cast<float>(2.0 * r.scale);
                // The float evaluation of a (bounds_avx512) is within 6.02 2^-24 |2 x~.w~| +
                // 2^-24 norm_u of the real value, forming a -+ E within 2^-24 (|a| + E), and
                // |x~.w~| <= (|x| + resid_x)(|w| + resid_w): the 2^-18 and 2^-19 terms cover
                // all of it; 1 + 1e-6 covers E's own three float roundings.
                const double g18 = 0x1p-18 * (r.norm + r.resid);
                q.P[u] = up((2.0 * (r.norm + r.resid) + g18) * kUp);
                q.Q[u] = up((2.0 * r.resid + rel * r.norm + g18) * kUp);
                q.R[u] = up(((0x1p-23 + 0x1p-19) * norms[u] + tiny) * kUp);
                for (std::size_t k = 0; k < q.d2; ++k) q.qw[(p * q.d2 + k) * kPanel + (u - p * kPanel)] = words[k];
                float* c = q.w8.data() + (u / kChunk8) * D * kChunk8 + u % kChunk8;
                for (std::size_t d = 0; d < D; ++d) c[d * kChunk8] = w[d];
            }
    });
    return q;
}

struct PrefilterScratch {
    std::vector<std::int32_t> words, dots;
    std::vector<QuantRow> xr;
    std::vector<float> hi, ulo, hmin, tmp;
    std::vector<std::uint16_t> masks;
    std::vector<std::uint32_t> task_chunk, task_slot, task_mask;
    std::vector<std::size_t> task_start;
    std::vector<float> task_out;
    std::vector<std::pair<float, std::uint32_t>> cand;
};

// Runs the prefilter on `samples` (dense samples of one block, at most
// kSampleBlock), calls emit_pruned(s, pairs, count) with the exact (key, unit)
// of every candidate unit (lo_u <= bound; at least k of them) of each pruned sample, and leaves in
// `samples` those that need the full cross term.
template <class EmitPruned>
void prefilter_block(const QuantMap& qm, const QuantX* qx, const float* norms, const float* x, std::size_t U,
                     std::size_t D, std::uint32_t k, std::vector<std::size_t>& samples, PrefilterScratch& sc,
                     EmitPruned emit_pruned) {
    const std::size_t m = samples.size(), UP = qm.panels * kPanel, d2 = qm.d2;
    if (m == 0) return;
    sc.xr.resize(m);
    sc.dots.resize(m * UP);
    std::vector<const std::int32_t*> wx(m);
    if (!qx) sc.words.resize(m * d2);
    for (std::size_t i = 0; i < m; ++i) {
        const std::size_t s = samples[i];
        if (qx) {
            wx[i] = qx->words.data() + s * d2;
            sc.xr[i] = qx->rows[s];
        } else {
            sc.xr[i] = SOM_QUANTIZE_ROW(x + s * D, D, qm.qmax, sc.words.data() + i * d2);
            wx[i] = sc.words.data() + i * d2;
        }
    }
    for (std::size_t p = 0; p < qm.panels; ++p)
        for (std::size_t g = 0; g < m; g += 4) {
            const std::int32_t* xs[4];
            std::int32_t* out[4];
            for (std::size_t q = 0; q < 4; ++q) {
                const std::size_t i = std::min(g + q, m - 1);  // a short group repeats its last sample
                xs[q] = wx[i];
                out[q] = sc.dots.data() + i * UP + p * kPanel;
            }
            g_approx4(xs, qm.qw.data() + p * d2 * kPanel, d2, out);
        }
    // Bounds and candidate chunks per sample.
    const std::size_t chunks = (U + kChunk16 - 1) / kChunk16;
    sc.hi.resize(chunks * kChunk16);
    sc.ulo.resize(chunks * kChunk16);
    sc.hmin.resize(chunks);
    sc.masks.resize(chunks);
    sc.task_chunk.clear();
    sc.task_slot.clear();
    sc.task_mask.clear();
    sc.task_start.assign(1, 0);
    std::vector<std::size_t> full, pruned;
    for (std::size_t i = 0; i < m; ++i) {
        const QuantRow xr = sc.xr[i];
        const float min_hi = bounds_avx512(sc.dots.data() + i * UP, chunks, qm.nu.data(), qm.A.data(), qm.P.data(),
                                           qm.Q.data(), qm.R.data(), static_cast<float>(xr.scale), up(xr.norm),
                                           up(xr.resid), sc.ulo.data(), sc.hi.data(), k == 1 ? nullptr : sc.hmin.data());
        // bound >= the k-th smallest a_v + E_v (any such bound is correct; the tighter, the fewer chunks).
        float bound = min_hi;
        if (k > 1) {
            // The k-th smallest chunk minimum bounds it from above; the exact k-th
            // smallest is then among the values up to that.
            float b0 = std::numeric_limits<float>::infinity();
            if (k <= chunks) {
                sc.tmp.assign(sc.hmin.begin(), sc.hmin.end());
                std::nth_element(sc.tmp.begin(), sc.tmp.begin() + (k - 1), sc.tmp.end());
                b0 = sc.tmp[k - 1];
            }
            sc.tmp.clear();
            for (std::size_t u = 0; u < U; ++u)
                if (sc.hi[u] <= b0) sc.tmp.push_back(sc.hi[u]);
            std::nth_element(sc.tmp.begin(), sc.tmp.begin() + (k - 1), sc.tmp.end());
            bound = sc.tmp[k - 1];
        }
        // Units that can rank (lo_u <= bound), per chunk: only these chunks get the
        // exact cross term, and only these units are ranked.
        below_masks(sc.ulo.data(), chunks, bound, sc.masks.data());
        const std::size_t before = sc.task_chunk.size();
        for (std::size_t c = 0; c < chunks; ++c)
            for (std::size_t h = 0; h < 2; ++h) {  // the two 8-unit chunks of 16 units
                const std::uint32_t mask = (sc.masks[c] >> (8 * h)) & 0xffu;
                if (!mask) continue;
                sc.task_chunk.push_back(static_cast<std::uint32_t>(2 * c + h));
                sc.task_slot.push_back(static_cast<std::uint32_t>(pruned.size()));
                sc.task_mask.push_back(mask);
            }
        if ((sc.task_chunk.size() - before) * kChunk8 * 4 > U) {  // too many: the full kernel is cheaper
            sc.task_chunk.resize(before);
            sc.task_slot.resize(before);
            sc.task_mask.resize(before);
            full.push_back(samples[i]);
        } else {
            pruned.push_back(i);
            sc.task_start.push_back(sc.task_chunk.size());
        }
    }
    // Exact cross term of the candidate chunks, eight (sample, chunk) pairs per call.
    const std::size_t T = sc.task_chunk.size();
    sc.task_out.resize((T + 8) * kChunk8);
    for (std::size_t t = 0; t < T; t += 8) {
        const float* xs[8];
        const float* panel[8];
        float* out[8];
        for (std::size_t q = 0; q < 8; ++q) {
            const std::size_t tq = t + q < T ? t + q : T - 1;
            xs[q] = x + samples[pruned[sc.task_slot[tq]]] * D;
            panel[q] = qm.w8.data() + static_cast<std::size_t>(sc.task_chunk[tq]) * D * kChunk8;
            out[q] = sc.task_out.data() + (t + q) * kChunk8;  // slots past T are scratch
        }
        verify8_fn()(xs, panel, D, out);
    }
    for (std::size_t j = 0; j < pruned.size(); ++j) {
        sc.cand.clear();
        for (std::size_t t = sc.task_start[j]; t < sc.task_start[j + 1]; ++t) {
            const std::size_t u0 = static_cast<std::size_t>(sc.task_chunk[t]) * kChunk8;
            for (std::uint32_t mask = sc.task_mask[t]; mask; mask &= mask - 1) {
                const std::size_t j = static_cast<std::size_t>(__builtin_ctz(mask));  // padded units never qualify
                sc.cand.emplace_back(norms[u0 + j] - 2.0f * sc.task_out[t * kChunk8 + j], static_cast<std::uint32_t>(u0 + j));
            }
        }
        emit_pruned(samples[pruned[j]], sc.cand.data(), sc.cand.size());
    }
    samples.swap(full);
}

// For every sample s in [0, n): cross[u] = sum_d x_sd w_ud (d ascending), then
// emit(s, cross) on the worker thread that owns s. rows: the precomputed sparse
// rows of x, or null (then built per block). With qm (the quantized map) dense
// samples first go through the prefilter for the k best units: those it prunes
// are reported by emit_pruned(s, (key, unit) pairs, count) instead; qx: the
// quantized samples, or null (then quantized per block).
template <class Emit, class EmitPruned>
void cross_all(const Prepared& p, const float* x, std::size_t n, unsigned threads, const SparseRows* rows,
               Emit emit, const QuantMap* qm, const QuantX* qx, std::uint32_t topk, EmitPruned emit_pruned) {
    const std::size_t U = p.units, D = p.dim, TU = p.tile;
    const Kernels k = kernels();
    // Blocks of kSampleBlock samples are claimed from a shared counter, not split in
    // fixed halves: on a shared machine a descheduled thread then delays only its
    // current block. Who computes a sample never changes what is computed (each
    // sample's result depends on that sample only), so the bits stay the same.
    const std::size_t blocks = (n + kSampleBlock - 1) / kSampleBlock;
    const unsigned workers = static_cast<unsigned>(std::min<std::size_t>(threads, blocks));
    std::atomic<std::size_t> next_block{0};
    parallel_for(workers, workers, [&](std::size_t, std::size_t) {
        std::vector<float> out(kSampleBlock * U);
        std::vector<std::uint32_t> idx;
        std::vector<float> val;
        std::vector<std::size_t> dense, sparse;
        std::vector<const std::uint32_t*> sidx;
        std::vector<const float*> sval;
        std::vector<std::size_t> snnz;
        PrefilterScratch scratch;
        for (std::size_t b = next_block.fetch_add(1); b < blocks; b = next_block.fetch_add(1)) {
            const std::size_t b0 = b * kSampleBlock, b1 = std::min(n, b0 + kSampleBlock);
            dense.clear();
            sparse.clear();
            for (std::size_t s = b0; s < b1; ++s) {
                bool is_dense;
                if (rows) {
                    is_dense = rows->dense[s];
                } else {
                    const float* xs = x + s * D;
                    std::size_t nnz = 0;
                    for (std::size_t d = 0; d < D; ++d) nnz += xs[d] != 0.0f;
                    is_dense = !use_sparse(nnz, D);
                }
                (is_dense ? dense : sparse).push_back(s);
            }
            if (qm) prefilter_block(*qm, qx, p.norms.data(), x, U, D, topk, dense, scratch, emit_pruned);
            // Samples left over from the groups of four go through the sparse kernel.
            std::vector<std::size_t> leftover;
            while (dense.size() % 4) {
                leftover.push_back(dense.back());
                dense.pop_back();
            }
            // Non-zero lists: from rows when available, else gathered here.
            // (branch-free compaction into buffers sized for a whole block)
            idx.resize((b1 - b0) * D + 1);
            val.resize((b1 - b0) * D + 1);
            std::vector<std::size_t> off(1, 0);
            auto gather = [&](std::size_t s) {
                const float* xs = x + s * D;
                std::size_t o = off.back();
                for (std::size_t d = 0; d < D; ++d) {
                    idx[o] = static_cast<std::uint32_t>(d);
                    val[o] = xs[d];
                    o += xs[d] != 0.0f;
                }
                off.push_back(o);
            };
            const std::size_t n_sparse = sparse.size();
            if (!rows)
                for (std::size_t s : sparse) gather(s);
            for (std::size_t s : leftover) {
                gather(s);
                sparse.push_back(s);
            }
            sidx.clear();
            sval.clear();
            snnz.clear();
            for (std::size_t i = 0; i < sparse.size(); ++i) {
                if (rows && i < n_sparse) {
                    const std::size_t s = sparse[i];
                    sidx.push_back(rows->idx.data() + rows->offsets[s]);
                    sval.push_back(rows->val.data() + rows->offsets[s]);
                    snnz.push_back(rows->offsets[s + 1] - rows->offsets[s]);
                } else {
                    const std::size_t j = rows ? i - n_sparse : i;
                    sidx.push_back(idx.data() + off[j]);
                    sval.push_back(val.data() + off[j]);
                    snnz.push_back(off[j + 1] - off[j]);
                }
            }
            for (std::size_t u0 = 0; u0 < U; u0 += TU) {
                const std::size_t len = std::min(TU, U - u0);
                for (std::size_t g = 0; g < dense.size(); g += 4) {
                    float* o[4];
                    const float* xs[4];
                    for (int q = 0; q < 4; ++q) {
                        o[q] = out.data() + (dense[g + q] - b0) * U + u0;
                        xs[q] = x + dense[g + q] * D;
                    }
                    k.dense4(o, xs, p.tile_at(u0), len, D, len);
                }
                for (std::size_t i = 0; i < sparse.size(); ++i)
                    k.wsum(out.data() + (sparse[i] - b0) * U + u0, p.tile_at(u0), len, sidx[i], sval[i], snnz[i], len);
            }
            for (std::size_t s : dense) emit(s, out.data() + (s - b0) * U);
            for (std::size_t s : sparse) emit(s, out.data() + (s - b0) * U);
        }
    });
}

// Best-matching unit from a cross row: argmin |w|^2 - 2 x.w, ties to the lower
// unit. (min is exact, so computing it in any order gives the same value; the
// first unit holding it is then found by a scan.)
std::uint32_t bmu_of(const float* norms, const float* cross, std::size_t U, float* keys) {
    for (std::size_t u = 0; u < U; ++u) keys[u] = norms[u] - 2.0f * cross[u];
    float best = keys[0];
    for (std::size_t u = 1; u < U; ++u) best = keys[u] < best ? keys[u] : best;
    std::size_t u = 0;
    while (keys[u] != best) ++u;
    return static_cast<std::uint32_t>(u);
}

// ------------------------------------------------------------- smoothing ----
void smooth_impl(const SomGrid& g, SomNeighborhood h, double radius, double std_coeff, const float* sums,
                 const float* counts, std::uint32_t dim, unsigned threads, float* num, float* den) {
    const std::size_t U = g.num_units(), D = dim, R = g.rows, C = g.cols;
    const Kernels k = kernels();
    if (h == SomNeighborhood::gaussian && g.lattice == SomLattice::rect) {
        // Separable: exp(-(dx^2 + dy^2) / 2s^2) = exp(-dx^2 / 2s^2) exp(-dy^2 / 2s^2).
        const double sigma = std_coeff * radius;
        auto axis = [&](std::size_t n) {
            std::vector<float> w(n * n);
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t j = 0; j < n; ++j) {
                    std::int64_t a = std::llabs(static_cast<std::int64_t>(i) - static_cast<std::int64_t>(j));
                    if (g.topology == SomTopology::toroidal) a = std::min<std::int64_t>(a, static_cast<std::int64_t>(n) - a);
                    w[i * n + j] = gauss_weight(static_cast<double>(a * a), sigma);
                }
            return w;
        };
        const std::vector<float> gx = axis(C), gy = axis(R);
        std::vector<float> t(U * D), tn(U);
        // One pass along one grid axis: out[v] = sum_j g[i(v), j] in[unit(v, j)], where i(v) is
        // v's position on the axis and unit(v, j) the unit at position j of v's line.
        auto pass = [&](const std::vector<float>& gw, std::size_t n, auto position, auto unit, const float* cnt,
                        const float* in, float* out, float* out_den) {
            parallel_for(U, threads, [&](std::size_t v0, std::size_t v1) {
                std::vector<std::uint32_t> idx;
                std::vector<float> w;
                for (std::size_t v = v0; v < v1; ++v) {
                    const std::size_t i = position(v);
                    idx.clear();
                    w.clear();
                    float dn = 0.0f;
                    for (std::size_t j = 0; j < n; ++j) {
                        const float wt = gw[i * n + j];
                        const std::size_t u = unit(v, j);
                        if (wt == 0.0f || cnt[u] == 0.0f) continue;
                        idx.push_back(static_cast<std::uint32_t>(u));
                        w.push_back(wt);
                        dn += wt * cnt[u];
                    }
                    k.wsum(out + v * D, in, D, idx.data(), w.data(), idx.size(), D);
                    out_den[v] = dn;
                }
            });
        };
        // Pass 1, along each grid row: t[r, c] = sum_c' gx[c, c'] S[r, c'].
        pass(gx, C, [&](std::size_t v) { return v % C; }, [&](std::size_t v, std::size_t j) { return (v / C) * C + j; },
             counts, sums, t.data(), tn.data());
        // Pass 2, along each grid column: num[r, c] = sum_r' gy[r, r'] t[r', c].
        pass(gy, R, [&](std::size_t v) { return v / C; }, [&](std::size_t v, std::size_t j) { return j * C + v % C; },
             tn.data(), t.data(), num, den);
        return;
    }
    // Dense: num[v] = sum_u h(v, u) S[u] over the units u with samples.
    std::vector<std::uint32_t> hit;
    for (std::size_t u = 0; u < U; ++u)
        if (counts[u] != 0.0f) hit.push_back(static_cast<std::uint32_t>(u));
    parallel_for(U, threads, [&](std::size_t v0, std::size_t v1) {
        std::vector<std::uint32_t> idx;
        std::vector<float> w;
        for (std::size_t v = v0; v < v1; ++v) {
            idx.clear();
            w.clear();
            float dn = 0.0f;
            for (std::uint32_t u : hit) {
                const float wt = pair_weight(g, h, static_cast<std::uint32_t>(v), u, radius, std_coeff);
                if (wt == 0.0f) continue;
                idx.push_back(u);
                w.push_back(wt);
                dn += wt * counts[u];
            }
            k.wsum(num + v * D, sums, D, idx.data(), w.data(), idx.size(), D);
            den[v] = dn;
        }
    });
}

}  // namespace

// ------------------------------------------------------------ public API ----

void som_check_grid(const SomGrid& g) {
    if (g.rows < 1 || g.cols < 1)
        fail("grid shape must be at least 1 x 1; got " + std::to_string(g.rows) + " x " + std::to_string(g.cols));
    if (static_cast<std::uint64_t>(g.rows) * g.cols > kSomMaxUnits)
        fail("grid must have at most " + std::to_string(kSomMaxUnits) + " units; got " + std::to_string(g.rows) +
             " x " + std::to_string(g.cols));
    if (g.lattice != SomLattice::rect && g.lattice != SomLattice::hex) fail("lattice must be 'rect' or 'hex'");
    if (g.topology != SomTopology::planar && g.topology != SomTopology::toroidal)
        fail("topology must be 'planar' or 'toroidal'");
    if (g.lattice == SomLattice::hex && g.topology == SomTopology::toroidal && g.rows % 2 != 0)
        fail("a toroidal hexagonal grid needs an even number of rows (odd rows are shifted by half a unit); got " +
             std::to_string(g.rows) + " rows");
}

static void check_unit(const SomGrid& g, std::uint32_t u, const char* name) {
    if (u >= g.num_units())
        fail_field(name, "a unit index in [0, " + std::to_string(g.num_units()) + ")", u);
}

double som_grid_distance2(const SomGrid& g, std::uint32_t a, std::uint32_t b) {
    som_check_grid(g);
    check_unit(g, a, "a");
    check_unit(g, b, "b");
    return d2_of(g, grid_offsets(g, a, b));
}

std::vector<double> som_unit_coordinates(const SomGrid& g) {
    som_check_grid(g);
    std::vector<double> xy(2 * static_cast<std::size_t>(g.num_units()));
    const double row_step = g.lattice == SomLattice::hex ? std::sqrt(3.0) / 2.0 : 1.0;
    for (std::uint32_t u = 0; u < g.num_units(); ++u) {
        const std::uint32_t r = u / g.cols, c = u % g.cols;
        xy[2 * u] = c + (g.lattice == SomLattice::hex && (r & 1) ? 0.5 : 0.0);
        xy[2 * u + 1] = r * row_step;
    }
    return xy;
}

static bool adjacent_offsets(const SomGrid& g, Offsets o) {
    if (o.a == 0 && o.b == 0) return false;
    if (g.lattice == SomLattice::hex) return o.a * o.a + 3 * o.b * o.b == 4;  // distance exactly 1
    return o.a <= 1 && o.b <= 1;
}

bool som_adjacent(const SomGrid& g, std::uint32_t a, std::uint32_t b) {
    som_check_grid(g);
    check_unit(g, a, "a");
    check_unit(g, b, "b");
    return a != b && adjacent_offsets(g, grid_offsets(g, a, b));
}

void som_adjacency(const SomGrid& g, std::vector<std::uint32_t>& offsets, std::vector<std::uint32_t>& neighbors) {
    som_check_grid(g);
    const std::uint32_t U = g.num_units();
    offsets.assign(1, 0);
    neighbors.clear();
    for (std::uint32_t u = 0; u < U; ++u) {
        // Candidates: the 3 x 3 block of rows/columns around u (wrapped), deduplicated.
        const std::int64_t r = u / g.cols, c = u % g.cols;
        std::vector<std::uint32_t> cand;
        for (std::int64_t dr = -1; dr <= 1; ++dr)
            for (std::int64_t dc = -1; dc <= 1; ++dc) {
                std::int64_t r2 = r + dr, c2 = c + dc;
                if (g.topology == SomTopology::toroidal) {
                    r2 = (r2 + g.rows) % g.rows;
                    c2 = (c2 + g.cols) % g.cols;
                } else if (r2 < 0 || c2 < 0 || r2 >= g.rows || c2 >= g.cols) {
                    continue;
                }
                const auto v = static_cast<std::uint32_t>(r2 * g.cols + c2);
                if (v != u && adjacent_offsets(g, grid_offsets(g, u, v))) cand.push_back(v);
            }
        std::sort(cand.begin(), cand.end());
        cand.erase(std::unique(cand.begin(), cand.end()), cand.end());
        neighbors.insert(neighbors.end(), cand.begin(), cand.end());
        offsets.push_back(static_cast<std::uint32_t>(neighbors.size()));
    }
}

float som_neighborhood_weight(SomNeighborhood h, double d2, double radius, double std_coeff) {
    check_radius(radius, std_coeff);
    if (!(d2 >= 0.0)) fail("squared distance must be >= 0; got " + std::to_string(d2));
    if (h == SomNeighborhood::bubble) return d2 <= radius * radius ? 1.0f : 0.0f;
    if (h != SomNeighborhood::gaussian) fail("neighborhood must be 'gaussian' or 'bubble'");
    return gauss_weight(d2, std_coeff * radius);
}

std::vector<float> som_neighborhood_matrix(const SomGrid& g, SomNeighborhood h, double radius, double std_coeff) {
    som_check_grid(g);
    check_radius(radius, std_coeff);
    const std::size_t U = g.num_units();
    if (U > 16384) fail("som_neighborhood_matrix: grid must have at most 16384 units");
    std::vector<float> m(U * U);
    for (std::size_t v = 0; v < U; ++v)
        for (std::size_t u = 0; u < U; ++u)
            m[v * U + u] = pair_weight(g, h, static_cast<std::uint32_t>(v), static_cast<std::uint32_t>(u), radius,
                                       std_coeff);
    return m;
}

double som_schedule(SomDecay decay, double start, double end, std::uint64_t t, std::uint64_t T) {
    if (T < 1) fail("schedule length must be >= 1");
    if (t >= T) fail("schedule step must be < its length");
    if (T == 1) return start;
    const double f = static_cast<double>(t) / static_cast<double>(T - 1);
    if (decay == SomDecay::linear) return start + (end - start) * f;
    if (decay != SomDecay::exponential) fail("decay must be 'linear' or 'exponential'");
    if (!(start > 0.0 && end > 0.0)) fail("an exponential schedule needs start > 0 and end > 0");
    return start * std::pow(end / start, f);
}

void som_check_map(const SomMap& m) {
    som_check_grid(m.grid);
    if (m.dim < 1 || m.dim > kSomMaxDim)
        fail_field("dim", "in [1, " + std::to_string(kSomMaxDim) + "]", m.dim);
    const std::uint64_t need = static_cast<std::uint64_t>(m.grid.num_units()) * m.dim;
    if (m.weights.size() != need)
        fail("weights must have units * dim = " + std::to_string(need) + " entries; got " +
             std::to_string(m.weights.size()));
    som_check_inputs(m.weights.data(), m.grid.num_units(), m.dim, "weights");
}

void som_check_inputs(const float* x, std::size_t n, std::uint32_t dim, const char* name) {
    const std::size_t total = n * dim;
    for (std::size_t i = 0; i < total; ++i)
        if (!(std::fabs(x[i]) <= kSomMaxAbsInput)) {
            const std::string what = std::isnan(x[i]) ? "NaN" : std::isinf(x[i]) ? "infinity" : std::to_string(x[i]);
            fail(std::string(name) + " must be finite with |value| <= 1e15; found " + what + " at row " +
                 std::to_string(i / dim) + ", column " + std::to_string(i % dim));
        }
}

void som_check_train_params(const SomTrainParams& p) {
    if (p.neighborhood != SomNeighborhood::gaussian && p.neighborhood != SomNeighborhood::bubble)
        fail("neighborhood must be 'gaussian' or 'bubble'");
    if (p.n_epochs < 1 || p.n_epochs > 1000000)
        fail_field("n_epochs", "in [1, 1000000]", p.n_epochs);
    for (auto [name, v] : {std::pair<const char*, double>{"radius_start", p.radius_start}, {"radius_end", p.radius_end}})
        if (!(v > 0.0 && v <= 1e9)) fail_field(name, "in (0, 1e9]", v);
    for (auto [name, v] : {std::pair<const char*, double>{"learning_rate_start", p.learning_rate_start},
                           {"learning_rate_end", p.learning_rate_end}})
        if (!(v > 0.0 && v <= 1.0)) fail_field(name, "in (0, 1]", v);
    if (!(p.std_coeff > 0.0 && p.std_coeff <= 1e6))
        fail_field("std_coeff", "in (0, 1e6]", p.std_coeff);
    for (SomDecay d : {p.radius_decay, p.learning_rate_decay})
        if (d != SomDecay::linear && d != SomDecay::exponential) fail("decay must be 'linear' or 'exponential'");
    const std::uint32_t end = p.epoch_end == 0 ? p.n_epochs : p.epoch_end;
    if (end > p.n_epochs) fail_field("epoch_end", "in [0, n_epochs] (0: n_epochs)", p.epoch_end);
    if (p.epoch_begin >= end) fail_field("epoch_begin", "below epoch_end", p.epoch_begin);
}

namespace {
std::uint32_t last_epoch(const SomTrainParams& p) { return p.epoch_end == 0 ? p.n_epochs : p.epoch_end; }
}  // namespace

static void check_data(const SomGrid& g, const float* x, std::size_t n, std::uint32_t dim, unsigned threads) {
    som_check_grid(g);
    checked_threads(threads);
    if (dim < 1 || dim > kSomMaxDim)
        fail_field("dim", "in [1, " + std::to_string(kSomMaxDim) + "]", dim);
    if (n < 1) fail("X must have at least 1 sample; got 0");
    som_check_inputs(x, n, dim, "X");
}

SomMap som_init(const SomGrid& g, const float* x, std::size_t n, std::uint32_t dim, SomInit init,
                std::uint64_t seed, unsigned threads) {
    check_data(g, x, n, dim, threads);
    SomMap m;
    m.grid = g;
    m.dim = dim;
    const std::size_t U = g.num_units(), D = dim;
    m.weights.resize(U * D);
    Rng rng(seed, 0);
    if (init == SomInit::sample) {
        if (n >= U) {
            std::vector<std::size_t> idx(n);
            for (std::size_t i = 0; i < n; ++i) idx[i] = i;
            for (std::size_t u = 0; u < U; ++u) {
                const std::size_t j = u + rng.below(n - u);
                std::swap(idx[u], idx[j]);
                std::copy(x + idx[u] * D, x + idx[u] * D + D, m.weights.begin() + u * D);
            }
        } else {
            for (std::size_t u = 0; u < U; ++u) {
                const std::size_t j = rng.below(n);
                std::copy(x + j * D, x + j * D + D, m.weights.begin() + u * D);
            }
        }
        return m;
    }
    if (init != SomInit::pca) fail("init must be 'pca' or 'sample'");
    // PCA plane by subspace iteration (double precision) on <= 4096 strided samples.
    const std::size_t S = std::min<std::size_t>(n, 4096);
    std::vector<std::size_t> rows(S);
    for (std::size_t j = 0; j < S; ++j) rows[j] = j * n / S;
    std::vector<double> mean(D, 0.0);
    for (std::size_t j = 0; j < S; ++j)
        for (std::size_t d = 0; d < D; ++d) mean[d] += x[rows[j] * D + d];
    for (auto& v : mean) v /= static_cast<double>(S);
    std::vector<double> v1(D), v2(D);
    for (auto& v : v1) v = rng.uniform01() - 0.5;
    for (auto& v : v2) v = rng.uniform01() - 0.5;
    auto dot = [&](const std::vector<double>& a, const std::vector<double>& b) {
        double s = 0.0;
        for (std::size_t d = 0; d < D; ++d) s += a[d] * b[d];
        return s;
    };
    auto normalize = [&](std::vector<double>& a) {
        const double nn = std::sqrt(dot(a, a));
        if (nn > 0.0)
            for (auto& v : a) v /= nn;
    };
    auto orthonormalize = [&] {
        normalize(v1);
        const double p = dot(v1, v2);
        for (std::size_t d = 0; d < D; ++d) v2[d] -= p * v1[d];
        normalize(v2);
    };
    // y_k = C v_k, C = (1/S) sum_j (x_j - mean)(x_j - mean)^T
    //     = (1/S) (sum_j a_jk x_j - (sum_j a_jk) mean), a_jk = x_j.v_k - mean.v_k,
    // over the non-zero inputs only; fixed chunks of samples, partial sums added
    // in chunk order (thread-count independent).
    constexpr std::size_t kChunk = 256;
    const std::size_t chunks = (S + kChunk - 1) / kChunk;
    std::vector<double> part(chunks * (2 * D + 2));
    std::vector<std::size_t> off(S + 1, 0);
    std::vector<std::uint32_t> nz_idx;
    std::vector<float> nz_val;
    for (std::size_t j = 0; j < S; ++j) {
        const float* xs = x + rows[j] * D;
        for (std::size_t d = 0; d < D; ++d)
            if (xs[d] != 0.0f) {
                nz_idx.push_back(static_cast<std::uint32_t>(d));
                nz_val.push_back(xs[d]);
            }
        off[j + 1] = nz_idx.size();
    }
    std::vector<double> y1(D), y2(D);
    double lambda1 = 0.0, lambda2 = 0.0;
    for (int it = 0; it < 30; ++it) {
        orthonormalize();
        const double m1 = dot(mean, v1), m2 = dot(mean, v2);
        parallel_for(chunks, threads, [&](std::size_t c0, std::size_t c1) {
            for (std::size_t c = c0; c < c1; ++c) {
                double* p1 = part.data() + c * (2 * D + 2);
                double* p2 = p1 + D;
                std::fill(p1, p1 + 2 * D + 2, 0.0);
                for (std::size_t j = c * kChunk; j < std::min(S, (c + 1) * kChunk); ++j) {
                    double a = 0.0, b = 0.0;
                    for (std::size_t i = off[j]; i < off[j + 1]; ++i) {
                        a += nz_val[i] * v1[nz_idx[i]];
                        b += nz_val[i] * v2[nz_idx[i]];
                    }
                    a -= m1;
                    b -= m2;
                    for (std::size_t i = off[j]; i < off[j + 1]; ++i) {
                        p1[nz_idx[i]] += a * nz_val[i];
                        p2[nz_idx[i]] += b * nz_val[i];
                    }
                    p1[2 * D] += a;
                    p1[2 * D + 1] += b;
                }
            }
        });
        double sa = 0.0, sb = 0.0;
        std::fill(y1.begin(), y1.end(), 0.0);
        std::fill(y2.begin(), y2.end(), 0.0);
        for (std::size_t c = 0; c < chunks; ++c) {
            const double* p1 = part.data() + c * (2 * D + 2);
            for (std::size_t d = 0; d < D; ++d) {
                y1[d] += p1[d];
                y2[d] += p1[D + d];
            }
            sa += p1[2 * D];
            sb += p1[2 * D + 1];
        }
        for (std::size_t d = 0; d < D; ++d) {
            y1[d] = (y1[d] - sa * mean[d]) / static_cast<double>(S);
            y2[d] = (y2[d] - sb * mean[d]) / static_cast<double>(S);
        }
        // Rayleigh-Ritz on span(v1, v2): 2 x 2 symmetric eigenproblem.
        const double a = dot(v1, y1), b = dot(v1, y2), c = dot(v2, y2);
        const double tr = a + c, det = a * c - b * b;
        const double disc = std::sqrt(std::max(0.0, tr * tr / 4.0 - det));
        lambda1 = tr / 2.0 + disc;
        lambda2 = tr / 2.0 - disc;
        // Eigenvectors of [[a, b], [b, c]] in the (v1, v2) basis, applied to y = C v.
        double e1x = b, e1y = lambda1 - a;
        if (std::fabs(e1x) + std::fabs(e1y) < 1e-300) {
            e1x = 1.0;
            e1y = 0.0;
        }
        const double e2x = -e1y, e2y = e1x;
        for (std::size_t d = 0; d < D; ++d) {
            const double n1 = e1x * y1[d] + e1y * y2[d];
            const double n2 = e2x * y1[d] + e2y * y2[d];
            v1[d] = n1;
            v2[d] = n2;
        }
    }
    orthonormalize();
    const double s1 = 2.0 * std::sqrt(std::max(0.0, lambda1)), s2 = 2.0 * std::sqrt(std::max(0.0, lambda2));
    const std::vector<double> xy = som_unit_coordinates(g);
    double xmax = 0.0, ymax = 0.0;
    for (std::size_t u = 0; u < U; ++u) {
        xmax = std::max(xmax, xy[2 * u]);
        ymax = std::max(ymax, xy[2 * u + 1]);
    }
    const bool x_first = xmax >= ymax;
    for (std::size_t u = 0; u < U; ++u) {
        const double cx = xmax > 0.0 ? 2.0 * xy[2 * u] / xmax - 1.0 : 0.0;
        const double cy = ymax > 0.0 ? 2.0 * xy[2 * u + 1] / ymax - 1.0 : 0.0;
        const double a = x_first ? cx : cy, b = x_first ? cy : cx;
        for (std::size_t d = 0; d < D; ++d)
            m.weights[u * D + d] = static_cast<float>(mean[d] + a * s1 * v1[d] + b * s2 * v2[d]);
    }
    return m;
}

void som_smooth(const SomGrid& g, SomNeighborhood h, double radius, double std_coeff, const float* sums,
                const float* counts, std::uint32_t dim, unsigned threads, float* num, float* den) {
    som_check_grid(g);
    checked_threads(threads);
    check_radius(radius, std_coeff);
    if (h != SomNeighborhood::gaussian && h != SomNeighborhood::bubble)
        fail("neighborhood must be 'gaussian' or 'bubble'");
    if (dim < 1 || dim > kSomMaxDim) fail("dim must be in [1, " + std::to_string(kSomMaxDim) + "]");
    som_check_inputs(sums, g.num_units(), dim, "sums");
    for (std::size_t u = 0; u < g.num_units(); ++u)
        if (!(counts[u] >= 0.0f && counts[u] <= 1e15f)) fail("counts must be finite and >= 0");
    smooth_impl(g, h, radius, std_coeff, sums, counts, dim, threads, num, den);
}

void som_train_batch(SomMap& m, const float* x, std::size_t n, const SomTrainParams& p, unsigned threads) {
    som_check_map(m);
    check_data(m.grid, x, n, m.dim, threads);
    som_check_train_params(p);
    const std::size_t U = m.grid.num_units(), D = m.dim;
    std::vector<std::uint32_t> bmu(n), order(n), start(U + 1);
    std::vector<float> sums(U * D), counts(U), num(U * D), den(U);
    const SparseRows rows = sparse_rows(x, n, D);
    const bool pf = prefilter_on(U, D, 1);
    const QuantX qx = pf ? quantize_samples(x, n, D, rows.dense.data(), threads) : QuantX{};
    for (std::uint32_t e = p.epoch_begin; e < last_epoch(p); ++e) {
        const double radius = som_schedule(p.radius_decay, p.radius_start, p.radius_end, e, p.n_epochs);
        const Prepared prep = prepare(m, threads);
        const QuantMap qm = pf ? quantize_map(m, prep.norms.data(), threads) : QuantMap{};
        cross_all(
            prep, x, n, threads, &rows,
            [&](std::size_t s, const float* cross) {
                thread_local std::vector<float> keys;
                keys.resize(U);
                bmu[s] = bmu_of(prep.norms.data(), cross, U, keys.data());
            },
            pf ? &qm : nullptr, &qx, 1,
            [&](std::size_t s, const std::pair<float, std::uint32_t>* cand, std::size_t count) {
                // The lowest key, ties to the lower unit (pairs compare lexicographically).
                bmu[s] = std::min_element(cand, cand + count)->second;
            });
        // Samples grouped by BMU (counting sort, ascending sample index within a unit).
        std::fill(start.begin(), start.end(), 0u);
        for (std::size_t s = 0; s < n; ++s) ++start[bmu[s] + 1];
        for (std::size_t u = 0; u < U; ++u) start[u + 1] += start[u];
        {
            std::vector<std::uint32_t> fill(start.begin(), start.end() - 1);
            for (std::size_t s = 0; s < n; ++s) order[fill[bmu[s]]++] = static_cast<std::uint32_t>(s);
        }
        parallel_for(U, threads, [&](std::size_t u0, std::size_t u1) {
            for (std::size_t u = u0; u < u1; ++u) {
                float* su = sums.data() + u * D;
                std::fill(su, su + D, 0.0f);
                for (std::uint32_t i = start[u]; i < start[u + 1]; ++i) {
                    const float* xs = x + static_cast<std::size_t>(order[i]) * D;
                    for (std::size_t d = 0; d < D; ++d) su[d] += xs[d];
                }
                counts[u] = static_cast<float>(start[u + 1] - start[u]);
            }
        });
        smooth_impl(m.grid, p.neighborhood, radius, p.std_coeff, sums.data(), counts.data(), m.dim, threads,
                    num.data(), den.data());
        parallel_for(U, threads, [&](std::size_t u0, std::size_t u1) {
            for (std::size_t u = u0; u < u1; ++u) {
                if (!(den[u] > 0.0f)) continue;
                const float dn = den[u];
                float* w = m.weights.data() + u * D;
                const float* nu = num.data() + u * D;
                for (std::size_t d = 0; d < D; ++d) w[d] = nu[d] / dn;
            }
        });
    }
}

void som_train_online(SomMap& m, const float* x, std::size_t n, const SomTrainParams& p, unsigned threads) {
    som_check_map(m);
    check_data(m.grid, x, n, m.dim, threads);
    som_check_train_params(p);
    const std::size_t U = m.grid.num_units(), D = m.dim, C = m.grid.cols;
    const std::uint64_t T = static_cast<std::uint64_t>(p.n_epochs) * n;
    const Kernels k = kernels();
    std::vector<std::size_t> perm(n);
    std::vector<float> gx, gy, hw(U), d2(U);
    std::vector<std::uint32_t> all_units(U);
    for (std::uint32_t u = 0; u < U; ++u) all_units[u] = u;
    std::uint64_t t = static_cast<std::uint64_t>(p.epoch_begin) * n;
    for (std::uint32_t e = p.epoch_begin; e < last_epoch(p); ++e) {
        Rng rng(p.seed, static_cast<std::uint64_t>(e) + 1);
        for (std::size_t i = 0; i < n; ++i) perm[i] = i;
        for (std::size_t i = 0; i + 1 < n; ++i) std::swap(perm[i], perm[i + rng.below(n - i)]);
        for (std::size_t i = 0; i < n; ++i, ++t) {
            const float* xs = x + perm[i] * D;
            const double radius = som_schedule(p.radius_decay, p.radius_start, p.radius_end, t, T);
            const double lr = som_schedule(p.learning_rate_decay, p.learning_rate_start, p.learning_rate_end, t, T);
            dist2_units(k, xs, m.weights.data(), D, all_units.data(), U, d2.data());
            std::uint32_t b = 0;
            for (std::uint32_t u = 1; u < U; ++u)
                if (d2[u] < d2[b]) b = u;
            if (p.neighborhood == SomNeighborhood::gaussian && m.grid.lattice == SomLattice::rect) {
                const double sigma = p.std_coeff * radius;
                gx.resize(C);
                gy.resize(m.grid.rows);
                for (std::size_t c = 0; c < C; ++c) {
                    const Offsets o = grid_offsets(m.grid, b, static_cast<std::uint32_t>((b / C) * C + c));
                    gx[c] = gauss_weight(static_cast<double>(o.a * o.a), sigma);
                }
                for (std::size_t r = 0; r < m.grid.rows; ++r) {
                    const Offsets o = grid_offsets(m.grid, b, static_cast<std::uint32_t>(r * C + b % C));
                    gy[r] = gauss_weight(static_cast<double>(o.b * o.b), sigma);
                }
                for (std::size_t u = 0; u < U; ++u) hw[u] = gy[u / C] * gx[u % C];
            } else {
                for (std::size_t u = 0; u < U; ++u)
                    hw[u] = pair_weight(m.grid, p.neighborhood, b, static_cast<std::uint32_t>(u), radius, p.std_coeff);
            }
            const float lrf = static_cast<float>(lr);
            for (std::size_t u = 0; u < U; ++u)
                if (hw[u] != 0.0f) k.towards(m.weights.data() + u * D, xs, lrf * hw[u], D);
        }
    }
}

void som_topk(const SomMap& m, const float* x, std::size_t n, std::uint32_t k, unsigned threads,
              std::uint32_t* units, float* distances) {
    som_check_map(m);
    check_data(m.grid, x, n, m.dim, threads);
    const std::uint32_t U = m.grid.num_units();
    if (k < 1 || k > U)
        fail("k (active units) must be in [1, " + std::to_string(U) + "] (the number of units); got " +
             std::to_string(k));
    const std::size_t D = m.dim;
    const Prepared prep = prepare(m, threads);
    const Kernels kern = kernels();
    const bool pf = prefilter_on(U, D, k);
    const QuantMap qm = pf ? quantize_map(m, prep.norms.data(), threads) : QuantMap{};
    // Pruned samples: the k smallest (key, unit) pairs among the candidates.
    auto emit_pruned = [&](std::size_t s, std::pair<float, std::uint32_t>* cand, std::size_t count) {
        std::partial_sort(cand, cand + k, cand + count);
        std::uint32_t* bu = units + s * k;
        float* bd = distances + s * k;
        for (std::uint32_t i = 0; i < k; ++i) bu[i] = cand[i].second;
        dist2_units(kern, x + s * D, m.weights.data(), D, bu, k, bd);
        for (std::uint32_t i = 0; i < k; ++i) bd[i] = std::sqrt(bd[i]);
    };
    cross_all(prep, x, n, threads, nullptr, [&](std::size_t s, const float* cross) {
        thread_local std::vector<float> keys;
        keys.resize(U);
        float* key = keys.data();
        for (std::uint32_t u = 0; u < U; ++u) key[u] = prep.norms[u] - 2.0f * cross[u];
        std::uint32_t* bu = units + s * k;
        float* bd = distances + s * k;
        // The k smallest (key, unit) pairs in lexicographic order: lower units win
        // ties. The k-th smallest of the minima of 16-unit chunks bounds the k-th
        // smallest key from above, so only units with a key <= that bound compete.
        thread_local std::vector<std::pair<float, std::uint32_t>> cand;
        cand.clear();
        const std::uint32_t chunks = (U + 15) / 16;
        if (k <= chunks) {
            thread_local std::vector<float> mins;
            mins.resize(chunks);
            for (std::uint32_t c = 0; c < chunks; ++c) {
                const std::uint32_t end = std::min(U, 16 * c + 16);
                float lo = key[16 * c];
                for (std::uint32_t u = 16 * c + 1; u < end; ++u) lo = key[u] < lo ? key[u] : lo;
                mins[c] = lo;
            }
            std::nth_element(mins.begin(), mins.begin() + (k - 1), mins.end());
            const float bound = mins[k - 1];
            for (std::uint32_t u = 0; u < U; ++u)
                if (key[u] <= bound) cand.emplace_back(key[u], u);
        } else {
            for (std::uint32_t u = 0; u < U; ++u) cand.emplace_back(key[u], u);
        }
        std::partial_sort(cand.begin(), cand.begin() + k, cand.end());
        for (std::uint32_t i = 0; i < k; ++i) bu[i] = cand[i].second;
        dist2_units(kern, x + s * D, m.weights.data(), D, bu, k, bd);
        for (std::uint32_t i = 0; i < k; ++i) bd[i] = std::sqrt(bd[i]);
    }, pf ? &qm : nullptr, nullptr, k, emit_pruned);
}

void som_dispersion(const SomGrid& g, const std::uint32_t* units, std::size_t n, std::uint32_t k, unsigned threads,
                    double* mean_pairwise, std::uint32_t* blobs) {
    som_check_grid(g);
    checked_threads(threads);
    if (k < 1) fail("k must be >= 1");
    for (std::size_t i = 0; i < n * k; ++i) check_unit(g, units[i], "units");
    parallel_for(n, threads, [&](std::size_t s0, std::size_t s1) {
        std::vector<std::uint32_t> uniq, parent;
        for (std::size_t s = s0; s < s1; ++s) {
            const std::uint32_t* us = units + s * k;
            double total = 0.0;
            for (std::uint32_t i = 0; i < k; ++i)
                for (std::uint32_t j = i + 1; j < k; ++j) total += std::sqrt(d2_of(g, grid_offsets(g, us[i], us[j])));
            mean_pairwise[s] = k > 1 ? total / (static_cast<double>(k) * (k - 1) / 2.0) : 0.0;
            uniq.assign(us, us + k);
            std::sort(uniq.begin(), uniq.end());
            uniq.erase(std::unique(uniq.begin(), uniq.end()), uniq.end());
            const std::size_t q = uniq.size();
            parent.resize(q);
            for (std::size_t i = 0; i < q; ++i) parent[i] = static_cast<std::uint32_t>(i);
            auto find = [&](std::uint32_t a) {
                while (parent[a] != a) a = parent[a] = parent[parent[a]];
                return a;
            };
            std::uint32_t groups = static_cast<std::uint32_t>(q);
            for (std::size_t i = 0; i < q; ++i)
                for (std::size_t j = i + 1; j < q; ++j)
                    if (adjacent_offsets(g, grid_offsets(g, uniq[i], uniq[j]))) {
                        const std::uint32_t a = find(static_cast<std::uint32_t>(i)), b = find(static_cast<std::uint32_t>(j));
                        if (a != b) {
                            parent[a] = b;
                            --groups;
                        }
                    }
            blobs[s] = groups;
        }
    });
}

int som_set_simd_level(int max_level) {
    if (max_level < 0 || max_level > 2) fail("simd level must be 0 (portable), 1 (AVX2) or 2 (AVX-512)");
    g_level.store(std::min(max_level, kMaxLevel));
    return g_level.load();
}

int som_simd_level() { return g_level.load(); }

void som_set_cross_path(int path) {
    if (path < 0 || path > 3)
        fail("cross path must be 0 (automatic), 1 (sparse), 2 (dense) or 3 (dense without the prefilter)");
    g_cross_path.store(path);
}

bool som_prefilter_available() { return g_approx4 != nullptr && g_level.load() >= 2; }

}  // namespace htmhw
