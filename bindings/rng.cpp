// The project's PRNG (docs/rng.md) for Python-side random stimuli, so that a
// seed gives the same vectors on every platform and numpy version.
#include <numeric>
#include <vector>

#include "common.hpp"
#include "htmhw/rng.hpp"

void init_rng(py::module_& m) {
    m.def(
        "random_sdrs",
        [](std::int64_t rows, std::int64_t width, std::int64_t active, std::uint64_t seed) {
            if (rows < 0) throw std::invalid_argument("n_samples must be >= 0; got " + std::to_string(rows));
            if (width < 1 || width > (1LL << 31))
                throw std::invalid_argument("num_bits must be in [1, 2^31]; got " + std::to_string(width));
            if (active < 0 || active > width)
                throw std::invalid_argument("num_active must be in [0, num_bits=" + std::to_string(width) +
                                            "]; got " + std::to_string(active));
            py::array_t<std::uint8_t> out({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(width)});
            std::uint8_t* o = out.mutable_data();
            {
                py::gil_scoped_release release;
                std::fill(o, o + rows * width, std::uint8_t(0));
                std::vector<std::uint32_t> idx(static_cast<std::size_t>(width));
                for (std::int64_t r = 0; r < rows; ++r) {
                    // Row r: partial Fisher-Yates over 0..width-1 with Rng(seed, r + 1).
                    htmhw::Rng rng(seed, static_cast<std::uint64_t>(r) + 1);
                    std::iota(idx.begin(), idx.end(), 0u);
                    for (std::int64_t i = 0; i < active; ++i) {
                        const auto j = static_cast<std::size_t>(i) + rng.below(static_cast<std::uint64_t>(width - i));
                        std::swap(idx[static_cast<std::size_t>(i)], idx[j]);
                        o[r * width + idx[static_cast<std::size_t>(i)]] = 1;
                    }
                }
            }
            return out;
        },
        py::arg("n_samples"), py::arg("num_bits"), py::arg("num_active"), py::arg("seed"));
    m.def(
        "rng_uniform01",
        [](std::int64_t n, std::uint64_t seed, std::uint64_t stream) {
            if (n < 0 || n > (1LL << 31)) throw std::invalid_argument("n must be in [0, 2^31]; got " + std::to_string(n));
            py::array_t<double> out(static_cast<py::ssize_t>(n));
            double* o = out.mutable_data();
            htmhw::Rng rng(seed, stream);
            for (std::int64_t i = 0; i < n; ++i) o[i] = rng.uniform01();
            return out;
        },
        py::arg("n"), py::arg("seed"), py::arg("stream") = 0,
        "n doubles uniform in [0, 1) (53 random bits each) from the project's PRNG Rng(seed, stream).");
}
