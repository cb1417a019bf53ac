// The fixed-point datapath. Section names refer to docs/datapath.md.
#include "htmhw/datapath.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "htmhw/check.hpp"
#include "htmhw/detmath.hpp"
#include "htmhw/kwta.hpp"
#include "htmhw/rng.hpp"
#include "htmhw/sp_common.hpp"

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define HTMHW_DATAPATH_X86 1
#endif

namespace htmhw {
namespace {

std::uint32_t bitlen(std::uint64_t x) { return x == 0 ? 0 : 64 - static_cast<std::uint32_t>(__builtin_clzll(x)); }

// RND of a non-negative double: floor(x + 0.5).
std::uint32_t rnd(double x) { return static_cast<std::uint32_t>(std::floor(x + 0.5)); }

std::uint32_t step_q(double x, std::uint32_t m) { return x == 0.0 ? 0u : std::max(1u, rnd(x * m)); }

// floor(d / 2^s) for signed d without relying on implementation-defined >> of negatives.
inline std::int32_t asr(std::int32_t d, std::uint32_t s) { return d >= 0 ? d >> s : ~((~d) >> s); }

std::uint32_t max_dim(const Dims& d) { return *std::max_element(d.begin(), d.end()); }

bool uses_global(const SpFixed& sp) {
    return sp.params.global_inhibition || sp.inhibition_radius > max_dim(sp.column_dims);
}

// ---- bit streams: the synapses of a column, one bit each, in pool order ----

// Branch-free (whether a field straddles two words is unpredictable): the word
// after the field is always touched, so streams carry one word of slack; the
// double shifts keep every shift count below 64.
inline void stream_append(std::uint64_t* s, std::uint64_t pos, std::uint64_t bits) {
    const std::uint32_t off = static_cast<std::uint32_t>(pos & 63);
    s[pos >> 6] |= bits << off;
    s[(pos >> 6) + 1] |= (bits >> 1) >> (63 - off);
}

inline std::uint64_t stream_take(const std::uint64_t* s, std::uint64_t pos, std::uint32_t n) {
    const std::uint32_t off = static_cast<std::uint32_t>(pos & 63);
    const std::uint64_t v = (s[pos >> 6] >> off) | ((s[(pos >> 6) + 1] << 1) << (63 - off));
    return n >= 64 ? v : v & ((1ULL << n) - 1);
}

// ---- kernels: a portable policy and an x86 (BMI2 + AVX-512BW) policy, same results ----

struct Portable {
    static std::uint64_t pext(std::uint64_t x, std::uint64_t m) {
        std::uint64_t r = 0;
        for (std::uint32_t k = 0; m; m &= m - 1, ++k) r |= ((x >> __builtin_ctzll(m)) & 1ULL) << k;
        return r;
    }
    static std::uint64_t pdep(std::uint64_t x, std::uint64_t m) {
        std::uint64_t r = 0;
        for (std::uint32_t k = 0; m; m &= m - 1, ++k) r |= ((x >> k) & 1ULL) << __builtin_ctzll(m);
        return r;
    }
    static std::uint32_t popcount(std::uint64_t x) { return static_cast<std::uint32_t>(__builtin_popcountll(x)); }
    // Writes base + j for each set bit j of x, ascending; returns how many.
    static std::uint32_t bit_positions(std::uint64_t x, std::uint32_t base, std::uint32_t* out) {
        std::uint32_t n = 0;
        for (; x; x &= x - 1) out[n++] = base + static_cast<std::uint32_t>(__builtin_ctzll(x));
        return n;
    }

