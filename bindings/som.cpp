// Binding of the self-organizing map (cpp/include/htmhw/som.hpp). Converts and
// validates; the GIL is released around every loop over samples or units.
#include <pybind11/stl.h>

#include <string>

#include "common.hpp"
#include "htmhw/som.hpp"

using htmhw::SomGrid;
using htmhw::SomMap;

namespace {

template <class E>
E parse_enum(const std::string& value, const char* name, std::initializer_list<std::pair<const char*, E>> options) {
    std::string allowed;
    for (const auto& [key, e] : options) {
        if (value == key) return e;
        allowed += (allowed.empty() ? "'" : ", '") + std::string(key) + "'";
    }
    throw std::invalid_argument(std::string(name) + " must be one of " + allowed + "; got '" + value + "'");
}

SomGrid make_grid(std::int64_t rows, std::int64_t cols, const std::string& lattice, const std::string& topology) {
    if (rows < 1 || cols < 1 || rows > htmhw::kSomMaxUnits || cols > htmhw::kSomMaxUnits)
        throw std::invalid_argument("grid shape (n_rows, n_cols) must be positive with at most " +
                                    std::to_string(htmhw::kSomMaxUnits) + " units; got (" + std::to_string(rows) +
                                    ", " + std::to_string(cols) + ")");
    SomGrid g;
    g.rows = static_cast<std::uint32_t>(rows);
    g.cols = static_cast<std::uint32_t>(cols);
    g.lattice = parse_enum<htmhw::SomLattice>(lattice, "lattice",
                                              {{"rect", htmhw::SomLattice::rect}, {"hex", htmhw::SomLattice::hex}});
    g.topology = parse_enum<htmhw::SomTopology>(
        topology, "topology", {{"planar", htmhw::SomTopology::planar}, {"toroidal", htmhw::SomTopology::toroidal}});
    htmhw::som_check_grid(g);
    return g;
}

htmhw::SomNeighborhood parse_neighborhood(const std::string& s) {
    return parse_enum<htmhw::SomNeighborhood>(
        s, "neighborhood", {{"gaussian", htmhw::SomNeighborhood::gaussian}, {"bubble", htmhw::SomNeighborhood::bubble}});
}

htmhw::SomDecay parse_decay(const std::string& s, const char* name) {
    return parse_enum<htmhw::SomDecay>(
        s, name, {{"linear", htmhw::SomDecay::linear}, {"exponential", htmhw::SomDecay::exponential}});
}

// (n, dim) C-contiguous float32 matrix; returns n.
std::size_t check_matrix(const carray<float>& a, const char* name, std::int64_t dim = -1) {
    if (a.ndim() != 2)
        throw std::invalid_argument(std::string(name) + " must be a 2-D float32 array (n_samples, n_features); got " +
                                    std::to_string(a.ndim()) + " dimensions");
    if (dim >= 0 && a.shape(1) != dim)
        throw std::invalid_argument(std::string(name) + " must have " + std::to_string(dim) +
                                    " features (the map's dimension); got " + std::to_string(a.shape(1)));
    if (a.shape(1) < 1 || a.shape(1) > htmhw::kSomMaxDim)
        throw std::invalid_argument(std::string(name) + " must have between 1 and " +
                                    std::to_string(htmhw::kSomMaxDim) + " features; got " +
                                    std::to_string(a.shape(1)));
    return static_cast<std::size_t>(a.shape(0));
}

SomMap make_map(const SomGrid& g, const carray<float>& weights) {
    const std::size_t rows = check_matrix(weights, "weights");
    if (rows != g.num_units())
        throw std::invalid_argument("weights must have one row per unit (" + std::to_string(g.num_units()) +
                                    "); got " + std::to_string(rows));
    SomMap m;
    m.grid = g;
    m.dim = static_cast<std::uint32_t>(weights.shape(1));
    m.weights.assign(weights.data(), weights.data() + weights.size());
    htmhw::som_check_map(m);
    return m;
}

py::array_t<float> weights_array(const SomMap& m) {
    py::array_t<float> out({static_cast<py::ssize_t>(m.grid.num_units()), static_cast<py::ssize_t>(m.dim)});
    std::copy(m.weights.begin(), m.weights.end(), out.mutable_data());
    return out;
}

#define SOM_GRID_ARGS py::arg("n_rows"), py::arg("n_cols"), py::arg("lattice"), py::arg("topology")

}  // namespace

