// Spatial pooler benchmark on the anchor configurations of
// docs/protocols.md. Prints one JSON object.
//   sp_bench --config random|random-boost|mnist [--arith float|fixed] [--threads N]
//            [--steps N] [--warmup N] [--permanence-bits P]
//            [--mnist-images FILE]   (uncompressed IDX3 file; required for mnist)
// Learning is sequential by nature (one thread); --threads applies to the
// inference phase, which runs the pure inference on N threads over the rows
// (same winners for any N: the checksum says so).
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "htmhw/datapath.hpp"

#include "htmhw/rng.hpp"
#include "htmhw/sp_float.hpp"

namespace {

using Clock = std::chrono::steady_clock;

htmhw::SpParams anchor_params(const std::string& config) {
    htmhw::SpParams p;
    if (config == "random" || config == "random-boost") {
        p.input_dimensions = {1024};
        p.column_dimensions = {2048};
        p.potential_radius = 1024;
        p.potential_pct = 0.85;
        p.global_inhibition = true;
        p.local_area_density = 0.02;
        p.num_active_columns_per_inh_area = -1;
        p.stimulus_threshold = 0;
        p.syn_perm_inactive_dec = 0.01;
        p.syn_perm_active_inc = 0.1;
        p.syn_perm_connected = 0.1;
        p.min_pct_overlap_duty_cycle = 0.001;
        p.duty_cycle_period = 1000;
        p.boost_strength = config == "random" ? 0.0 : 3.0;
        p.seed = 1;
        p.wrap_around = true;
    } else if (config == "mnist") {
        p.input_dimensions = {28, 28};
        p.column_dimensions = {28, 28, 8};
        p.potential_radius = 7;
        p.potential_pct = 0.1;
        p.global_inhibition = true;
        p.local_area_density = 0.1;
        p.num_active_columns_per_inh_area = -1;
        p.stimulus_threshold = 6;
        p.syn_perm_inactive_dec = 0.002;
        p.syn_perm_active_inc = 0.14;
        p.syn_perm_connected = 0.5;
        p.min_pct_overlap_duty_cycle = 0.2;
        p.duty_cycle_period = 1402;
        p.boost_strength = 2.0;
        p.seed = 4;
        p.wrap_around = true;
    } else {
        throw std::invalid_argument("--config must be random, random-boost or mnist");
    }
    return p;
}

std::vector<std::uint8_t> random_inputs(std::size_t n, std::uint32_t width, std::uint32_t active, std::uint64_t seed) {
    std::vector<std::uint8_t> out(n * width, 0);
    htmhw::Rng rng(seed);
    std::vector<std::uint32_t> idx(width);
    for (std::size_t r = 0; r < n; ++r) {
        for (std::uint32_t i = 0; i < width; ++i) idx[i] = i;
        for (std::uint32_t i = 0; i < active; ++i) {
            const auto j = i + static_cast<std::uint32_t>(rng.below(width - i));
            std::swap(idx[i], idx[j]);
            out[r * width + idx[i]] = 1;
        }
    }
    return out;
}

std::vector<std::uint8_t> mnist_inputs(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("cannot open " + path);
    unsigned char h[16];
    f.read(reinterpret_cast<char*>(h), 16);
    auto be = [&](int o) { return (std::uint32_t(h[o]) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3]; };
    if (!f || be(0) != 0x803 || be(8) != 28 || be(12) != 28) throw std::runtime_error(path + " is not an IDX3 28x28 file");
    std::vector<std::uint8_t> px(static_cast<std::size_t>(be(4)) * 784);
    f.read(reinterpret_cast<char*>(px.data()), static_cast<std::streamsize>(px.size()));
    if (!f) throw std::runtime_error(path + " is truncated");
    for (auto& v : px) v = v > 30 ? 1 : 0;  // the anchors' binarization
    return px;
}

struct FloatModel {
    htmhw::SpFloat sp;
    using Workspace = htmhw::SpWorkspace;
    explicit FloatModel(const htmhw::SpParams& p, const htmhw::HwConfig&) : sp(htmhw::sp_create(p)) {}
    void learn(const std::uint8_t* x, Workspace& ws, std::vector<std::uint32_t>& w) { htmhw::sp_compute(sp, x, true, ws, w); }
    void infer(const std::uint8_t* x, Workspace& ws, std::uint32_t* o, std::vector<std::uint32_t>& w) const {
        htmhw::sp_infer(sp, x, ws, o, w);
    }
    std::uint32_t columns() const { return sp.num_columns; }
    double synapses() const { return static_cast<double>(sp.pool_inputs.size()); }
    double state_bytes() const {
        return synapses() * (sizeof(float) + sizeof(std::uint32_t)) + static_cast<double>(sp.connected_bits.size()) * 8.0;
    }
};

struct FixedModel {
    htmhw::SpFixed sp;
    using Workspace = htmhw::SpFixedWorkspace;
    FixedModel(const htmhw::SpParams& p, const htmhw::HwConfig& hw) : sp(htmhw::sp_fixed_create(p, hw)) {}
    void learn(const std::uint8_t* x, Workspace& ws, std::vector<std::uint32_t>& w) {
        htmhw::sp_fixed_compute(sp, x, true, ws, w);
    }
    void infer(const std::uint8_t* x, Workspace& ws, std::uint32_t* o, std::vector<std::uint32_t>& w) const {
        htmhw::sp_fixed_infer(sp, x, ws, o, w);
    }
    std::uint32_t columns() const { return sp.num_columns; }
    double synapses() const { return static_cast<double>(sp.perm_offsets.back()); }
    // Permanence words + potential and connected bit matrices (connected twice: column- and input-major).
    double state_bytes() const {
        return synapses() * (sp.hw.permanence_bits <= 8 ? 1.0 : 2.0) +
               static_cast<double>(sp.potential_bits.size() + sp.connected_bits.size() +
                                   sp.connected_by_input.size()) * 8.0;
    }
};

template <class Model>
void run(const std::string& config, const char* arith, const htmhw::SpParams& params, const htmhw::HwConfig& hw,
         const std::vector<std::uint8_t>& inputs, std::uint32_t width, std::size_t steps, std::size_t warmup,
         unsigned threads) {
    const std::size_t n_inputs = inputs.size() / width;
    auto row = [&](std::size_t t) { return inputs.data() + (t % n_inputs) * width; };
    auto t0 = Clock::now();
    Model model(params, hw);
    const double init_s = std::chrono::duration<double>(Clock::now() - t0).count();
    typename Model::Workspace ws;
    std::vector<std::uint32_t> winners;
    std::size_t t = 0;
    for (std::size_t i = 0; i < warmup; ++i) model.learn(row(t++), ws, winners);
    t0 = Clock::now();
    for (std::size_t i = 0; i < steps; ++i) model.learn(row(t++), ws, winners);
    const double learn_s = std::chrono::duration<double>(Clock::now() - t0).count();

    std::vector<std::uint64_t> row_sums(steps, 0);
    const std::size_t first = t;
    auto infer_rows = [&](std::size_t begin, std::size_t end) {
        typename Model::Workspace local;
        std::vector<std::uint32_t> w, overlaps(model.columns());
        for (std::size_t i = begin; i < end; ++i) {
            model.infer(row(first + i), local, overlaps.data(), w);
            std::uint64_t h = 0;
            for (auto c : w) h = h * 31 + c;
            row_sums[i] = h;
        }
    };
    t0 = Clock::now();
    if (threads <= 1) {
        infer_rows(0, steps);
    } else {
        std::vector<std::thread> pool;
        for (unsigned k = 0; k < threads; ++k)
            pool.emplace_back(infer_rows, steps * k / threads, steps * (k + 1) / threads);
        for (auto& th : pool) th.join();
    }
    const double infer_s = std::chrono::duration<double>(Clock::now() - t0).count();
    std::uint64_t checksum = 0;
    for (auto h : row_sums) checksum = checksum * 1000003 + h;
    std::printf(
        "{\"config\": \"%s\", \"arith\": \"%s\", \"threads\": %u, \"permanence_bits\": %u, \"steps\": %zu, "
        "\"warmup\": %zu, \"init_s\": %.4f, \"learn_steps_per_s\": %.1f, \"infer_steps_per_s\": %.1f, "
        "\"potential_synapses\": %.0f, \"state_bytes_per_synapse\": %.3f, \"winners_checksum\": %llu}\n",
        config.c_str(), arith, threads, hw.permanence_bits, steps, warmup, init_s, static_cast<double>(steps) / learn_s,
        static_cast<double>(steps) / infer_s, model.synapses(), model.state_bytes() / model.synapses(),
        static_cast<unsigned long long>(checksum));
}

}  // namespace

