#include <pybind11/stl.h>
#include <vector>

#include "common.hpp"
#include "htmhw/kwta.hpp"

void init_kwta(py::module_& m) {
    m.def(
        "kwta_global",
        [](const carray<float>& scores, std::size_t k, float threshold) {
            if (scores.ndim() != 1) throw std::invalid_argument("scores must be a 1-D array");
            std::vector<std::uint32_t> winners, scratch;
            {
                py::gil_scoped_release release;
                htmhw::kwta_global(scores.data(), static_cast<std::size_t>(scores.size()), k, threshold, winners,
                                   scratch);
            }
            return to_numpy(winners);
        },
        py::arg("scores").noconvert(), py::arg("k"), py::arg("threshold"));
    m.def(
        "kwta_local",
        [](const carray<float>& scores, const std::vector<std::uint32_t>& column_dims, std::uint32_t radius,
           bool wrap, double density, float threshold) {
            if (scores.ndim() != 1 || static_cast<std::uint64_t>(scores.size()) != htmhw::dims_product(column_dims))
                throw std::invalid_argument("scores must be a 1-D array with prod(column_dimensions) entries");
            std::vector<std::uint32_t> winners;
            {
                py::gil_scoped_release release;
                htmhw::kwta_local(scores.data(), column_dims, radius, wrap, density, threshold, winners);
            }
            return to_numpy(winners);
        },
        py::arg("scores").noconvert(), py::arg("column_dimensions"), py::arg("radius"), py::arg("wrap"),
        py::arg("density"), py::arg("threshold"));
    m.def(
        "neighborhood",
        [](std::uint32_t center, std::uint32_t radius, const std::vector<std::uint32_t>& dims, bool wrap) {
            if (dims.empty() || dims.size() > 16) throw std::invalid_argument("dimensions must have 1 to 16 entries");
            for (auto d : dims)
                if (d == 0) throw std::invalid_argument("dimensions must be >= 1");
            if (center >= htmhw::dims_product(dims)) throw std::invalid_argument("center out of range");
            std::vector<std::uint32_t> out;
            htmhw::neighborhood(center, radius, dims, wrap, out);
            return to_numpy(out);
        },
        py::arg("center"), py::arg("radius"), py::arg("dimensions"), py::arg("wrap"));
}