void init_som(py::module_& m) {
    m.def(
        "som_grid_distance2_matrix",
        [](std::int64_t rows, std::int64_t cols, const std::string& lattice, const std::string& topology) {
            const SomGrid g = make_grid(rows, cols, lattice, topology);
            const std::size_t U = g.num_units();
            if (U > 16384) throw std::invalid_argument("som_grid_distance2_matrix: at most 16384 units");
            py::array_t<double> out({static_cast<py::ssize_t>(U), static_cast<py::ssize_t>(U)});
            double* o = out.mutable_data();
            for (std::uint32_t a = 0; a < U; ++a)
                for (std::uint32_t b = 0; b < U; ++b) o[a * U + b] = htmhw::som_grid_distance2(g, a, b);
            return out;
        },
        SOM_GRID_ARGS, "Exact squared grid distances between all units (units x units).");
    m.def(
        "som_unit_coordinates",
        [](std::int64_t rows, std::int64_t cols, const std::string& lattice, const std::string& topology) {
            const SomGrid g = make_grid(rows, cols, lattice, topology);
            const auto xy = htmhw::som_unit_coordinates(g);
            py::array_t<double> out({static_cast<py::ssize_t>(g.num_units()), py::ssize_t{2}});
            std::copy(xy.begin(), xy.end(), out.mutable_data());
            return out;
        },
        SOM_GRID_ARGS, "(x, y) of every unit.");
    m.def(
        "som_adjacency",
        [](std::int64_t rows, std::int64_t cols, const std::string& lattice, const std::string& topology) {
            const SomGrid g = make_grid(rows, cols, lattice, topology);
            std::vector<std::uint32_t> offsets, neighbors;
            htmhw::som_adjacency(g, offsets, neighbors);
            return py::make_tuple(to_numpy(offsets), to_numpy(neighbors));
        },
        SOM_GRID_ARGS, "Grid adjacency as CSR (offsets, neighbours).");
    m.def(
        "som_neighborhood_matrix",
        [](std::int64_t rows, std::int64_t cols, const std::string& lattice, const std::string& topology,
           const std::string& neighborhood, double radius, double std_coeff) {
            const SomGrid g = make_grid(rows, cols, lattice, topology);
            const auto w = htmhw::som_neighborhood_matrix(g, parse_neighborhood(neighborhood), radius, std_coeff);
            const auto U = static_cast<py::ssize_t>(g.num_units());
            py::array_t<float> out({U, U});
            std::copy(w.begin(), w.end(), out.mutable_data());
            return out;
        },
        SOM_GRID_ARGS, py::arg("neighborhood"), py::arg("radius"), py::arg("std_coeff"));
    m.def(
        "som_schedule",
        [](const std::string& decay, double start, double end, std::uint64_t t, std::uint64_t T) {
            return htmhw::som_schedule(parse_decay(decay, "decay"), start, end, t, T);
        },
        py::arg("decay"), py::arg("start"), py::arg("end"), py::arg("t"), py::arg("T"));
    m.def(
        "som_init",
        [](std::int64_t rows, std::int64_t cols, const std::string& lattice, const std::string& topology,
           const carray<float>& x, const std::string& init, std::uint64_t seed, int n_threads) {
            const SomGrid g = make_grid(rows, cols, lattice, topology);
            const unsigned threads = check_threads(n_threads);
            const std::size_t n = check_matrix(x, "X");
            const auto how = parse_enum<htmhw::SomInit>(init, "init",
                                                        {{"pca", htmhw::SomInit::pca}, {"sample", htmhw::SomInit::sample}});
            SomMap map;
            {
                py::gil_scoped_release release;
                map = htmhw::som_init(g, x.data(), n, static_cast<std::uint32_t>(x.shape(1)), how, seed, threads);
            }
            return weights_array(map);
        },
        SOM_GRID_ARGS, py::arg("X").noconvert(), py::arg("init"), py::arg("seed"), py::arg("n_threads") = 1,
        "Initial prototypes (units x n_features float32) by 'pca' or 'sample'.");
    m.def(
        "som_train",
        [](std::int64_t rows, std::int64_t cols, const std::string& lattice, const std::string& topology,
           const carray<float>& weights, const carray<float>& x, const std::string& method,
           const std::string& neighborhood, std::int64_t n_epochs, double radius_start, double radius_end,
           const std::string& radius_decay, double learning_rate_start, double learning_rate_end,
           const std::string& learning_rate_decay, double std_coeff, std::uint64_t seed, int n_threads,
           std::int64_t epoch_begin, std::int64_t epoch_end) {
            const SomGrid g = make_grid(rows, cols, lattice, topology);
            const unsigned threads = check_threads(n_threads);
            SomMap map = make_map(g, weights);
            const std::size_t n = check_matrix(x, "X", map.dim);
            if (n_epochs < 1 || n_epochs > 1000000)
                throw std::invalid_argument("n_epochs must be in [1, 1000000]; got " + std::to_string(n_epochs));
            const bool batch = parse_enum<bool>(method, "method", {{"batch", true}, {"online", false}});
            htmhw::SomTrainParams p;
            p.neighborhood = parse_neighborhood(neighborhood);
            p.n_epochs = static_cast<std::uint32_t>(n_epochs);
            p.radius_start = radius_start;
            p.radius_end = radius_end;
            p.radius_decay = parse_decay(radius_decay, "radius_decay");
            p.learning_rate_start = learning_rate_start;
            p.learning_rate_end = learning_rate_end;
            p.learning_rate_decay = parse_decay(learning_rate_decay, "learning_rate_decay");
            p.std_coeff = std_coeff;
            p.seed = seed;
            if (epoch_begin < 0 || epoch_begin > n_epochs)
                throw std::invalid_argument("epoch_begin must be in [0, n_epochs]; got " + std::to_string(epoch_begin));
            if (epoch_end < 0 || epoch_end > n_epochs)
                throw std::invalid_argument("epoch_end must be in [0, n_epochs] (0: n_epochs); got " +
                                            std::to_string(epoch_end));
            p.epoch_begin = static_cast<std::uint32_t>(epoch_begin);
            p.epoch_end = static_cast<std::uint32_t>(epoch_end);
            {
                py::gil_scoped_release release;
                if (batch) htmhw::som_train_batch(map, x.data(), n, p, threads);
                else htmhw::som_train_online(map, x.data(), n, p, threads);
            }
            return weights_array(map);
        },
        SOM_GRID_ARGS, py::arg("weights").noconvert(), py::arg("X").noconvert(), py::arg("method"),
        py::arg("neighborhood"), py::arg("n_epochs"), py::arg("radius_start"), py::arg("radius_end"),
        py::arg("radius_decay"), py::arg("learning_rate_start"), py::arg("learning_rate_end"),
        py::arg("learning_rate_decay"), py::arg("std_coeff"), py::arg("seed"), py::arg("n_threads") = 1,
        py::arg("epoch_begin") = 0, py::arg("epoch_end") = 0,
        "Train from the given prototypes; returns the new prototypes (the input array is not modified). "
        "epoch_begin/epoch_end: only epochs [begin, end) of the schedule (end 0: n_epochs).");
    m.def(
        "som_topk",
        [](std::int64_t rows, std::int64_t cols, const std::string& lattice, const std::string& topology,
           const carray<float>& weights, const carray<float>& x, std::int64_t k, int n_threads) {
            const SomGrid g = make_grid(rows, cols, lattice, topology);
            const unsigned threads = check_threads(n_threads);
            const SomMap map = make_map(g, weights);
            const std::size_t n = check_matrix(x, "X", map.dim);
            if (k < 1 || k > g.num_units())
                throw std::invalid_argument("k (active units) must be in [1, " + std::to_string(g.num_units()) +
                                            "] (the number of units); got " + std::to_string(k));
            const auto kk = static_cast<std::uint32_t>(k);
            py::array_t<std::uint32_t> units({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(kk)});
            py::array_t<float> dist({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(kk)});
            std::uint32_t* up = units.mutable_data();
            float* dp = dist.mutable_data();
            if (n > 0) {
                py::gil_scoped_release release;
                htmhw::som_topk(map, x.data(), n, kk, threads, up, dp);
            }
            return py::make_tuple(units, dist);
        },
        SOM_GRID_ARGS, py::arg("weights").noconvert(), py::arg("X").noconvert(), py::arg("k"),
        py::arg("n_threads") = 1,
        "The k nearest units of every sample, ranked (ties to the lower unit), and their Euclidean distances.");
    m.def(
        "som_dispersion",
        [](std::int64_t rows, std::int64_t cols, const std::string& lattice, const std::string& topology,
           const carray<std::uint32_t>& units, int n_threads) {
            const SomGrid g = make_grid(rows, cols, lattice, topology);
            const unsigned threads = check_threads(n_threads);
            if (units.ndim() != 2 || units.shape(1) < 1)
                throw std::invalid_argument("units must be a 2-D uint32 array (n_samples, k) with k >= 1");
            const auto n = static_cast<std::size_t>(units.shape(0));
            const auto k = static_cast<std::uint32_t>(units.shape(1));
            py::array_t<double> mean(static_cast<py::ssize_t>(n));
            py::array_t<std::uint32_t> blobs(static_cast<py::ssize_t>(n));
            double* mp = mean.mutable_data();
            std::uint32_t* bp = blobs.mutable_data();
            {
                py::gil_scoped_release release;
                htmhw::som_dispersion(g, units.data(), n, k, threads, mp, bp);
            }
            return py::make_tuple(mean, blobs);
        },
        SOM_GRID_ARGS, py::arg("units").noconvert(), py::arg("n_threads") = 1,
        "Mean pairwise grid distance and number of connected blobs of each row of active units.");
    m.def(
        "som_smooth",
        [](std::int64_t rows, std::int64_t cols, const std::string& lattice, const std::string& topology,
           const std::string& neighborhood, double radius, double std_coeff, const carray<float>& sums,
           const carray<float>& counts, int n_threads) {
            const SomGrid g = make_grid(rows, cols, lattice, topology);
            const unsigned threads = check_threads(n_threads);
            const std::size_t n = check_matrix(sums, "sums");
            if (n != g.num_units()) throw std::invalid_argument("sums must have one row per unit");
            if (counts.ndim() != 1 || static_cast<std::size_t>(counts.size()) != n)
                throw std::invalid_argument("counts must be a 1-D array with one entry per unit");
            const auto dim = static_cast<std::uint32_t>(sums.shape(1));
            py::array_t<float> num({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(dim)});
            py::array_t<float> den(static_cast<py::ssize_t>(n));
            float* np_ = num.mutable_data();
            float* dp = den.mutable_data();
            const auto h = parse_neighborhood(neighborhood);
            {
                py::gil_scoped_release release;
                htmhw::som_smooth(g, h, radius, std_coeff, sums.data(), counts.data(), dim, threads, np_, dp);
            }
            return py::make_tuple(num, den);
        },
        SOM_GRID_ARGS, py::arg("neighborhood"), py::arg("radius"), py::arg("std_coeff"), py::arg("sums").noconvert(),
        py::arg("counts").noconvert(), py::arg("n_threads") = 1,
        "Neighbourhood smoothing of per-unit sums and counts (the batch step's numerator and denominator).");
    m.def("som_set_simd_level", &htmhw::som_set_simd_level, py::arg("max_level"),
          "Cap the SOM kernels' SIMD level (0 portable, 1 AVX2, 2 AVX-512); returns the level in use.");
    m.def("som_simd_level", &htmhw::som_simd_level);
    m.def("som_prefilter_available", &htmhw::som_prefilter_available,
          "Whether the dense prefilter runs at the current SIMD level (AVX-512BW; docs/som.md).");
    m.def("som_set_cross_path", &htmhw::som_set_cross_path, py::arg("path"),
          "0 automatic, 1 always sparse, 2 always dense (prefilter wherever it can run), 3 dense without the prefilter (tests).");
}
