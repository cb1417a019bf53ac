// SOM benchmark on the anchor configuration of docs/protocols.md: a 32x32
// map trained in batch mode on the 10,000 MNIST test digits (784-d, pixels/255),
// 10 epochs, radius 16 -> 1 (linear, Gaussian, sigma = 0.5 radius, as somoclu).
// Prints one JSON object.
//   som_bench --mnist-images FILE  (uncompressed IDX3 file)
//             [--threads N] [--epochs N] [--rows R] [--cols C] [--lattice rect|hex]
//             [--topology planar|toroidal] [--radius-start R0] [--radius-end RN]
//             [--init pca|sample] [--k K] [--seed S] [--simd 0|1|2]
//   som_bench --dense D [--samples N] ...   (instead of MNIST: N (10,000) unit-norm rows of
//             a 20-cluster Gaussian mixture in D dimensions, drawn with htmhw::Rng(seed, 7))
// samples/s counts samples x epochs per second of training (initialization
// included); encode samples/s is the top-K encoder on the same digits.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "htmhw/rng.hpp"
#include "htmhw/som.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::vector<float> mnist_pixels(const std::string& path, std::size_t& n) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("cannot open " + path);
    unsigned char h[16];
    f.read(reinterpret_cast<char*>(h), 16);
    auto be = [&](int o) { return (std::uint32_t(h[o]) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3]; };
    if (!f || be(0) != 0x803 || be(8) != 28 || be(12) != 28) throw std::runtime_error(path + " is not an IDX3 28x28 file");
    n = be(4);
    std::vector<unsigned char> px(n * 784);
    f.read(reinterpret_cast<char*>(px.data()), static_cast<std::streamsize>(px.size()));
    if (!f) throw std::runtime_error(path + " is truncated");
    std::vector<float> x(px.size());
    for (std::size_t i = 0; i < px.size(); ++i) x[i] = static_cast<float>(px[i]) / 255.0f;
    return x;
}

// Dense embeddings: 20 cluster centres with N(0, 1) coordinates, each row a centre
// plus 0.6 N(0, 1) noise, scaled to unit length (normal12: Irwin-Hall, docs/rng.md).
std::vector<float> gaussian_mixture(std::size_t n, std::size_t dim, std::uint64_t seed) {
    htmhw::Rng rng(seed, 7);
    std::vector<double> centres(20 * dim);
    for (auto& c : centres) c = rng.normal12();
    std::vector<float> x(n * dim);
    for (std::size_t s = 0; s < n; ++s) {
        const double* c = centres.data() + rng.below(20) * dim;
        double n2 = 0.0;
        std::vector<double> row(dim);
        for (std::size_t d = 0; d < dim; ++d) {
            row[d] = c[d] + 0.6 * rng.normal12();
            n2 += row[d] * row[d];
        }
        for (std::size_t d = 0; d < dim; ++d) x[s * dim + d] = static_cast<float>(row[d] / std::sqrt(n2));
    }
    return x;
}

}  // namespace

