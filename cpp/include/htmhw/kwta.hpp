// k-winners-take-all. One tie-break rule everywhere in htmhw: among equal
// scores the lower column index wins (a priority encoder in hardware).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "htmhw/topology.hpp"

namespace htmhw {

// Global kWTA over float scores: the (at most) k columns with the highest
// score among those with score >= threshold, ties to the lower index.
// Winners are written in ascending index order. `scratch` is reused storage.
void kwta_global(const float* scores, std::size_t n, std::size_t k, float threshold,
                 std::vector<std::uint32_t>& winners, std::vector<std::uint32_t>& scratch);

// The same rule over small non-negative integer scores, by a counting select
// (O(n + max_score)) instead of a sort. `histogram` is scratch that must be all
// zeros (or empty) on entry; it is left all zeros on return.
void kwta_global_counts(const std::uint32_t* scores, std::size_t n, std::size_t k,
                        std::uint32_t threshold, std::vector<std::uint32_t>& winners,
                        std::vector<std::uint32_t>& histogram);

// NuPIC's local inhibition: column c (score >= threshold) wins when the number
// of neighbours with a higher score plus the number of equal-score neighbours
// already chosen (lower indices, visited first) is below
// int(0.5 + density * |neighbourhood|). Neighbourhoods are hypercubes of
// `radius` in column space (including c itself).
void kwta_local(const float* scores, const Dims& column_dims, std::uint32_t radius, bool wrap,
                double density, float threshold, std::vector<std::uint32_t>& winners);

}  // namespace htmhw
