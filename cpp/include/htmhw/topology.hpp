// N-dimensional topology helpers shared by the spatial poolers: the mapping
// of a column to the centre of its input field and hypercube neighbourhoods
// with or without wrap-around, enumerated in NuPIC's row-major order.
#pragma once
#include <cstdint>
#include <vector>

namespace htmhw {

using Dims = std::vector<std::uint32_t>;

std::uint64_t dims_product(const Dims& dims);

// Row-major (last dimension fastest) coordinates of a flat index.
void unravel_index(std::uint64_t index, const Dims& dims, std::uint32_t* coords);

// Flat input index at the centre of a column's field. Column and input
// dimensions must have the same length (pad the shorter with trailing 1s).
// Per dimension: floor(input_dim * (c + 0.5) / column_dim).
std::uint32_t map_column_to_input(std::uint32_t column, const Dims& column_dims,
                                  const Dims& input_dims);

// All flat indices within `radius` of `center` in every dimension (a
// hypercube). With wrap, coordinates are taken modulo the dimension and each
// dimension's interval is capped at the dimension size (no duplicates);
// without wrap, they are clipped to the array. Order: row-major product of
// the per-dimension intervals, each interval ascending from center - radius.
void neighborhood(std::uint32_t center, std::uint32_t radius, const Dims& dims, bool wrap,
                  std::vector<std::uint32_t>& out);

}  // namespace htmhw
