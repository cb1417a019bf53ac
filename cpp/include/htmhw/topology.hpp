// N-dimensional topology helpers shared by the spatial poolers: the mapping
// of a column to the centre of its input field and hypercube neighbourhoods
// with or without wrap-around, enumerated in NuPIC's row-major order.
#pragma once
#include <algorithm>
#include <cstddef>
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

// Visits the same indices in the same order without materializing them;
// stops early when visit(index) returns false. Returns the number visited.
template <class Visit>
std::size_t for_each_neighbor(std::uint32_t center, std::uint32_t radius, const Dims& dims, bool wrap,
                              Visit&& visit) {
    const std::size_t nd = dims.size();
    std::uint32_t coords[16];
    unravel_index(center, dims, coords);
    // Per dimension: the coordinate values of the interval, already wrapped.
    std::uint32_t first[16], len[16];
    for (std::size_t i = 0; i < nd; ++i) {
        const std::int64_t c = coords[i], r = radius, d = dims[i];
        std::int64_t lo, hi;
        if (wrap) {
            lo = c - r;
            hi = std::min(c + r, lo + d - 1);
        } else {
            lo = std::max<std::int64_t>(0, c - r);
            hi = std::min<std::int64_t>(d - 1, c + r);
        }
        first[i] = static_cast<std::uint32_t>(((lo % d) + d) % d);
        len[i] = static_cast<std::uint32_t>(hi - lo + 1);
    }
    std::uint32_t step[16] = {0}, value[16];
    for (std::size_t i = 0; i < nd; ++i) value[i] = first[i];
    std::size_t visited = 0;
    for (;;) {
        std::uint64_t flat = 0;
        for (std::size_t i = 0; i < nd; ++i) flat = flat * dims[i] + value[i];
        ++visited;
        if (!visit(static_cast<std::uint32_t>(flat))) return visited;
        std::size_t i = nd;
        while (i-- > 0) {
            if (++step[i] < len[i]) {
                if (++value[i] == dims[i]) value[i] = 0;
                break;
            }
            step[i] = 0;
            value[i] = first[i];
        }
        if (i == static_cast<std::size_t>(-1)) return visited;
    }
}

}  // namespace htmhw
