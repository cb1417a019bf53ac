#include "htmhw/topology.hpp"

#include <algorithm>
#include <cstdint>

namespace htmhw {

std::uint64_t dims_product(const Dims& dims) {
    std::uint64_t n = 1;
    for (auto d : dims) n *= d;
    return n;
}

void unravel_index(std::uint64_t index, const Dims& dims, std::uint32_t* coords) {
    for (std::size_t i = dims.size(); i-- > 0;) {
        coords[i] = static_cast<std::uint32_t>(index % dims[i]);
        index /= dims[i];
    }
}

std::uint32_t map_column_to_input(std::uint32_t column, const Dims& column_dims,
                                  const Dims& input_dims) {
    std::uint32_t coords[16];
    unravel_index(column, column_dims, coords);
    std::uint64_t flat = 0;
    for (std::size_t i = 0; i < input_dims.size(); ++i) {
        // Exact integer form of NuPIC's floor(in * c / col + 0.5 * in / col).
        const std::uint64_t num = static_cast<std::uint64_t>(input_dims[i]) * (2ULL * coords[i] + 1);
        std::uint64_t c = num / (2ULL * column_dims[i]);
        if (c >= input_dims[i]) c = input_dims[i] - 1;
        flat = flat * input_dims[i] + c;
    }
    return static_cast<std::uint32_t>(flat);
}

void neighborhood(std::uint32_t center, std::uint32_t radius, const Dims& dims, bool wrap,
                  std::vector<std::uint32_t>& out) {
    const std::size_t nd = dims.size();
    std::uint32_t coords[16];
    unravel_index(center, dims, coords);
    // Per dimension: first coordinate (possibly negative before wrapping) and length.
    std::int64_t first[16];
    std::uint32_t len[16];
    for (std::size_t i = 0; i < nd; ++i) {
        const std::int64_t c = coords[i], r = radius, d = dims[i];
        if (wrap) {
            first[i] = c - r;
            const std::int64_t right = std::min(c + r, first[i] + d - 1);
            len[i] = static_cast<std::uint32_t>(right - first[i] + 1);
        } else {
            first[i] = std::max<std::int64_t>(0, c - r);
            const std::int64_t right = std::min<std::int64_t>(d - 1, c + r);
            len[i] = static_cast<std::uint32_t>(right - first[i] + 1);
        }
    }
    out.clear();
    std::uint32_t step[16] = {0};
    for (;;) {
        std::uint64_t flat = 0;
        for (std::size_t i = 0; i < nd; ++i) {
            std::int64_t v = first[i] + step[i];
            const std::int64_t d = dims[i];
            v = ((v % d) + d) % d;
            flat = flat * dims[i] + static_cast<std::uint64_t>(v);
        }
        out.push_back(static_cast<std::uint32_t>(flat));
        std::size_t i = nd;
        while (i-- > 0) {
            if (++step[i] < len[i]) break;
            step[i] = 0;
        }
        if (i == static_cast<std::size_t>(-1)) break;
    }
}

}  // namespace htmhw