    // Winner update: p + inc (SAT at max) where the stream bit is 1, p - dec (SAT at 0) where 0.
    // Returns how many results are >= conn (the raise test, without a second pass).
    template <class T>
    static std::uint64_t adapt(T* p, std::uint64_t n, const std::uint64_t* act, std::uint32_t inc, std::uint32_t dec,
                               std::uint32_t max, std::uint32_t conn) {
        std::uint64_t count = 0;
        for (std::uint64_t j = 0; j < n; ++j) {
            const std::uint32_t v = p[j];
            const std::uint32_t up = std::min(v + inc, max);
            const std::uint32_t down = v > dec ? v - dec : 0;
            const std::uint32_t r = ((act[j >> 6] >> (j & 63)) & 1) ? up : down;
            p[j] = static_cast<T>(r);
            count += r >= conn;
        }
        return count;
    }
    template <class T>
    static void add_sat(T* p, std::uint64_t n, std::uint32_t add, std::uint32_t max) {
        for (std::uint64_t j = 0; j < n; ++j) p[j] = static_cast<T>(std::min<std::uint32_t>(p[j] + add, max));
    }
    template <class T>
    static std::uint64_t count_ge(const T* p, std::uint64_t n, std::uint32_t conn) {
        std::uint64_t c = 0;
        for (std::uint64_t j = 0; j < n; ++j) c += p[j] >= conn;
        return c;
    }
    // Trim, then write the connected stream; returns the connected count.
    template <class T>
    static std::uint32_t trim_and_connect(T* p, std::uint64_t n, std::uint32_t trim, std::uint32_t conn,
                                          std::uint64_t* out) {
        std::uint32_t count = 0;
        for (std::uint64_t j = 0; j < n; ++j) {
            const T v = p[j] < trim ? T(0) : p[j];
            p[j] = v;
            const std::uint64_t bit = v >= conn;
            out[j >> 6] |= bit << (j & 63);
            count += static_cast<std::uint32_t>(bit);
        }
        return count;
    }
};

#ifdef HTMHW_DATAPATH_X86
#define HTMHW_X86_TARGET __attribute__((target("bmi2,popcnt,avx512f,avx512bw")))
struct X86 {
    HTMHW_X86_TARGET static std::uint64_t pext(std::uint64_t x, std::uint64_t m) { return _pext_u64(x, m); }
    HTMHW_X86_TARGET static std::uint64_t pdep(std::uint64_t x, std::uint64_t m) { return _pdep_u64(x, m); }
    HTMHW_X86_TARGET static std::uint32_t popcount(std::uint64_t x) {
        return static_cast<std::uint32_t>(__builtin_popcountll(x));
    }
    // Branch-free (the number of set bits is unpredictable): writes 64 + 16 entries of slack.
    HTMHW_X86_TARGET static std::uint32_t bit_positions(std::uint64_t x, std::uint32_t base, std::uint32_t* out) {
        const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        std::uint32_t n = 0;
        for (std::uint32_t q = 0; q < 4; ++q) {
            const auto m = static_cast<__mmask16>(x >> (16 * q));
            const __m512i v = _mm512_add_epi32(iota, _mm512_set1_epi32(static_cast<int>(base + 16 * q)));
            _mm512_storeu_si512(out + n, _mm512_maskz_compress_epi32(m, v));
            n += static_cast<std::uint32_t>(__builtin_popcount(m));
        }
        return n;
    }
    HTMHW_X86_TARGET static __mmask64 tail(std::uint64_t remaining) {
        return remaining >= 64 ? ~0ULL : ((1ULL << remaining) - 1);
    }
    template <class T>
    HTMHW_X86_TARGET static std::uint64_t adapt(T* p, std::uint64_t n, const std::uint64_t* act, std::uint32_t inc,
                                                std::uint32_t dec, std::uint32_t max, std::uint32_t conn) {
        if constexpr (sizeof(T) == 1) {
            const __m512i vinc = _mm512_set1_epi8(static_cast<char>(inc));
            const __m512i vdec = _mm512_set1_epi8(static_cast<char>(dec));
            const __m512i vmax = _mm512_set1_epi8(static_cast<char>(max));
            const __m512i vconn = _mm512_set1_epi8(static_cast<char>(conn));
            std::uint64_t count = 0;
            for (std::uint64_t j = 0; j < n; j += 64) {
                const __mmask64 m = tail(n - j);
                const __m512i v = _mm512_maskz_loadu_epi8(m, p + j);
                // inc, dec <= max <= 255: saturating byte ops then the max clamp are exact.
                const __m512i up = _mm512_min_epu8(_mm512_adds_epu8(v, vinc), vmax);
                const __m512i down = _mm512_subs_epu8(v, vdec);
                const __m512i r = _mm512_mask_blend_epi8(act[j >> 6], down, up);
                _mm512_mask_storeu_epi8(p + j, m, r);
                count += static_cast<std::uint64_t>(__builtin_popcountll(_mm512_mask_cmpge_epu8_mask(m, r, vconn)));
            }
            return count;
        } else {
            return Portable::adapt(p, n, act, inc, dec, max, conn);
        }
    }
    template <class T>
    HTMHW_X86_TARGET static void add_sat(T* p, std::uint64_t n, std::uint32_t add, std::uint32_t max) {
        if constexpr (sizeof(T) == 1) {
            const __m512i vadd = _mm512_set1_epi8(static_cast<char>(add));
            const __m512i vmax = _mm512_set1_epi8(static_cast<char>(max));
            for (std::uint64_t j = 0; j < n; j += 64) {
                const __mmask64 m = tail(n - j);
                const __m512i v = _mm512_maskz_loadu_epi8(m, p + j);
                _mm512_mask_storeu_epi8(p + j, m, _mm512_min_epu8(_mm512_adds_epu8(v, vadd), vmax));
            }
        } else {
            Portable::add_sat(p, n, add, max);
        }
    }
    template <class T>
    HTMHW_X86_TARGET static std::uint64_t count_ge(const T* p, std::uint64_t n, std::uint32_t conn) {
        if constexpr (sizeof(T) == 1) {
            const __m512i vconn = _mm512_set1_epi8(static_cast<char>(conn));
            std::uint64_t c = 0;
            for (std::uint64_t j = 0; j < n; j += 64) {
                const __mmask64 m = tail(n - j);
                const __m512i v = _mm512_maskz_loadu_epi8(m, p + j);
                c += static_cast<std::uint64_t>(__builtin_popcountll(_mm512_mask_cmpge_epu8_mask(m, v, vconn)));
            }
            return c;
        } else {
            return Portable::count_ge(p, n, conn);
        }
    }
    template <class T>
    HTMHW_X86_TARGET static std::uint32_t trim_and_connect(T* p, std::uint64_t n, std::uint32_t trim,
                                                           std::uint32_t conn, std::uint64_t* out) {
        if constexpr (sizeof(T) == 1) {
            const __m512i vtrim = _mm512_set1_epi8(static_cast<char>(trim));
            const __m512i vconn = _mm512_set1_epi8(static_cast<char>(conn));
            std::uint32_t count = 0;
            for (std::uint64_t j = 0; j < n; j += 64) {
                const __mmask64 m = tail(n - j);
                __m512i v = _mm512_maskz_loadu_epi8(m, p + j);
                v = _mm512_maskz_mov_epi8(_mm512_cmpge_epu8_mask(v, vtrim), v);
                _mm512_mask_storeu_epi8(p + j, m, v);
                const std::uint64_t bits = _mm512_mask_cmpge_epu8_mask(m, v, vconn);
                out[j >> 6] = bits;
                count += static_cast<std::uint32_t>(__builtin_popcountll(bits));
            }
            return count;
        } else {
            return Portable::trim_and_connect(p, n, trim, conn, out);
        }
    }
};
const bool kHaveX86Kernels = __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("avx512f") &&
                             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("popcnt");

// ---- input-major overlap: one counter per column, bit-sliced ----
// Bit j of word w of plane b (planes[b * cw + w]) is bit b of the overlap count
// of column 64 w + j. Rows are added with Harley-Seal carry-save adders (a full
// adder is two VPTERNLOGQs over 512 columns), 16 rows per group.

HTMHW_X86_TARGET inline __m512i csa(__m512i& lo, __m512i a, __m512i b) {
    const __m512i l = lo;
    lo = _mm512_ternarylogic_epi64(l, a, b, 0x96);      // a ^ b ^ lo
    return _mm512_ternarylogic_epi64(l, a, b, 0xE8);    // majority: the carry
}

// rows: n pointers (n a multiple of 16), each to cw words; writes num_planes >= 4 planes.
HTMHW_X86_TARGET void bitsliced_counts(const std::uint64_t* const* rows, std::size_t n, std::uint32_t cw,
                                       std::uint32_t num_planes, std::uint64_t* planes) {
    const std::uint32_t high_planes = num_planes - 4;  // weights 16, 32, ...
    __m512i high[28];                                  // counts < 2^32
    for (std::uint32_t w = 0; w < cw; w += 8) {
        const __mmask8 m = static_cast<__mmask8>(cw - w >= 8 ? 0xFF : (1u << (cw - w)) - 1);
        __m512i ones = _mm512_setzero_si512(), twos = ones, fours = ones, eights = ones;
        for (std::uint32_t j = 0; j < high_planes; ++j) high[j] = ones;
        for (std::size_t r = 0; r < n; r += 16) {
            const std::uint64_t* const* g = rows + r;
            __m512i eights_pair[2];
            for (int h = 0; h < 2; ++h, g += 8) {
                __m512i fours_pair[2];
                for (int q = 0; q < 2; ++q) {
                    const __m512i a = csa(ones, _mm512_maskz_loadu_epi64(m, g[4 * q] + w),
                                          _mm512_maskz_loadu_epi64(m, g[4 * q + 1] + w));
                    const __m512i b = csa(ones, _mm512_maskz_loadu_epi64(m, g[4 * q + 2] + w),
                                          _mm512_maskz_loadu_epi64(m, g[4 * q + 3] + w));
                    fours_pair[q] = csa(twos, a, b);
                }
                eights_pair[h] = csa(fours, fours_pair[0], fours_pair[1]);
            }
            __m512i carry = csa(eights, eights_pair[0], eights_pair[1]);
            // The count fits num_planes bits, so the carry out of the top plane is 0.
            for (std::uint32_t j = 0; j < high_planes; ++j) {
                const __m512i t = _mm512_and_si512(high[j], carry);
                high[j] = _mm512_xor_si512(high[j], carry);
                carry = t;
            }
        }
        _mm512_mask_storeu_epi64(planes + w, m, ones);
        _mm512_mask_storeu_epi64(planes + cw + w, m, twos);
        _mm512_mask_storeu_epi64(planes + 2 * cw + w, m, fours);
        _mm512_mask_storeu_epi64(planes + 3 * cw + w, m, eights);
        for (std::uint32_t j = 0; j < high_planes; ++j)
            _mm512_mask_storeu_epi64(planes + (4 + j) * cw + w, m, high[j]);
    }
}

// out[c] = the count of column c held in planes 0..num_planes-1.
HTMHW_X86_TARGET void counts_from_planes(const std::uint64_t* planes, std::uint32_t num_planes, std::uint32_t cw,
                                         std::uint32_t num_columns, std::uint32_t* out) {
    if (num_planes <= 8) {  // counts fit a byte: assemble 64 columns at once, then widen
        alignas(64) std::uint8_t bytes[64];
        for (std::uint32_t w = 0; w < cw; ++w) {
            __m512i acc = _mm512_setzero_si512();
            for (std::uint32_t b = 0; b < num_planes; ++b)
                acc = _mm512_or_si512(acc, _mm512_maskz_mov_epi8(planes[b * cw + w],
                                                                 _mm512_set1_epi8(static_cast<char>(1u << b))));
            _mm512_store_si512(bytes, acc);
            for (std::uint32_t q = 0; q < 4 && 64 * w + 16 * q < num_columns; ++q) {
                const std::uint32_t c = 64 * w + 16 * q, left = num_columns - c;
                const __m128i narrow = _mm_load_si128(reinterpret_cast<const __m128i*>(bytes + 16 * q));
                const auto m = static_cast<__mmask16>(left >= 16 ? 0xFFFF : (1u << left) - 1);
                _mm512_mask_storeu_epi32(out + c, m, _mm512_maskz_cvtepu8_epi32(0xFFFF, narrow));
            }
        }
        return;
    }
    for (std::uint32_t c = 0; c < num_columns; c += 16) {
        const std::uint32_t w = c >> 6, shift = c & 63;
        __m512i acc = _mm512_setzero_si512();
        for (std::uint32_t b = 0; b < num_planes; ++b)
            acc = _mm512_mask_or_epi32(acc, static_cast<__mmask16>(planes[b * cw + w] >> shift), acc,
                                       _mm512_set1_epi32(static_cast<int>(1u << b)));
        const std::uint32_t left = num_columns - c;
        _mm512_mask_storeu_epi32(out + c, static_cast<__mmask16>(left >= 16 ? 0xFFFF : (1u << left) - 1), acc);
    }
}
#endif

template <class T>
T* perm_data(SpFixed& sp);
template <>
std::uint8_t* perm_data<std::uint8_t>(SpFixed& sp) { return sp.perm8.data(); }
template <>
std::uint16_t* perm_data<std::uint16_t>(SpFixed& sp) { return sp.perm16.data(); }

std::size_t stream_words(const SpFixed& sp, std::uint32_t c) {
    return static_cast<std::size_t>((sp.perm_offsets[c + 1] - sp.perm_offsets[c]) / 64 + 2);
}

// Keeps connected_by_input equal to the transpose of connected_bits: only the
// synapses whose connected bit flipped in word w of column c are touched.
inline void mirror_connected(SpFixed& sp, std::uint32_t c, std::uint32_t w, std::uint64_t flipped) {
    const std::uint64_t bit = 1ULL << (c & 63);
    std::uint64_t* col = sp.connected_by_input.data() + (c >> 6);
    for (; flipped; flipped &= flipped - 1) {
        const std::size_t i = w * 64u + static_cast<std::uint32_t>(__builtin_ctzll(flipped));
        col[i * sp.column_words] ^= bit;
    }
}

// Step 5 (raise, trim, connected bits) for one column; raise only for winners
// and initialization, not for bumped columns.
// `connected`: the count of permanences >= conn_q if the caller has it, else
// kUnknown. Returns the number of raise rounds (bump_q added to the whole row).
constexpr std::uint64_t kUnknown = ~0ULL;
template <class T, class K>
inline __attribute__((always_inline)) std::uint32_t finish_column(SpFixed& sp, std::uint32_t c, bool raise,
                                                                 SpFixedWorkspace& ws,
                                                                 std::uint64_t connected = kUnknown) {
    const std::size_t sw = stream_words(sp, c);
    if (ws.stream.size() < sw) ws.stream.resize(sw);
    std::uint64_t* stream = ws.stream.data();
    const HwConstants& q = sp.q;
    T* p = perm_data<T>(sp) + sp.perm_offsets[c];
    const std::uint64_t n = sp.perm_offsets[c + 1] - sp.perm_offsets[c];
    std::uint32_t rounds = 0;
    if (raise) {
        if (connected == kUnknown) connected = K::count_ge(p, n, q.conn_q);
        for (; connected < q.stimulus; connected = K::count_ge(p, n, q.conn_q)) {
            K::add_sat(p, n, q.bump_q, q.perm_max);
            ++rounds;
        }
    }
    std::fill(stream, stream + stream_words(sp, c), 0ULL);
    sp.connected_counts[c] = K::trim_and_connect(p, n, q.trim_q, q.conn_q, stream);
    const std::uint64_t* prow = sp.potential_bits.data() + static_cast<std::size_t>(c) * sp.input_words;
    std::uint64_t* crow = sp.connected_bits.data() + static_cast<std::size_t>(c) * sp.input_words;
    // The flipped synapses are listed first and mirrored in one loop: a loop per
    // word over its few flips would mispredict its exit almost every word.
    const std::size_t list = static_cast<std::size_t>(sp.word_hi[c] - sp.word_lo[c]) * 64 + 16;
    if (ws.flipped.size() < list) ws.flipped.resize(list);
    std::uint32_t* flipped = ws.flipped.data();
    std::uint32_t n_flipped = 0;
    std::uint64_t pos = 0;
    for (std::uint32_t w = sp.word_lo[c]; w < sp.word_hi[c]; ++w) {
        const std::uint32_t k = K::popcount(prow[w]);
        const std::uint64_t fresh = K::pdep(stream_take(stream, pos, k), prow[w]);
        n_flipped += K::bit_positions(crow[w] ^ fresh, w * 64, flipped + n_flipped);
        crow[w] = fresh;
        pos += k;
    }
    const std::uint64_t bit = 1ULL << (c & 63);
    std::uint64_t* col = sp.connected_by_input.data() + (c >> 6);
    for (std::uint32_t j = 0; j < n_flipped; ++j) col[static_cast<std::size_t>(flipped[j]) * sp.column_words] ^= bit;
    return rounds;
}

#ifdef HTMHW_DATAPATH_X86
// Steps 5 / 7 for a column of at most 64 byte-wide synapses (e.g. mnist's pools
// of 23): the same operations as adapt / add_sat, the raise loop and
// trim_and_connect on one register, the synapse stream a 64-bit integer.
// `in` = nullptr: the weak-column bump. Returns the raise rounds.
HTMHW_X86_TARGET std::uint32_t small_column(SpFixed& sp, std::uint32_t c, const std::uint64_t* in) {
    const HwConstants& q = sp.q;
    const std::uint64_t* prow = sp.potential_bits.data() + static_cast<std::size_t>(c) * sp.input_words;
    const std::uint32_t lo = sp.word_lo[c], hi = sp.word_hi[c];
    std::uint8_t* p = sp.perm8.data() + sp.perm_offsets[c];
    const __mmask64 m = X86::tail(sp.perm_offsets[c + 1] - sp.perm_offsets[c]);
    const __m512i vmax = _mm512_set1_epi8(static_cast<char>(q.perm_max));
    const __m512i vconn = _mm512_set1_epi8(static_cast<char>(q.conn_q));
    const __m512i vbump = _mm512_set1_epi8(static_cast<char>(q.bump_q));
    __m512i v = _mm512_maskz_loadu_epi8(m, p);
    // The column's connected bits are always its permanences >= conn_q (every
    // change refreshes them), so `before` is its connected stream now.
    const std::uint64_t before = _mm512_mask_cmpge_epu8_mask(m, v, vconn);
    std::uint32_t rounds = 0;
    if (in) {
        std::uint64_t act = 0;
        for (std::uint32_t w = lo, pos = 0; w < hi; ++w) {
            act |= _pext_u64(in[w], prow[w]) << (pos & 63);  // pos = 64 only after the last synapse: bits 0
            pos += static_cast<std::uint32_t>(__builtin_popcountll(prow[w]));
        }
        const __m512i up = _mm512_min_epu8(_mm512_adds_epu8(v, _mm512_set1_epi8(static_cast<char>(q.inc_q))), vmax);
        const __m512i down = _mm512_subs_epu8(v, _mm512_set1_epi8(static_cast<char>(q.dec_q)));
        v = _mm512_mask_blend_epi8(act, down, up);
        while (static_cast<std::uint32_t>(__builtin_popcountll(_mm512_mask_cmpge_epu8_mask(m, v, vconn))) <
               q.stimulus) {
            v = _mm512_min_epu8(_mm512_adds_epu8(v, vbump), vmax);
            ++rounds;
        }
    } else {
        v = _mm512_min_epu8(_mm512_adds_epu8(v, vbump), vmax);
    }
    v = _mm512_maskz_mov_epi8(_mm512_cmpge_epu8_mask(v, _mm512_set1_epi8(static_cast<char>(q.trim_q))), v);
    _mm512_mask_storeu_epi8(p, m, v);
    const std::uint64_t conn = _mm512_mask_cmpge_epu8_mask(m, v, vconn);
    if (conn == before) return rounds;  // most updates move no synapse across conn_q
    sp.connected_counts[c] = static_cast<std::uint32_t>(__builtin_popcountll(conn));
    std::uint64_t* crow = sp.connected_bits.data() + static_cast<std::size_t>(c) * sp.input_words;
    for (std::uint32_t w = lo, pos = 0; w < hi; ++w) {
        const std::uint64_t fresh = _pdep_u64(conn >> (pos & 63), prow[w]);
        mirror_connected(sp, c, w, crow[w] ^ fresh);
        crow[w] = fresh;
        pos += static_cast<std::uint32_t>(__builtin_popcountll(prow[w]));
    }
    return rounds;
}

// Columns that small_column handles (with the x86 kernels and byte permanences).
template <class T, class K>
inline bool small_column_fits(const SpFixed& sp, std::uint32_t c) {
    return sizeof(T) == 1 && std::is_same_v<K, X86> && sp.perm_offsets[c + 1] - sp.perm_offsets[c] <= 64;
}
#endif

template <class T, class K>
inline __attribute__((always_inline)) void learn_body(SpFixed& sp, const std::vector<std::uint32_t>& winners,
                                                     const std::uint64_t* in, SpFixedWorkspace& ws) {
    const HwConstants& q = sp.q;
    ws.raise_rounds.clear();
    for (auto c : winners) {
#ifdef HTMHW_DATAPATH_X86
        if (small_column_fits<T, K>(sp, c)) {
            ws.raise_rounds.push_back(small_column(sp, c, in));
            continue;
        }
#endif
        const std::size_t sw = stream_words(sp, c);
        if (ws.stream.size() < sw) ws.stream.resize(sw);
        std::uint64_t* stream = ws.stream.data();
        std::fill(stream, stream + sw, 0ULL);
        const std::uint64_t* prow = sp.potential_bits.data() + static_cast<std::size_t>(c) * sp.input_words;
        std::uint64_t pos = 0;
        for (std::uint32_t w = sp.word_lo[c]; w < sp.word_hi[c]; ++w) {
            stream_append(stream, pos, K::pext(in[w], prow[w]));
            pos += K::popcount(prow[w]);
        }
        T* p = perm_data<T>(sp) + sp.perm_offsets[c];
        const std::uint64_t connected =
            K::adapt(p, sp.perm_offsets[c + 1] - sp.perm_offsets[c], stream, q.inc_q, q.dec_q, q.perm_max, q.conn_q);
        ws.raise_rounds.push_back(finish_column<T, K>(sp, c, true, ws, connected));
    }
}

template <class T, class K>
inline __attribute__((always_inline)) void bump_body(SpFixed& sp, SpFixedWorkspace& ws) {
    for (auto c : ws.bumped) {
#ifdef HTMHW_DATAPATH_X86
        if (small_column_fits<T, K>(sp, c)) {
            small_column(sp, c, nullptr);
            continue;
        }
#endif
        T* p = perm_data<T>(sp) + sp.perm_offsets[c];
        K::add_sat(p, sp.perm_offsets[c + 1] - sp.perm_offsets[c], sp.q.bump_q, sp.q.perm_max);
        finish_column<T, K>(sp, c, false, ws);
    }
}

// Column-phase entry points: winners' update, weak-column bump, or (init) raise+connect of every column.
enum class Phase { Learn, Bump, Refresh, Init };

template <class T, class K>
inline __attribute__((always_inline)) void run_phase(SpFixed& sp, Phase phase, const std::vector<std::uint32_t>& winners,
                                                    const std::uint64_t* in, SpFixedWorkspace& ws) {
    if (phase == Phase::Learn) {
        learn_body<T, K>(sp, winners, in, ws);
    } else if (phase == Phase::Bump) {
        bump_body<T, K>(sp, ws);
    } else if (phase == Phase::Refresh) {  // trim + connected bits of ws.bumped, no add
        for (auto c : ws.bumped) finish_column<T, K>(sp, c, false, ws);
    } else {
        for (std::uint32_t c = 0; c < sp.num_columns; ++c) finish_column<T, K>(sp, c, true, ws);
    }
}

void run_phase_portable(SpFixed& sp, Phase phase, const std::vector<std::uint32_t>& winners, const std::uint64_t* in,
                        SpFixedWorkspace& ws) {
    if (sp.hw.permanence_bits <= 8)
        run_phase<std::uint8_t, Portable>(sp, phase, winners, in, ws);
    else
        run_phase<std::uint16_t, Portable>(sp, phase, winners, in, ws);
}

#ifdef HTMHW_DATAPATH_X86
HTMHW_X86_TARGET void run_phase_x86(SpFixed& sp, Phase phase, const std::vector<std::uint32_t>& winners,
                                    const std::uint64_t* in, SpFixedWorkspace& ws) {
    if (sp.hw.permanence_bits <= 8)
        run_phase<std::uint8_t, X86>(sp, phase, winners, in, ws);
    else
        run_phase<std::uint16_t, X86>(sp, phase, winners, in, ws);
}
#endif

void column_phase(SpFixed& sp, Phase phase, const std::vector<std::uint32_t>& winners, const std::uint64_t* in,
                  SpFixedWorkspace& ws) {
#ifdef HTMHW_DATAPATH_X86
    if (kHaveX86Kernels && !ws.portable_kernels) return run_phase_x86(sp, phase, winners, in, ws);
#endif
    run_phase_portable(sp, phase, winners, in, ws);
}

void derive(SpFixed& sp) {
    const SpParams& p = sp.params;
    const HwConfig& hw = sp.hw;
    HwConstants& q = sp.q;
    const std::size_t rank = std::max(p.input_dimensions.size(), p.column_dimensions.size());
    sp.input_dims = p.input_dimensions;
    sp.column_dims = p.column_dimensions;
    sp.input_dims.resize(rank, 1);
    sp.column_dims.resize(rank, 1);
    sp.num_inputs = static_cast<std::uint32_t>(dims_product(sp.input_dims));
    sp.num_columns = static_cast<std::uint32_t>(dims_product(sp.column_dims));
    sp.input_words = (sp.num_inputs + 63) / 64;
    sp.column_words = (sp.num_columns + 63) / 64;

    const std::uint32_t m = (1u << hw.permanence_bits) - 1;
    q.perm_max = m;
    q.conn_q = std::max(1u, rnd(p.syn_perm_connected * m));
    q.inc_q = step_q(p.syn_perm_active_inc, m);
    q.dec_q = step_q(p.syn_perm_inactive_dec, m);
    q.bump_q = step_q(p.syn_perm_connected / 10.0, m);
    q.trim_q = rnd(p.syn_perm_active_inc / 2.0 * m);
    q.stimulus = static_cast<std::uint32_t>(std::ceil(p.stimulus_threshold));
    q.duty_one = (1u << hw.duty_bits) - 1;
    const double period = p.duty_cycle_period;
    const std::uint32_t f = bitlen(p.duty_cycle_period) - 1;  // floor(log2(period))
    q.duty_shift_max = (period * period >= std::ldexp(1.0, static_cast<int>(2 * f + 1))) ? f + 1 : f;
    q.min_pct_q = rnd(p.min_pct_overlap_duty_cycle * 65536.0);
    q.boost_one = 1u << hw.boost_frac_bits;
}

// Largest pool size and the overlap width it implies (needs the pools).
void derive_overlap_width(SpFixed& sp) {
    std::uint64_t largest = 0;
    for (std::uint32_t c = 0; c < sp.num_columns; ++c)
        largest = std::max(largest, sp.perm_offsets[c + 1] - sp.perm_offsets[c]);
    sp.largest_pool = static_cast<std::uint32_t>(largest);
    const std::uint32_t derived = std::max(1u, bitlen(largest));
    sp.q.overlap_bits = sp.hw.overlap_bits == 0 ? derived : sp.hw.overlap_bits;
    sp.q.overlap_max = (1u << sp.q.overlap_bits) - 1;
    if (sp.q.overlap_bits + sp.hw.boost_int_bits + sp.hw.boosted_frac_bits > 24)
        fail_field("overlap_bits + boost_int_bits + boosted_frac_bits", "<= 24 (the boosted overlap is at most 24 bits)",
                sp.q.overlap_bits + sp.hw.boost_int_bits + sp.hw.boosted_frac_bits);
    for (std::uint32_t c = 0; c < sp.num_columns; ++c)
        if (static_cast<double>(sp.perm_offsets[c + 1] - sp.perm_offsets[c]) < sp.params.stimulus_threshold)
            throw std::invalid_argument(
                "stimulus_threshold (stimulusThreshold) is larger than a column's potential pool; it must be <= the "
                "smallest pool size");
}

// Boost table (docs/datapath.md "Boost lookup table"); depends on the global target.
void build_boost_lut(SpFixed& sp) {
    HwConstants& q = sp.q;
    const std::uint32_t entries = 1u << sp.hw.boost_lut_bits;
    const double s = q.duty_one;
    const double strength = sp.params.boost_strength;
    const double scale = std::ldexp(1.0, static_cast<int>(sp.hw.boost_frac_bits));
    const double sat = std::ldexp(1.0, static_cast<int>(sp.hw.boost_int_bits + sp.hw.boost_frac_bits)) - 1.0;
    const std::uint32_t bin_shift = sp.hw.duty_bits + 1 - sp.hw.boost_lut_bits;
    q.boost_lut.assign(entries, 0);
    for (std::uint32_t j = 0; j < entries; ++j) {
        // Entry j is the centre of its bin: duty difference j * 2^shift - 2^D (see boost_address).
        const double delta =
            (std::ldexp(static_cast<double>(j), static_cast<int>(bin_shift)) - std::ldexp(1.0, static_cast<int>(sp.hw.duty_bits))) / s;
        const double e = static_cast<double>(det_expf(static_cast<float>(-delta * strength)));
        q.boost_lut[j] = static_cast<std::uint32_t>(std::min(std::floor(e * scale + 0.5), sat));
    }
    const double density = inhibition_density(sp.params, sp.inhibition_radius, sp.num_columns);
    q.target_q = rnd(density * s);
}

void set_windows(SpFixed& sp) {
    sp.word_lo.assign(sp.num_columns, 0);
    sp.word_hi.assign(sp.num_columns, 0);
    sp.window_words = 0;
    for (std::uint32_t c = 0; c < sp.num_columns; ++c) {
        const std::uint64_t* row = sp.potential_bits.data() + static_cast<std::size_t>(c) * sp.input_words;
        std::uint32_t lo = sp.input_words, hi = 0;
        for (std::uint32_t w = 0; w < sp.input_words; ++w)
            if (row[w]) {
                lo = std::min(lo, w);
                hi = w + 1;
            }
        sp.word_lo[c] = hi ? lo : 0;
        sp.word_hi[c] = hi;
        sp.window_words += sp.word_hi[c] - sp.word_lo[c];
    }
}

// Step 8's LUT address: (a - t + 2^D) rounded to the nearest multiple of 2^shift
// (RND), saturated at the last entry. a == t addresses the entry of difference 0 exactly
// (boost 1.0); the offset 2^D (not S) and the rounding centre every bin on its entry.
std::uint32_t boost_lut_shift(const SpFixed& sp) { return sp.hw.duty_bits + 1 - sp.hw.boost_lut_bits; }
std::uint32_t boost_lut_base(const SpFixed& sp, std::uint32_t target) {
    const std::uint32_t shift = boost_lut_shift(sp);
    return (1u << sp.hw.duty_bits) + (shift ? 1u << (shift - 1) : 0u) - target;
}
std::uint32_t boost_address(const SpFixed& sp, std::uint32_t duty, std::uint32_t target) {
    const std::uint32_t last = (1u << sp.hw.boost_lut_bits) - 1;
    return std::min((duty + boost_lut_base(sp, target)) >> boost_lut_shift(sp), last);
}

bool use_x86(const SpFixedWorkspace& ws) {
#ifdef HTMHW_DATAPATH_X86
    return kHaveX86Kernels && !ws.portable_kernels;
#else
    (void)ws;
    return false;
#endif
}

// The per-column register passes (steps 3 and 6) are always_inline bodies, also
// instantiated under HTMHW_X86_TARGET so that the compiler vectorizes them with
// AVX-512; same integer operations, same results.

// Returns true when every score is overlap << B_b (no boost in effect).
inline __attribute__((always_inline)) bool compute_boosted_body(const SpFixed& sp, const std::uint32_t* overlaps,
                                                                bool boost_on, std::uint32_t* out) {
    // Locals, not sp's fields, in the loops: a store through `out` could alias them otherwise.
    const std::uint32_t bb = sp.hw.boosted_frac_bits, n = sp.num_columns, one = sp.q.boost_one;
    const std::uint32_t* boost = sp.boost.data();
    std::uint32_t differ = 0;  // a reduction, not an early exit, so that it vectorizes
    if (boost_on)
        for (std::uint32_t c = 0; c < n; ++c) differ |= boost[c] ^ one;
    const bool unit = differ == 0;
    if (unit) {
        for (std::uint32_t c = 0; c < n; ++c) out[c] = overlaps[c] << bb;
        return true;
    }
    const std::uint32_t shift = sp.hw.boost_frac_bits - bb;
    const std::uint64_t r = shift ? (1ULL << (shift - 1)) : 0;
    if (sp.q.overlap_bits + sp.hw.boost_int_bits + sp.hw.boost_frac_bits <= 32) {  // the product fits 32 bits
        const auto r32 = static_cast<std::uint32_t>(r);
        for (std::uint32_t c = 0; c < n; ++c) out[c] = (overlaps[c] * boost[c] + r32) >> shift;
        return false;
    }
    for (std::uint32_t c = 0; c < n; ++c)
        out[c] = static_cast<std::uint32_t>((static_cast<std::uint64_t>(overlaps[c]) * boost[c] + r) >> shift);
    return false;
}
#ifdef HTMHW_DATAPATH_X86
HTMHW_X86_TARGET bool compute_boosted_x86(const SpFixed& sp, const std::uint32_t* overlaps, bool boost_on,
                                          std::uint32_t* out) {
    return compute_boosted_body(sp, overlaps, boost_on, out);
}
#endif

bool compute_boosted(bool x86, const SpFixed& sp, const std::uint32_t* overlaps, bool boost_on, std::uint32_t* out) {
#ifdef HTMHW_DATAPATH_X86
    if (x86) return compute_boosted_x86(sp, overlaps, boost_on, out);
#endif
    (void)x86;
    return compute_boosted_body(sp, overlaps, boost_on, out);
}

#ifdef HTMHW_DATAPATH_X86
// Overlaps by adding the active inputs' rows of connected_by_input; leaves the
// saturated overlaps as bit planes in ws.planes and returns their number.
std::uint32_t overlaps_input_major(const SpFixed& sp, SpFixedWorkspace& ws, std::uint32_t* out) {
    const std::uint32_t cw = sp.column_words;
    const std::size_t n = ws.active_inputs.size(), padded = (n + 15) / 16 * 16;
    ws.zeros.assign(cw, 0);
    ws.rows.resize(padded);
    for (std::size_t j = 0; j < n; ++j)
        ws.rows[j] = sp.connected_by_input.data() + static_cast<std::size_t>(ws.active_inputs[j]) * cw;
    std::fill(ws.rows.begin() + static_cast<std::ptrdiff_t>(n), ws.rows.end(), ws.zeros.data());
    // A count is at most min(active inputs, pool size).
    const std::uint32_t stored = std::max(4u, bitlen(std::min<std::uint64_t>(n, sp.largest_pool)));
    ws.planes.resize(static_cast<std::size_t>(stored) * cw);
    bitsliced_counts(ws.rows.data(), padded, cw, stored, ws.planes.data());
    const std::uint32_t kept = std::min(stored, sp.q.overlap_bits);
    for (std::uint32_t w = 0; w < cw; ++w) {  // SAT at 2^B_o - 1: any higher bit sets all kept bits
        std::uint64_t over = 0;
        for (std::uint32_t b = kept; b < stored; ++b) over |= ws.planes[b * cw + w];
        for (std::uint32_t b = 0; b < kept; ++b) ws.planes[b * cw + w] |= over;
    }
    counts_from_planes(ws.planes.data(), kept, cw, sp.num_columns, out);
    return kept;
}

// Winners of a global kWTA given `above` (columns that win for sure) and `tie`
// (columns at the cut, of which the `take` lowest-indexed win), as column masks.
// `positions` is scratch that only grows (resizing `winners` up would clear it every step).
HTMHW_X86_TARGET void emit_winners(const std::uint64_t* above, const std::uint64_t* tie, std::uint32_t cw,
                                   std::size_t take, std::vector<std::uint32_t>& positions,
                                   std::vector<std::uint32_t>& winners) {
    const std::size_t slack = static_cast<std::size_t>(cw) * 64 + 16;  // bit_positions writes ahead
    if (positions.size() < slack) positions.resize(slack);
    std::uint32_t count = 0;
    for (std::uint32_t w = 0; w < cw; ++w) {
        std::uint64_t t = tie[w];
        const auto n = static_cast<std::size_t>(__builtin_popcountll(t));
        if (n > take) {  // keep the lowest `take` bits
            std::uint64_t rest = t;
            for (std::size_t j = 0; j < take; ++j) rest &= rest - 1;
            t ^= rest;
        }
        take -= std::min(n, take);
        count += X86::bit_positions(above[w] | t, w * 64, positions.data() + count);
    }
    winners.assign(positions.data(), positions.data() + count);
}

// Global kWTA of step 4 on bit-sliced overlaps (planes as bitsliced_counts
// writes them): the k-th largest overlap is found one plane at a time, most
// significant first, with popcounts over column masks; no pass over columns.
// Same winners as kwta_global_counts on the overlaps.
HTMHW_X86_TARGET void kwta_planes(const std::uint64_t* planes, std::uint32_t num_planes, std::uint32_t cw,
                                  std::uint32_t num_columns, std::size_t k, std::uint32_t threshold,
                                  std::vector<std::uint64_t>& masks, std::vector<std::uint32_t>& positions,
                                  std::vector<std::uint32_t>& winners) {
    winners.clear();
    if (k == 0 || (threshold >> num_planes) != 0) return;
    masks.assign(2 * static_cast<std::size_t>(cw), 0);
    std::uint64_t* cand = masks.data();  // columns that may hold the k-th largest overlap
    std::uint64_t* above = cand + cw;    // columns that win for sure
    std::size_t eligible = 0;
    for (std::uint32_t w = 0; w < cw; ++w) {  // overlap >= threshold, compared MSB first
        std::uint64_t eq = (w + 1 < cw || num_columns % 64 == 0) ? ~0ULL : (1ULL << (num_columns % 64)) - 1;
        std::uint64_t gt = 0;
        for (std::uint32_t b = num_planes; b-- > 0;) {
            const std::uint64_t p = planes[b * cw + w];
            if ((threshold >> b) & 1) {
                eq &= p;
            } else {
                gt |= eq & p;
                eq &= ~p;
            }
        }
        cand[w] = gt | eq;
        eligible += static_cast<std::size_t>(__builtin_popcountll(cand[w]));
    }
    std::size_t take = eligible;  // of cand, lowest index first
    if (eligible > k) {
        std::size_t n_above = 0;
        for (std::uint32_t b = num_planes; b-- > 0;) {
            const std::uint64_t* p = planes + static_cast<std::size_t>(b) * cw;
            std::size_t ones = 0;
            for (std::uint32_t w = 0; w < cw; ++w)
                ones += static_cast<std::size_t>(__builtin_popcountll(cand[w] & p[w]));
            if (n_above + ones >= k) {  // the k-th largest has bit b set
                for (std::uint32_t w = 0; w < cw; ++w) cand[w] &= p[w];
            } else {
                n_above += ones;
                for (std::uint32_t w = 0; w < cw; ++w) {
                    above[w] |= cand[w] & p[w];
                    cand[w] &= ~p[w];
                }
            }
        }
        take = k - n_above;  // cand now holds exactly the columns equal to the k-th largest
    }
    emit_winners(above, cand, cw, take, positions, winners);
}

// Writes the column masks of score > value to `gt` (if not null) and of
// score >= value (ge) or == value (!ge) to `eq_or_ge`; returns the largest score.
HTMHW_X86_TARGET std::uint32_t compare_scores(const std::uint32_t* scores, std::uint32_t n, std::uint32_t value,
                                              std::uint64_t* gt, std::uint64_t* eq_or_ge, bool ge) {
    const __m512i vv = _mm512_set1_epi32(static_cast<int>(value));
    __m512i vmax = _mm512_setzero_si512();
    for (std::uint32_t w = 0; 64 * w < n; ++w) {  // a word of masks in registers, then one store
        std::uint64_t g = 0, e = 0;
        for (std::uint32_t q = 0; q < 4 && 64 * w + 16 * q < n; ++q) {
            const std::uint32_t c = 64 * w + 16 * q, left = n - c;
            const auto m = static_cast<__mmask16>(left >= 16 ? 0xFFFF : (1u << left) - 1);
            const __m512i v = _mm512_maskz_loadu_epi32(m, scores + c);
            g |= static_cast<std::uint64_t>(_mm512_mask_cmpgt_epu32_mask(m, v, vv)) << (16 * q);
            const __mmask16 eq = ge ? _mm512_mask_cmpge_epu32_mask(m, v, vv) : _mm512_mask_cmpeq_epu32_mask(m, v, vv);
            e |= static_cast<std::uint64_t>(eq) << (16 * q);
            vmax = _mm512_mask_max_epu32(vmax, m, vmax, v);
        }
        if (gt) gt[w] = g;
        eq_or_ge[w] = e;
    }
    alignas(64) std::uint32_t lanes[16];
    _mm512_store_si512(lanes, vmax);
    return *std::max_element(lanes, lanes + 16);
}

// kwta_global_counts with the passes over columns done as vector compares into
// column masks; the histogram is skipped when at most k columns are eligible
// (all win) and walks only the eligible ones when they are few. Same cut, same winners.
HTMHW_X86_TARGET void kwta_scores(const std::uint32_t* scores, std::uint32_t n, std::size_t k,
                                  std::uint32_t threshold, std::vector<std::uint32_t>& histogram,
                                  std::vector<std::uint64_t>& masks, std::vector<std::uint32_t>& positions,
                                  std::vector<std::uint32_t>& winners) {
    winners.clear();
    if (k == 0 || n == 0) return;
    const std::uint32_t cw = (n + 63) / 64;
    masks.assign(2 * static_cast<std::size_t>(cw), 0);
    std::uint64_t* above = masks.data();
    std::uint64_t* tie = above + cw;
    const std::uint32_t max_score = compare_scores(scores, n, threshold, nullptr, tie, true);  // tie: eligible
    std::size_t eligible = 0;
    for (std::uint32_t w = 0; w < cw; ++w) eligible += static_cast<std::size_t>(__builtin_popcountll(tie[w]));
    if (eligible <= k) return emit_winners(above, tie, cw, eligible, positions, winners);
    if (histogram.size() <= max_score) histogram.resize(static_cast<std::size_t>(max_score) + 1, 0);
    // Bins below the threshold are never read: more than k columns are eligible,
    // so the walk down from the maximum stops at or above the threshold.
    if (eligible < n / 4) {
        for (std::uint32_t w = 0; w < cw; ++w)
            for (std::uint64_t bits = tie[w]; bits; bits &= bits - 1)
                ++histogram[scores[w * 64 + static_cast<std::uint32_t>(__builtin_ctzll(bits))]];
    } else {
        for (std::uint32_t i = 0; i < n; ++i) ++histogram[scores[i]];
    }
    std::size_t n_above = 0;
    std::uint32_t cut = max_score;
    while (n_above + histogram[cut] < k) n_above += histogram[cut--];
    std::fill(histogram.begin(), histogram.begin() + max_score + 1, 0u);
    compare_scores(scores, n, cut, above, tie, false);
    emit_winners(above, tie, cw, k - n_above, positions, winners);
}

// Input bits and the list of active inputs (pack_input, 64 inputs per compare).
HTMHW_X86_TARGET void pack_input_x86(const std::uint8_t* input, std::uint32_t num_inputs,
                                     std::vector<std::uint64_t>& bits, std::vector<std::uint32_t>& positions,
                                     std::vector<std::uint32_t>& active) {
    const std::uint32_t words = (num_inputs + 63) / 64;
    bits.resize(words);
    const std::size_t slack = static_cast<std::size_t>(words) * 64 + 16;  // bit_positions writes ahead
    if (positions.size() < slack) positions.resize(slack);
    std::uint32_t n = 0;
    for (std::uint32_t w = 0; w < words; ++w) {
        const std::uint32_t left = num_inputs - 64 * w;
        const __mmask64 m = left >= 64 ? ~0ULL : (1ULL << left) - 1;
        const __m512i v = _mm512_maskz_loadu_epi8(m, input + 64 * w);
        bits[w] = _mm512_test_epi8_mask(v, v);
        n += X86::bit_positions(bits[w], 64 * w, positions.data() + n);
    }
    active.assign(positions.data(), positions.data() + n);
}
#endif

// kWTA of step 4. With `unit` (scores = overlap << B_b, a monotone map) the
// global select runs on the raw overlaps: same winners, a histogram 2^B_b
// times smaller; or on their bit planes when overlaps_of left them (num_planes > 0).
void select_winners(const SpFixed& sp, const std::uint32_t* scores, const std::uint32_t* overlaps, bool unit,
                    std::uint32_t num_planes, SpFixedWorkspace& ws, std::vector<std::uint32_t>& winners) {
    (void)num_planes;
    const double density = inhibition_density(sp.params, sp.inhibition_radius, sp.num_columns);
    const std::uint32_t threshold = sp.q.stimulus << sp.hw.boosted_frac_bits;
    std::vector<std::uint32_t>& histogram = ws.histogram;
    if (uses_global(sp)) {
        const auto k = static_cast<std::size_t>(sp_fixed_global_winners(sp));
#ifdef HTMHW_DATAPATH_X86
        if (unit && num_planes)
            return kwta_planes(ws.planes.data(), num_planes, sp.column_words, sp.num_columns, k, sp.q.stimulus,
                               ws.select_masks, ws.positions, winners);
        if (use_x86(ws))
            return kwta_scores(unit ? overlaps : scores, sp.num_columns, k, unit ? sp.q.stimulus : threshold,
                               histogram, ws.select_masks, ws.positions, winners);
#endif
        if (unit)
            kwta_global_counts(overlaps, sp.num_columns, k, sp.q.stimulus, winners, histogram);
        else
            kwta_global_counts(scores, sp.num_columns, k, threshold, winners, histogram);
        return;
    }
    // Scores are < 2^24, exact in float32: the float local kWTA is the integer one.
    std::vector<float> f(scores, scores + sp.num_columns);
    kwta_local(f.data(), sp.column_dims, sp.inhibition_radius, sp.params.wrap_around, density,
               static_cast<float>(threshold), winners);
}

// Step 2. Returns the number of bit planes left in ws.planes (0 = none).
std::uint32_t overlaps_of(const SpFixed& sp, const std::uint8_t* input, SpFixedWorkspace& ws, std::uint32_t* out,
                          const std::uint64_t* read_bits) {
    if (read_bits) {
        // A read other than the contract's (sp_fixed_compute): its cells may lie outside the
        // pool windows and it has no input-major copy, which the fast kernels rely on; so
        // every word of every column, scalar. Same counts as the contract's kernels when
        // read_bits equals connected_bits.
        pack_input(input, sp.num_inputs, ws.input_bits, ws.active_inputs);
        const std::uint32_t words = sp.input_words, mx = sp.q.overlap_max;
        for (std::uint32_t c = 0; c < sp.num_columns; ++c) {
            const std::uint64_t* row = read_bits + static_cast<std::size_t>(c) * words;
            std::uint32_t n = 0;
            for (std::uint32_t w = 0; w < words; ++w)
                n += static_cast<std::uint32_t>(__builtin_popcountll(row[w] & ws.input_bits[w]));
            out[c] = std::min(n, mx);  // SAT at 2^B_o - 1
        }
        return 0;
    }
#ifdef HTMHW_DATAPATH_X86
    if (use_x86(ws)) {
        pack_input_x86(input, sp.num_inputs, ws.input_bits, ws.positions, ws.active_inputs);
        // Input-major reads active inputs x column words, column-major the pool windows.
        if (static_cast<std::uint64_t>(ws.active_inputs.size()) * sp.column_words < sp.window_words)
            return overlaps_input_major(sp, ws, out);
    } else
#endif
        pack_input(input, sp.num_inputs, ws.input_bits, ws.active_inputs);
    popcount_overlaps(sp.connected_bits.data(), sp.input_words, sp.word_lo.data(), sp.word_hi.data(), sp.num_columns,
                      ws.input_bits.data(), out);
    const std::uint32_t mx = sp.q.overlap_max;
    for (std::uint32_t c = 0; c < sp.num_columns; ++c) out[c] = std::min(out[c], mx);  // SAT at 2^B_o - 1
    return 0;
}

// Step 6.
inline __attribute__((always_inline)) void update_duty_cycles_body(SpFixed& sp, const std::uint8_t* active_mask) {
    const std::uint32_t shift =
        std::min<std::uint32_t>(sp.q.duty_shift_max, bitlen(sp.iteration_num) - 1);  // floor(log2(iteration))
    const auto s = static_cast<std::int32_t>(sp.q.duty_one);
    const std::uint32_t columns = sp.num_columns;
    const std::uint32_t* overlaps = sp.overlaps.data();
    std::uint16_t* overlap_duty = sp.overlap_duty.data();
    std::uint16_t* active_duty = sp.active_duty.data();
    for (std::uint32_t c = 0; c < columns; ++c) {
        const std::int32_t v = overlap_duty[c], a = active_duty[c];
        const std::int32_t xv = overlaps[c] > 0 ? s : 0, xa = active_mask[c] ? s : 0;
        overlap_duty[c] = static_cast<std::uint16_t>(v + asr(xv - v, shift));
        active_duty[c] = static_cast<std::uint16_t>(a + asr(xa - a, shift));
    }
}
#ifdef HTMHW_DATAPATH_X86
HTMHW_X86_TARGET void update_duty_cycles_x86(SpFixed& sp, const std::uint8_t* active_mask) {
    update_duty_cycles_body(sp, active_mask);
}
#endif

void update_duty_cycles(bool x86, SpFixed& sp, const std::uint8_t* active_mask) {
#ifdef HTMHW_DATAPATH_X86
    if (x86) return update_duty_cycles_x86(sp, active_mask);
#endif
    (void)x86;
    update_duty_cycles_body(sp, active_mask);
}

#ifdef HTMHW_DATAPATH_X86
HTMHW_X86_TARGET std::uint32_t weak_columns_x86(const SpFixed& sp, std::uint32_t* weak) {
    std::uint32_t n = 0;
    for (std::uint32_t c = 0; c < sp.num_columns; c += 32) {
        const std::uint32_t left = sp.num_columns - c;
        const __mmask32 m = left >= 32 ? ~0u : (1u << left) - 1;
        const __m512i v = _mm512_maskz_loadu_epi16(m, sp.overlap_duty.data() + c);
        const __m512i lo = _mm512_maskz_loadu_epi16(m, sp.min_overlap_duty.data() + c);
        for (std::uint32_t bits = _mm512_mask_cmplt_epu16_mask(m, v, lo); bits; bits &= bits - 1)
            weak[n++] = c + static_cast<std::uint32_t>(__builtin_ctz(bits));
    }
    return n;
}
#endif

// Step 7's weak columns (overlap duty below its minimum) into `weak`, ascending; returns their number.
std::uint32_t weak_columns(const SpFixed& sp, bool x86, std::uint32_t* weak) {
#ifdef HTMHW_DATAPATH_X86
    if (x86) return weak_columns_x86(sp, weak);
#endif
    (void)x86;
    std::uint32_t n = 0;  // branch-free compaction: the test is unpredictable
    for (std::uint32_t c = 0; c < sp.num_columns; ++c) {
        weak[n] = c;
        n += sp.overlap_duty[c] < sp.min_overlap_duty[c];
    }
    return n;
}

#ifdef HTMHW_DATAPATH_X86
HTMHW_X86_TARGET void global_boost_x86(const std::uint16_t* duty, std::uint32_t base, std::uint32_t shift,
                                       std::uint32_t last, const std::uint32_t* lut, std::uint32_t n,
                                       std::uint32_t* boost) {
    const __m512i vbase = _mm512_set1_epi32(static_cast<int>(base));
    const __m512i vshift = _mm512_set1_epi32(static_cast<int>(shift));
    const __m512i vlast = _mm512_set1_epi32(static_cast<int>(last));
    std::uint32_t c = 0;
    for (; c + 16 <= n; c += 16) {
        // Masked forms with all lanes on: GCC 12 warns on the unmasked ones (PR 105593).
        const __m256i d16 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(duty + c));
        const __m512i d = _mm512_maskz_cvtepu16_epi32(0xFFFF, d16);
        const __m512i addr =
            _mm512_min_epu32(_mm512_maskz_srlv_epi32(0xFFFF, _mm512_add_epi32(d, vbase), vshift), vlast);
        _mm512_storeu_si512(boost + c, _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), 0xFFFF, addr, lut, 4));
    }
    for (; c < n; ++c) boost[c] = lut[std::min((duty[c] + base) >> shift, last)];
}
#endif