int main(int argc, char** argv) {
    std::string config = "random", mnist_path, arith = "float";
    std::size_t steps = 5000, warmup = 500;
    unsigned threads = 1;
    htmhw::HwConfig hw;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        if (a == "--config") config = next();
        else if (a == "--arith") arith = next();
        else if (a == "--threads") threads = static_cast<unsigned>(std::stoul(next()));
        else if (a == "--steps") steps = std::stoul(next());
        else if (a == "--warmup") warmup = std::stoul(next());
        else if (a == "--permanence-bits") hw.permanence_bits = static_cast<std::uint32_t>(std::stoul(next()));
        else if (a == "--mnist-images") mnist_path = next();
        else {
            std::fprintf(stderr, "usage: sp_bench --config random|random-boost|mnist [--arith float|fixed] "
                                 "[--threads N] [--steps N] [--warmup N] [--permanence-bits P] [--mnist-images FILE]\n");
            return 2;
        }
    }
    try {
        if (arith != "float" && arith != "fixed") throw std::invalid_argument("--arith must be float or fixed");
        if (threads < 1 || threads > 256) throw std::invalid_argument("--threads must be in [1, 256]");
        const htmhw::SpParams params = anchor_params(config);
        std::vector<std::uint8_t> inputs;
        std::uint32_t width = 0;
        if (config == "mnist") {
            if (mnist_path.empty()) throw std::invalid_argument("--mnist-images is required for --config mnist");
            inputs = mnist_inputs(mnist_path);
            width = 784;
        } else {
            width = 1024;
            inputs = random_inputs(warmup + 2 * steps, width, 102, 7);
        }
        if (arith == "float")
            run<FloatModel>(config, "float", params, hw, inputs, width, steps, warmup, threads);
        else
            run<FixedModel>(config, "fixed", params, hw, inputs, width, steps, warmup, threads);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sp_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
