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
    out.clear();
    for_each_neighbor(center, radius, dims, wrap, [&out](std::uint32_t j) {
        out.push_back(j);
        return true;
    });
}

}  // namespace htmhw