// Step 8 under global inhibition: b_c = LUT[boost_address(a_c, t_q)].
void global_boost(bool x86, SpFixed& sp) {
    const std::uint32_t shift = boost_lut_shift(sp);
    const std::uint32_t base = boost_lut_base(sp, sp.q.target_q);
    const std::uint32_t last = (1u << sp.hw.boost_lut_bits) - 1;
    const std::uint32_t* lut = sp.q.boost_lut.data();
    const std::uint16_t* duty = sp.active_duty.data();
    std::uint32_t* boost = sp.boost.data();
    const std::uint32_t n = sp.num_columns;
#ifdef HTMHW_DATAPATH_X86
    if (x86) return global_boost_x86(duty, base, shift, last, lut, n, boost);
#endif
    (void)x86;
    for (std::uint32_t c = 0; c < n; ++c) boost[c] = lut[std::min((duty[c] + base) >> shift, last)];
}

void update_boost(SpFixed& sp, SpFixedWorkspace& ws) {
    if (sp.params.boost_strength == 0.0) return;  // every LUT entry is 1.0 then; b_c stays 2^B_f
    if (sp.params.global_inhibition) return global_boost(use_x86(ws), sp);
    std::vector<std::uint32_t> target(sp.num_columns);
    for (std::uint32_t c = 0; c < sp.num_columns; ++c) {
        neighborhood(c, sp.inhibition_radius, sp.column_dims, sp.params.wrap_around, ws.neighborhood);
        std::uint64_t sum = 0;
        for (auto j : ws.neighborhood) sum += sp.active_duty[j];
        target[c] = static_cast<std::uint32_t>(sum / ws.neighborhood.size());  // TRN
    }
    for (std::uint32_t c = 0; c < sp.num_columns; ++c)
        sp.boost[c] = sp.q.boost_lut[boost_address(sp, sp.active_duty[c], target[c])];
}