int main(int argc, char** argv) {
    std::string path, lattice = "rect", topology = "planar", init = "pca";
    unsigned threads = 2, epochs = 10, rows = 32, cols = 32, k = 16;
    double r0 = 16.0, rn = 1.0;
    unsigned long long seed = 1;
    int simd = -1;
    std::size_t dense_dim = 0, samples = 10000;
    unsigned encode_repeats = 1;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        if (a == "--mnist-images") path = next();
        else if (a == "--threads") threads = static_cast<unsigned>(std::stoul(next()));
        else if (a == "--epochs") epochs = static_cast<unsigned>(std::stoul(next()));
        else if (a == "--rows") rows = static_cast<unsigned>(std::stoul(next()));
        else if (a == "--cols") cols = static_cast<unsigned>(std::stoul(next()));
        else if (a == "--lattice") lattice = next();
        else if (a == "--topology") topology = next();
        else if (a == "--radius-start") r0 = std::stod(next());
        else if (a == "--radius-end") rn = std::stod(next());
        else if (a == "--init") init = next();
        else if (a == "--k") k = static_cast<unsigned>(std::stoul(next()));
        else if (a == "--seed") seed = std::stoull(next());
        else if (a == "--simd") simd = std::stoi(next());
        else if (a == "--dense") dense_dim = std::stoul(next());
        else if (a == "--samples") samples = std::stoul(next());
        else if (a == "--encode-repeats") encode_repeats = static_cast<unsigned>(std::stoul(next()));
        else {
            std::fprintf(stderr,
                         "usage: som_bench --mnist-images FILE [--threads N] [--epochs N] [--rows R] [--cols C] "
                         "[--lattice rect|hex] [--topology planar|toroidal] [--radius-start R0] [--radius-end RN] "
                         "[--init pca|sample] [--k K] [--seed S] [--simd 0|1|2]\n"
                         "       som_bench --dense D [--samples N] [same options]  [--encode-repeats R]\n");
            return 2;
        }
    }
    try {
        if (path.empty() == (dense_dim == 0)) throw std::invalid_argument("give one of --mnist-images and --dense");
        if (simd >= 0) htmhw::som_set_simd_level(simd);
        std::size_t n = samples;
        const std::vector<float> x = dense_dim ? gaussian_mixture(n, dense_dim, seed) : mnist_pixels(path, n);
        const std::uint32_t dim = dense_dim ? static_cast<std::uint32_t>(dense_dim) : 784;
        htmhw::SomGrid g;
        g.rows = rows;
        g.cols = cols;
        g.lattice = lattice == "hex" ? htmhw::SomLattice::hex : htmhw::SomLattice::rect;
        g.topology = topology == "toroidal" ? htmhw::SomTopology::toroidal : htmhw::SomTopology::planar;
        htmhw::SomTrainParams p;
        p.n_epochs = epochs;
        p.radius_start = r0;
        p.radius_end = rn;
        p.std_coeff = 0.5;
        p.seed = seed;

        auto t0 = Clock::now();
        htmhw::SomMap m =
            htmhw::som_init(g, x.data(), n, dim, init == "sample" ? htmhw::SomInit::sample : htmhw::SomInit::pca, seed,
                            threads);
        const double init_s = seconds_since(t0);
        t0 = Clock::now();
        htmhw::som_train_batch(m, x.data(), n, p, threads);
        const double train_s = seconds_since(t0);

        std::vector<std::uint32_t> units(n * k), top2(n * 2);
        std::vector<float> dist(n * k), d2(n * 2);
        // The fastest of encode_repeats runs (the profile of the encoder alone: --epochs 1 --encode-repeats 20).
        double encode_s = 1e300;
        for (unsigned r = 0; r < std::max(1u, encode_repeats); ++r) {
            t0 = Clock::now();
            htmhw::som_topk(m, x.data(), n, k, threads, units.data(), dist.data());
            encode_s = std::min(encode_s, seconds_since(t0));
        }
        htmhw::som_topk(m, x.data(), n, 2, threads, top2.data(), d2.data());
        double qe = 0.0;
        std::size_t errors = 0;
        for (std::size_t s = 0; s < n; ++s) {
            qe += d2[2 * s];
            errors += !htmhw::som_adjacent(g, top2[2 * s], top2[2 * s + 1]);
        }
        std::uint64_t checksum = 1469598103934665603ULL;  // FNV-1a over the trained weights' bits
        for (float w : m.weights) {
            std::uint32_t b;
            std::memcpy(&b, &w, 4);
            checksum = (checksum ^ b) * 1099511628211ULL;
        }
        std::printf(
            "{\"config\": \"%ux%u %s %s, %zu %s x %u, batch, %u epochs, radius %.3g -> %.3g linear, "
            "gaussian sigma = 0.5 radius, init %s\", \"threads\": %u, \"simd_level\": %d, \"init_s\": %.4f, "
            "\"train_s\": %.4f, \"train_samples_per_s\": %.1f, \"encode_k\": %u, \"encode_s\": %.4f, "
            "\"encode_samples_per_s\": %.1f, \"quantization_error\": %.4f, \"topographic_error\": %.4f, "
            "\"weights_fnv1a\": \"%016llx\"}\n",
            rows, cols, lattice.c_str(), topology.c_str(), n, dense_dim ? "unit-norm mixture rows" : "MNIST digits", dim, epochs, r0, rn, init.c_str(), threads,
            htmhw::som_simd_level(), init_s, train_s, static_cast<double>(n) * epochs / (init_s + train_s), k,
            encode_s, static_cast<double>(n) / encode_s, qe / static_cast<double>(n),
            static_cast<double>(errors) / static_cast<double>(n), static_cast<unsigned long long>(checksum));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "som_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
