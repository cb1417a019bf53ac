// Pieces shared by the float reference pooler and the fixed-point datapath, so
// that both build identical potential pools and count overlaps the same way.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "htmhw/rng.hpp"
#include "htmhw/topology.hpp"

namespace htmhw {

// Samples column `column`'s potential pool (docs/rng.md steps 1-2) with `rng`
// (the column's stream, fresh) and sets its inputs' bits in `mask_row`
// (input_words words, all zero on entry). `candidates` is scratch. Returns the
// pool size. input_dims/column_dims have equal rank.
std::size_t sample_potential_pool(std::uint32_t column, const Dims& column_dims, const Dims& input_dims,
                                  std::uint32_t radius, double potential_pct, bool wrap, Rng& rng,
                                  std::vector<std::uint32_t>& candidates, std::uint64_t* mask_row);

// out[c] = sum over words w in [word_lo[c], word_hi[c]) of popcount(bits[c*words + w] & in[w]).
// Dispatched at run time to POPCNT / AVX-512 VPOPCNTDQ; identical sums everywhere.
void popcount_overlaps(const std::uint64_t* bits, std::uint32_t words, const std::uint32_t* word_lo,
                       const std::uint32_t* word_hi, std::uint32_t num_columns, const std::uint64_t* in,
                       std::uint32_t* out);

// NuPIC's inhibition radius (_updateInhibitionRadius) from the connected bit
// matrix (columns x words): average span of each column's connected inputs,
// times columns per input, in IEEE double.
std::uint32_t inhibition_radius_from_connected(const std::uint64_t* connected_bits, std::uint32_t words,
                                               std::uint32_t num_columns, const Dims& input_dims,
                                               const Dims& column_dims);

}  // namespace htmhw