void update_min_duty(SpFixed& sp, SpFixedWorkspace& ws) {
    const std::uint64_t pct = sp.q.min_pct_q;
    if (sp.params.global_inhibition || sp.inhibition_radius > sp.num_columns) {
        const std::uint64_t mx = *std::max_element(sp.overlap_duty.begin(), sp.overlap_duty.end());
        std::fill(sp.min_overlap_duty.begin(), sp.min_overlap_duty.end(), static_cast<std::uint16_t>((pct * mx) >> 16));
        return;
    }
    for (std::uint32_t c = 0; c < sp.num_columns; ++c) {
        neighborhood(c, sp.inhibition_radius, sp.column_dims, sp.params.wrap_around, ws.neighborhood);
        std::uint64_t mx = 0;
        for (auto j : ws.neighborhood) mx = std::max<std::uint64_t>(mx, sp.overlap_duty[j]);
        sp.min_overlap_duty[c] = static_cast<std::uint16_t>((pct * mx) >> 16);
    }
}

void update_inhibition_radius(SpFixed& sp) {
    sp.inhibition_radius = sp.params.global_inhibition
                               ? max_dim(sp.column_dims)
                               : inhibition_radius_from_connected(sp.connected_bits.data(), sp.input_words,
                                                                  sp.num_columns, sp.input_dims, sp.column_dims);
}

}  // namespace

