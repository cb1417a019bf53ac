#include "htmhw/sp_common.hpp"

#include <algorithm>

namespace htmhw {

std::size_t sample_potential_pool(std::uint32_t column, const Dims& column_dims, const Dims& input_dims,
                                  std::uint32_t radius, double potential_pct, bool wrap, Rng& rng,
                                  std::vector<std::uint32_t>& candidates, std::uint64_t* mask_row) {
    const std::uint32_t center = map_column_to_input(column, column_dims, input_dims);
    neighborhood(center, radius, input_dims, wrap, candidates);
    const auto num_potential =
        static_cast<std::size_t>(static_cast<double>(candidates.size()) * potential_pct + 0.5);
    // Partial Fisher-Yates: the first num_potential entries become the pool.
    for (std::size_t i = 0; i < num_potential; ++i) {
        const std::size_t j = i + static_cast<std::size_t>(rng.below(candidates.size() - i));
        std::swap(candidates[i], candidates[j]);
    }
    for (std::size_t i = 0; i < num_potential; ++i) mask_row[candidates[i] >> 6] |= 1ULL << (candidates[i] & 63);
    return num_potential;
}

namespace {

template <class Popcount>
inline __attribute__((always_inline)) void overlaps_body(const std::uint64_t* bits, std::uint32_t words,
                                                        const std::uint32_t* word_lo, const std::uint32_t* word_hi,
                                                        std::uint32_t num_columns, const std::uint64_t* in,
                                                        std::uint32_t* out, Popcount popcount) {
    for (std::uint32_t c = 0; c < num_columns; ++c) {
        const std::uint64_t* row = bits + static_cast<std::size_t>(c) * words;
        std::uint32_t sum = 0;
        for (std::uint32_t w = word_lo[c]; w < word_hi[c]; ++w) sum += popcount(row[w] & in[w]);
        out[c] = sum;
    }
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define HTMHW_X86_DISPATCH 1
__attribute__((target("popcnt"))) void overlaps_popcnt(const std::uint64_t* bits, std::uint32_t words,
                                                       const std::uint32_t* lo, const std::uint32_t* hi,
                                                       std::uint32_t n, const std::uint64_t* in, std::uint32_t* out) {
    overlaps_body(bits, words, lo, hi, n, in, out, [](std::uint64_t x) __attribute__((target("popcnt"))) {
        return static_cast<std::uint32_t>(__builtin_popcountll(x));
    });
}
// AVX-512 VPOPCNTDQ lets the compiler vectorize the word loop; same sums.
__attribute__((target("avx512f,avx512vpopcntdq,popcnt"))) void overlaps_avx512(
    const std::uint64_t* bits, std::uint32_t words, const std::uint32_t* lo, const std::uint32_t* hi,
    std::uint32_t n, const std::uint64_t* in, std::uint32_t* out) {
    overlaps_body(bits, words, lo, hi, n, in, out,
                  [](std::uint64_t x) __attribute__((target("avx512f,avx512vpopcntdq,popcnt"))) {
                      return static_cast<std::uint32_t>(__builtin_popcountll(x));
                  });
}
const bool kHavePopcnt = __builtin_cpu_supports("popcnt");
const bool kHaveAvx512Popcnt = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq");
#endif

}  // namespace

void popcount_overlaps(const std::uint64_t* bits, std::uint32_t words, const std::uint32_t* word_lo,
                       const std::uint32_t* word_hi, std::uint32_t num_columns, const std::uint64_t* in,
                       std::uint32_t* out) {
#ifdef HTMHW_X86_DISPATCH
    if (kHaveAvx512Popcnt) return overlaps_avx512(bits, words, word_lo, word_hi, num_columns, in, out);
    if (kHavePopcnt) return overlaps_popcnt(bits, words, word_lo, word_hi, num_columns, in, out);
#endif
    overlaps_body(bits, words, word_lo, word_hi, num_columns, in, out,
                  [](std::uint64_t x) { return static_cast<std::uint32_t>(__builtin_popcountll(x)); });
}

std::uint32_t inhibition_radius_from_connected(const std::uint64_t* connected_bits, std::uint32_t words,
                                               std::uint32_t num_columns, const Dims& input_dims,
                                               const Dims& column_dims) {
    const std::size_t rank = input_dims.size();
    std::uint32_t coords[16];
    double span_sum = 0;
    for (std::uint32_t c = 0; c < num_columns; ++c) {
        std::uint32_t lo[16], hi[16];
        bool any = false;
        const std::uint64_t* row = connected_bits + static_cast<std::size_t>(c) * words;
        for (std::uint32_t w = 0; w < words; ++w) {
            for (std::uint64_t b = row[w]; b; b &= b - 1) {
                const std::uint32_t j = w * 64 + static_cast<std::uint32_t>(__builtin_ctzll(b));
                unravel_index(j, input_dims, coords);
                for (std::size_t d = 0; d < rank; ++d) {
                    if (!any) lo[d] = hi[d] = coords[d];
                    lo[d] = std::min(lo[d], coords[d]);
                    hi[d] = std::max(hi[d], coords[d]);
                }
                any = true;
            }
        }
        if (!any) continue;
        double s = 0;
        for (std::size_t d = 0; d < rank; ++d) s += static_cast<double>(hi[d] - lo[d] + 1);
        span_sum += s / static_cast<double>(rank);
    }
    const double avg_span = span_sum / num_columns;
    double cols_per_input = 0;
    for (std::size_t d = 0; d < rank; ++d)
        cols_per_input += static_cast<double>(column_dims[d]) / static_cast<double>(input_dims[d]);
    cols_per_input /= static_cast<double>(rank);
    const double diameter = avg_span * cols_per_input;
    const double radius = std::max(1.0, (diameter - 1.0) / 2.0);
    return static_cast<std::uint32_t>(radius + 0.5);
}

}  // namespace htmhw