void validate(const HwConfig& hw) {
    check_integer_in("permanence_bits", hw.permanence_bits, 2, 16);
    if (hw.overlap_bits != 0) check_integer_in("overlap_bits (0 = derived)", hw.overlap_bits, 1, 16);
    check_integer_in("boost_int_bits", hw.boost_int_bits, 1, 8);
    check_integer_in("boost_frac_bits", hw.boost_frac_bits, 0, 16);
    check_integer_in("boosted_frac_bits (at most boost_frac_bits)", hw.boosted_frac_bits, 0, hw.boost_frac_bits);
    check_integer_in("duty_bits", hw.duty_bits, 4, 16);
    check_integer_in("boost_lut_bits (at most duty_bits + 1)", hw.boost_lut_bits, 1, std::min(12u, hw.duty_bits + 1));
}

SpFixed sp_fixed_create(const SpParams& params, const HwConfig& hw) {
    validate(params);
    validate(hw);
    SpFixed sp;
    sp.params = params;
    sp.hw = hw;
    derive(sp);
    const std::uint32_t nc = sp.num_columns, words = sp.input_words;
    const std::uint32_t radius = std::min(params.potential_radius, sp.num_inputs);
    const HwConstants& q = sp.q;
    sp.potential_bits.assign(static_cast<std::size_t>(nc) * words, 0);
    sp.perm_offsets.assign(nc + 1, 0);
    std::vector<std::uint32_t> candidates;
    std::vector<std::uint16_t> perms;
    for (std::uint32_t c = 0; c < nc; ++c) {
        Rng rng(params.seed, static_cast<std::uint64_t>(c) + 1);
        std::uint64_t* row = sp.potential_bits.data() + static_cast<std::size_t>(c) * words;
        const std::size_t n = sample_potential_pool(c, sp.column_dims, sp.input_dims, radius, params.potential_pct,
                                                    params.wrap_around, rng, candidates, row);
        if (c == 0) perms.reserve(n * nc + n);
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint64_t r1 = rng.next_u64();
            const std::uint64_t u = rng.next_u64() >> 32;
            const std::uint64_t p = (r1 >> 63) == 0 ? q.conn_q + (((q.perm_max - q.conn_q) * u) >> 32)
                                                    : (q.conn_q * u) >> 32;
            perms.push_back(static_cast<std::uint16_t>(p));
        }
        sp.perm_offsets[c + 1] = perms.size();
    }
    if (hw.permanence_bits <= 8)
        sp.perm8.assign(perms.begin(), perms.end());
    else
        sp.perm16 = std::move(perms);
    derive_overlap_width(sp);
    set_windows(sp);
    sp.connected_bits.assign(static_cast<std::size_t>(nc) * words, 0);
    sp.connected_by_input.assign(static_cast<std::size_t>(sp.num_inputs) * sp.column_words, 0);
    sp.connected_counts.assign(nc, 0);
    SpFixedWorkspace ws;
    column_phase(sp, Phase::Init, {}, nullptr, ws);
    sp.overlap_duty.assign(nc, 0);
    sp.active_duty.assign(nc, 0);
    sp.min_overlap_duty.assign(nc, 0);
    sp.boost.assign(nc, q.boost_one);
    sp.overlaps.assign(nc, 0);
    sp.boosted.assign(nc, 0);
    update_inhibition_radius(sp);
    check_some_column_can_win(sp.params, sp.inhibition_radius, sp.column_dims, sp.num_columns);
    build_boost_lut(sp);
    return sp;
}

void sp_fixed_compute(SpFixed& sp, const std::uint8_t* input, bool learn, SpFixedWorkspace& ws,
                      std::vector<std::uint32_t>& winners, const std::uint64_t* read_bits) {
    ++sp.iteration_num;
    if (learn) ++sp.iteration_learn_num;
    ws.step_radius = sp.inhibition_radius;
    const std::uint32_t planes = overlaps_of(sp, input, ws, sp.overlaps.data(), read_bits);
    const bool boost_on = learn || sp.params.boost_in_inference;
    const bool unit = compute_boosted(use_x86(ws), sp, sp.overlaps.data(), boost_on, sp.boosted.data());
    select_winners(sp, sp.boosted.data(), sp.overlaps.data(), unit, planes, ws, winners);
    ws.bumped.clear();
    ws.raise_rounds.clear();
    ws.written_columns.clear();
    if (!learn) return;
    column_phase(sp, Phase::Learn, winners, ws.input_bits.data(), ws);
    ws.active_mask.assign(sp.num_columns, 0);
    for (auto c : winners) ws.active_mask[c] = 1;
    update_duty_cycles(use_x86(ws), sp, ws.active_mask.data());
    ws.bumped.resize(sp.num_columns);
    ws.bumped.resize(weak_columns(sp, use_x86(ws), ws.bumped.data()));
    column_phase(sp, Phase::Bump, winners, nullptr, ws);
    std::set_union(winners.begin(), winners.end(), ws.bumped.begin(), ws.bumped.end(),
                   std::back_inserter(ws.written_columns));
    update_boost(sp, ws);
    if (sp.iteration_num % sp.update_period == 0) {
        update_inhibition_radius(sp);
        update_min_duty(sp, ws);
    }
}

void sp_fixed_infer(const SpFixed& sp, const std::uint8_t* input, SpFixedWorkspace& ws, std::uint32_t* overlaps_out,
                    std::vector<std::uint32_t>& winners, const std::uint64_t* read_bits) {
    const std::uint32_t planes = overlaps_of(sp, input, ws, overlaps_out, read_bits);
    ws.scores.resize(sp.num_columns);
    const bool unit = compute_boosted(use_x86(ws), sp, overlaps_out, sp.params.boost_in_inference, ws.scores.data());
    select_winners(sp, ws.scores.data(), overlaps_out, unit, planes, ws, winners);
}

void sp_fixed_set_column(SpFixed& sp, std::uint32_t column, const std::vector<std::uint32_t>& words) {
    const std::uint64_t b = sp.perm_offsets[column], n = sp.perm_offsets[column + 1] - b;
    if (words.size() != n)
        throw std::invalid_argument("permanence words: column " + std::to_string(column) + " has " +
                                    std::to_string(n) + " potential synapses; got " + std::to_string(words.size()));
    for (std::uint64_t i = 0; i < n; ++i) {
        if (words[i] > sp.q.perm_max)
            fail_field("permanence words", "in [0, " + std::to_string(sp.q.perm_max) + "]", words[i]);
        if (sp.hw.permanence_bits <= 8)
            sp.perm8[b + i] = static_cast<std::uint8_t>(words[i]);
        else
            sp.perm16[b + i] = static_cast<std::uint16_t>(words[i]);
    }
    SpFixedWorkspace ws;
    ws.bumped.assign(1, column);
    column_phase(sp, Phase::Refresh, {}, nullptr, ws);
}

void sp_fixed_rebuild_and_check(SpFixed& sp) {
    validate(sp.params);
    validate(sp.hw);
    const auto nc_expected = static_cast<std::uint32_t>(sp.num_columns);
    derive(sp);
    if (sp.num_columns != nc_expected && nc_expected != 0)
        throw std::invalid_argument("invalid saved state: column count does not match column_dimensions");
    const std::uint32_t nc = sp.num_columns;
    auto need = [](bool ok, const char* what) {
        if (!ok) throw std::invalid_argument(std::string("invalid saved state: ") + what);
    };
    need(sp.potential_bits.size() == static_cast<std::size_t>(nc) * sp.input_words, "potential_bits has the wrong size");
    need(sp.perm_offsets.size() == nc + 1u && sp.perm_offsets[0] == 0, "perm_offsets has the wrong size");
    for (std::uint32_t c = 0; c < nc; ++c) {
        std::uint64_t count = 0;
        for (std::uint32_t w = 0; w < sp.input_words; ++w)
            count += static_cast<std::uint64_t>(
                __builtin_popcountll(sp.potential_bits[static_cast<std::size_t>(c) * sp.input_words + w]));
        need(sp.perm_offsets[c + 1] == sp.perm_offsets[c] + count, "perm_offsets do not match potential_bits");
    }
    if (sp.input_words && sp.num_inputs % 64)
        for (std::uint32_t c = 0; c < nc; ++c)
            need((sp.potential_bits[static_cast<std::size_t>(c) * sp.input_words + sp.input_words - 1] >>
                  (sp.num_inputs % 64)) == 0,
                 "potential_bits has bits beyond the last input");
    const std::uint64_t synapses = sp.perm_offsets[nc];
    if (sp.hw.permanence_bits <= 8) {
        need(sp.perm8.size() == synapses && sp.perm16.empty(), "permanences have the wrong size");
        for (auto v : sp.perm8) need(v <= sp.q.perm_max, "a permanence exceeds 2^permanence_bits - 1");
    } else {
        need(sp.perm16.size() == synapses && sp.perm8.empty(), "permanences have the wrong size");
        for (auto v : sp.perm16) need(v <= sp.q.perm_max, "a permanence exceeds 2^permanence_bits - 1");
    }
    for (auto* v : {&sp.overlap_duty, &sp.active_duty, &sp.min_overlap_duty}) {
        need(v->size() == nc, "a duty-cycle array has the wrong size");
        for (auto d : *v) need(d <= sp.q.duty_one, "a duty cycle exceeds 2^duty_bits - 1");
    }
    need(sp.boost.size() == nc, "boost has the wrong size");
    const std::uint32_t boost_max = (1u << (sp.hw.boost_int_bits + sp.hw.boost_frac_bits)) - 1;
    for (auto b : sp.boost) need(b <= boost_max, "a boost factor exceeds its width");
    need(sp.overlaps.size() == nc && sp.boosted.size() == nc, "overlaps have the wrong size");
    derive_overlap_width(sp);
    set_windows(sp);
    sp.connected_bits.assign(static_cast<std::size_t>(nc) * sp.input_words, 0);
    sp.connected_by_input.assign(static_cast<std::size_t>(sp.num_inputs) * sp.column_words, 0);
    sp.connected_counts.assign(nc, 0);
    // Trim + refresh every column (a no-op on permanences that came from a run).
    SpFixedWorkspace ws;
    for (std::uint32_t c = 0; c < nc; ++c) ws.bumped.push_back(c);
    column_phase(sp, Phase::Refresh, {}, nullptr, ws);
    build_boost_lut(sp);
}

SpFixed sp_fixed_with_params(const SpFixed& sp, const SpParams& params, bool inhibition_changed) {
    return pooler_with_params(sp, params, inhibition_changed, sp_fixed_rebuild_and_check);
}

std::uint64_t sp_fixed_neighborhood_size(const SpFixed& sp, std::uint32_t column, std::uint32_t radius) {
    std::uint32_t coords[16];
    unravel_index(column, sp.column_dims, coords);
    std::uint64_t size = 1;
    for (std::size_t d = 0; d < sp.column_dims.size(); ++d) {
        const std::int64_t x = coords[d], r = radius, n = sp.column_dims[d];
        size *= static_cast<std::uint64_t>(sp.params.wrap_around
                                               ? std::min<std::int64_t>(2 * r + 1, n)
                                               : std::min<std::int64_t>(n - 1, x + r) - std::max<std::int64_t>(0, x - r) + 1);
    }
    return size;
}

std::vector<std::uint32_t> sp_fixed_kwta_quotas(const SpFixed& sp) {
    if (uses_global(sp))
        return std::vector<std::uint32_t>(sp.num_columns, static_cast<std::uint32_t>(sp_fixed_global_winners(sp)));
    const double density = inhibition_density(sp.params, sp.inhibition_radius, sp.num_columns);
    std::vector<std::uint32_t> quota(sp.num_columns);
    for (std::uint32_t c = 0; c < sp.num_columns; ++c)  // as kwta_local: the size as a double, IEEE product
        quota[c] = static_cast<std::uint32_t>(
            0.5 + density * static_cast<double>(sp_fixed_neighborhood_size(sp, c, sp.inhibition_radius)));
    return quota;
}

std::uint64_t sp_fixed_global_winners(const SpFixed& sp) {
    const double density = inhibition_density(sp.params, sp.inhibition_radius, sp.num_columns);
    return static_cast<std::uint64_t>(density * static_cast<double>(sp.num_columns));
}

}  // namespace htmhw
