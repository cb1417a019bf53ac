#include "htmhw/sp_float.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "htmhw/check.hpp"
#include "htmhw/detmath.hpp"
#include "htmhw/kwta.hpp"
#include "htmhw/rng.hpp"
#include "htmhw/sp_common.hpp"

namespace htmhw {
namespace {

constexpr double kPermanenceEpsilon = 0.000001;  // NuPIC's PERMANENCE_EPSILON
constexpr double kInitConnectedPct = 0.5;        // NuPIC's initConnectedPct

// `allowed` is the range as the NuPIC-facing messages state it (some add words to it).
void check_range(const char* name, double v, double lo, double hi, bool lo_open, const char* allowed) {
    if (!std::isfinite(v) || v > hi || v < lo || (lo_open && v == lo)) fail_field(name, allowed, v);
}

void check_dims(const char* name, const Dims& d, std::uint64_t max_product) {
    if (d.empty() || d.size() > 16) {
        std::ostringstream os;
        os << name << " must have 1 to 16 dimensions; got " << d.size();
        throw std::invalid_argument(os.str());
    }
    std::uint64_t n = 1;
    for (auto v : d) {
        if (v < 1) fail_field(name, "a sequence of positive sizes (each >= 1)", v);
        n *= v;
        if (n > max_product) {
            std::ostringstream os;
            os << name << " has " << n << "+ elements; at most " << max_product << " are supported";
            throw std::invalid_argument(os.str());
        }
    }
}

std::uint32_t stimulus_threshold_int(const SpFloat& sp) {
    return static_cast<std::uint32_t>(std::ceil(sp.params.stimulus_threshold));
}

std::uint32_t max_dim(const Dims& d) { return *std::max_element(d.begin(), d.end()); }

bool uses_global_inhibition(const SpFloat& sp) {
    return sp.params.global_inhibition || sp.inhibition_radius > max_dim(sp.column_dims);
}

void derive_constants(SpFloat& sp) {
    const SpParams& p = sp.params;
    const std::size_t rank = std::max(p.input_dimensions.size(), p.column_dimensions.size());
    sp.input_dims = p.input_dimensions;
    sp.column_dims = p.column_dimensions;
    sp.input_dims.resize(rank, 1);
    sp.column_dims.resize(rank, 1);
    sp.num_inputs = static_cast<std::uint32_t>(dims_product(sp.input_dims));
    sp.num_columns = static_cast<std::uint32_t>(dims_product(sp.column_dims));
    sp.input_words = (sp.num_inputs + 63) / 64;
    sp.syn_perm_below_stimulus_inc = static_cast<float>(p.syn_perm_connected / 10.0);
    sp.syn_perm_trim_threshold = static_cast<float>(p.syn_perm_active_inc / 2.0);
}

void set_windows(SpFloat& sp, std::uint32_t c) {
    const std::uint64_t b = sp.pool_offsets[c], e = sp.pool_offsets[c + 1];
    if (b == e) {
        sp.word_lo[c] = sp.word_hi[c] = 0;
    } else {
        sp.word_lo[c] = sp.pool_inputs[b] / 64;
        sp.word_hi[c] = sp.pool_inputs[e - 1] / 64 + 1;
    }
}

// Connected bits, input-major flags and count of one column from its
// permanences. With Trim, permanences are first trimmed (below the trim
// threshold -> 0) and clipped to [0, 1] in the same pass (NuPIC's
// _updatePermanencesForColumn); without, they are left untouched.
template <bool Trim>
void write_column(SpFloat& sp, std::uint32_t column) {
    const std::uint64_t b = sp.pool_offsets[column], e = sp.pool_offsets[column + 1];
    float* perm = sp.permanences.data() + b;
    const float conn = connected_threshold(sp);
    const float trim = sp.syn_perm_trim_threshold;
    std::uint64_t* row = sp.connected_bits.data() + static_cast<std::size_t>(column) * sp.input_words;
    for (std::uint32_t w = sp.word_lo[column]; w < sp.word_hi[column]; ++w) row[w] = 0;
    const std::uint32_t* inputs = sp.pool_inputs.data() + b;
    const bool scatter = sp.scatter_enabled;
    const std::uint32_t* slots = scatter ? sp.synapse_to_input_major.data() + b : nullptr;
    std::uint8_t* input_major = sp.input_major_connected.data();
    // Pool inputs are ascending, so the bits of one word are accumulated in a
    // register and stored (never re-loaded) on every step: no store-to-load
    // chain through memory, and no data-dependent branches.
    std::uint32_t count = 0;
    std::uint32_t word = 0;
    std::uint64_t acc = 0;
    const std::size_t n = static_cast<std::size_t>(e - b);
    if (Trim) {
        // Clip then trim equals NuPIC's trim then clip because trim <= 0.5;
        // a separate branch-free loop so that it vectorizes.
        for (std::size_t i = 0; i < n; ++i) {
            const float v = std::min(std::max(perm[i], 0.0f), 1.0f);
            perm[i] = v * static_cast<float>(v >= trim);
        }
    }
    for (std::size_t i = 0; i < n; ++i) {
        const float v = perm[i];
        const std::uint32_t connected = v >= conn ? 1u : 0u;
        const std::uint32_t w = inputs[i] >> 6;
        acc = (w == word ? acc : 0) | (static_cast<std::uint64_t>(connected) << (inputs[i] & 63));
        word = w;
        row[w] = acc;
        if (scatter) input_major[slots[i]] = static_cast<std::uint8_t>(connected);
        count += connected;
    }
    sp.connected_counts[column] = count;
}

void refresh_connections(SpFloat& sp, std::uint32_t column) { write_column<false>(sp, column); }

// Input-major copy of the potential synapses (for the scatter overlap) and the
// map from each synapse to its slot there; rebuilt whenever pools change.
void build_input_major(SpFloat& sp) {
    const std::size_t synapses = sp.pool_inputs.size();
    sp.connected_bits.assign(static_cast<std::size_t>(sp.num_columns) * sp.input_words, 0);
    sp.word_lo.assign(sp.num_columns, 0);
    sp.word_hi.assign(sp.num_columns, 0);
    sp.connected_counts.assign(sp.num_columns, 0);
    sp.window_words_total = 0;
    for (std::uint32_t c = 0; c < sp.num_columns; ++c) {
        set_windows(sp, c);
        sp.window_words_total += sp.word_hi[c] - sp.word_lo[c];
    }
    // Keeping the input-major flags current costs a scattered write per
    // updated synapse; pay it only when the scatter overlap wins for inputs with
    // at least 5 % of bits active (local receptive fields, e.g. MNIST), not for
    // global pools where popcount always wins.
    const double per_input = static_cast<double>(synapses) / static_cast<double>(sp.num_inputs);
    const double break_even_active = static_cast<double>(sp.window_words_total) / std::max(per_input, 1e-9);
    sp.scatter_enabled = break_even_active >= 0.05 * static_cast<double>(sp.num_inputs);
    if (!sp.scatter_enabled) {
        sp.input_offsets.clear();
        sp.input_major_columns.clear();
        sp.input_major_connected.clear();
        sp.synapse_to_input_major.clear();
        return;
    }
    sp.input_offsets.assign(static_cast<std::size_t>(sp.num_inputs) + 1, 0);
    for (auto i : sp.pool_inputs) ++sp.input_offsets[i + 1];
    for (std::uint32_t i = 0; i < sp.num_inputs; ++i) sp.input_offsets[i + 1] += sp.input_offsets[i];
    std::vector<std::uint64_t> fill(sp.input_offsets.begin(), sp.input_offsets.end() - 1);
    sp.input_major_columns.assign(synapses, 0);
    sp.input_major_connected.assign(synapses, 0);
    sp.synapse_to_input_major.assign(synapses, 0);
    for (std::uint32_t c = 0; c < sp.num_columns; ++c) {
        for (std::uint64_t k = sp.pool_offsets[c]; k < sp.pool_offsets[c + 1]; ++k) {
            const std::uint64_t slot = fill[sp.pool_inputs[k]]++;
            sp.input_major_columns[slot] = c;
            sp.synapse_to_input_major[k] = static_cast<std::uint32_t>(slot);
        }
    }
}

}  // namespace

float connected_threshold(const SpFloat& sp) {
    return static_cast<float>(sp.params.syn_perm_connected - kPermanenceEpsilon);
}

SpSizeEstimate sp_size_estimate(const SpParams& p) {
    const std::size_t rank = std::max(p.input_dimensions.size(), p.column_dimensions.size());
    Dims in = p.input_dimensions;
    in.resize(rank, 1);
    SpSizeEstimate e;
    e.num_inputs = static_cast<double>(dims_product(in));
    e.num_columns = static_cast<double>(dims_product(p.column_dimensions));
    double field = 1;
    const double radius = std::min(static_cast<double>(p.potential_radius), e.num_inputs);
    for (auto d : in) field *= std::min<double>(d, 2.0 * radius + 1.0);
    e.potential_synapses = e.num_columns * std::floor(field * p.potential_pct + 0.5);
    e.connected_bytes = e.num_columns * std::floor((e.num_inputs + 63) / 64) * 8;
    return e;
}

void validate(const SpParams& p) {
    check_dims("input_dimensions (inputDimensions)", p.input_dimensions, kMaxInputs);
    check_dims("column_dimensions (columnDimensions)", p.column_dimensions, kMaxColumns);
    check_range("potential_pct (potentialPct)", p.potential_pct, 0.0, 1.0, true, "in (0, 1]");
    check_range("stimulus_threshold (stimulusThreshold)", p.stimulus_threshold, 0.0, 1e9, false,
                "a finite number >= 0");
    check_range("syn_perm_inactive_dec (synPermInactiveDec)", p.syn_perm_inactive_dec, 0.0, 1.0, false, "in [0, 1]");
    check_range("syn_perm_active_inc (synPermActiveInc)", p.syn_perm_active_inc, 0.0, 1.0, false, "in [0, 1]");
    check_range("syn_perm_connected (synPermConnected)", p.syn_perm_connected, 0.0, 1.0, true, "in (0, 1]");
    if (p.syn_perm_active_inc / 2.0 >= p.syn_perm_connected)
        fail_field("syn_perm_connected (synPermConnected)",
             "greater than the trim threshold syn_perm_active_inc / 2 (NuPIC's synPermTrimThreshold)",
             p.syn_perm_connected);
    check_range("min_pct_overlap_duty_cycle (minPctOverlapDutyCycle)", p.min_pct_overlap_duty_cycle, 0.0, 1.0,
                false, "in [0, 1]");
    if (p.duty_cycle_period < 1) fail_field("duty_cycle_period (dutyCyclePeriod)", "an integer >= 1", p.duty_cycle_period);
    check_range("boost_strength (boostStrength)", p.boost_strength, 0.0, 1e6, false, "a finite number in [0, 1e6]");
    check_range("num_active_columns_per_inh_area (numActiveColumnsPerInhArea)", p.num_active_columns_per_inh_area,
                -1e12, 1e12, false, "a finite number");
    if (std::isnan(p.local_area_density)) fail_field("local_area_density (localAreaDensity)", "a number", p.local_area_density);
    if (p.local_area_density > 0) {
        check_range("local_area_density (localAreaDensity)", p.local_area_density, 0.0, 0.5, true,
                    "in (0, 0.5] (or <= 0 to use num_active_columns_per_inh_area)");
    } else if (std::floor(p.num_active_columns_per_inh_area) < 1) {
        fail_field("num_active_columns_per_inh_area (numActiveColumnsPerInhArea)",
             ">= 1 when local_area_density <= 0 (one of the two inhibition parameters must be set)",
             p.num_active_columns_per_inh_area);
    }
    const std::uint64_t num_columns = dims_product(p.column_dimensions);
    if (p.global_inhibition && p.local_area_density > 0 &&
        static_cast<std::uint64_t>(p.local_area_density * static_cast<double>(num_columns)) < 1)
        fail_field("local_area_density (localAreaDensity)",
             "large enough that local_area_density * number of columns >= 1 (otherwise no column can win)",
             p.local_area_density);
    // Refuse sizes that would not fit before allocating anything.
    const SpSizeEstimate size = sp_size_estimate(p);
    const double synapses = size.potential_synapses;
    if (synapses > static_cast<double>(kMaxPotentialSynapses)) {
        std::ostringstream os;
        os << "the configuration needs " << synapses << " potential synapses (" << synapses * 4.0 / 1e9
           << " GB of permanences); at most " << kMaxPotentialSynapses
           << " are supported: reduce column_dimensions, potential_radius or potential_pct";
        throw std::invalid_argument(os.str());
    }
    if (size.connected_bytes > 16e9)
        throw std::invalid_argument(
            "column_dimensions x input_dimensions too large: the connected-bit matrix would exceed 16 GB");
}

bool param_is_construction_only(const std::string& name) {
    for (const char* n : {"input_dimensions", "column_dimensions", "potential_radius", "potential_pct", "seed"})
        if (name == n) return true;
    return false;
}

bool param_sets_inhibition(const std::string& name) {
    return name == "local_area_density" || name == "num_active_columns_per_inh_area" || name == "global_inhibition";
}

double inhibition_density(const SpParams& p, std::uint32_t inhibition_radius, std::uint32_t num_columns) {
    if (p.local_area_density > 0) return p.local_area_density;
    double area = 1;
    for (std::size_t i = 0; i < p.column_dimensions.size(); ++i) area *= 2.0 * inhibition_radius + 1.0;
    area = std::min(area, static_cast<double>(num_columns));
    return std::min(std::floor(p.num_active_columns_per_inh_area) / area, 0.5);
}

void check_some_column_can_win(const SpParams& p, std::uint32_t inhibition_radius, const Dims& column_dims,
                               std::uint32_t num_columns) {
    const double density = inhibition_density(p, inhibition_radius, num_columns);
    const bool by_density = p.local_area_density > 0;
    const char* name = by_density ? "local_area_density (localAreaDensity)"
                                  : "num_active_columns_per_inh_area (numActiveColumnsPerInhArea)";
    const double given = by_density ? p.local_area_density : p.num_active_columns_per_inh_area;
    std::ostringstream os;
    if (p.global_inhibition || inhibition_radius > max_dim(column_dims)) {
        if (static_cast<std::uint64_t>(density * static_cast<double>(num_columns)) >= 1) return;
        os << name << " gives the inhibition density " << density << " and int(density * " << num_columns
           << " columns) = 0 winners (global inhibition"
           << (p.global_inhibition ? "" : ", as the inhibition radius exceeds the largest column dimension")
           << "), so no column could ever win; the density must be >= 1 / " << num_columns << "; got " << given;
        throw std::invalid_argument(os.str());
    }
    double largest = 1;  // the largest neighbourhood: an interior (or wrapped) column's
    for (auto d : column_dims) largest *= std::min(2.0 * inhibition_radius + 1.0, static_cast<double>(d));
    if (static_cast<std::uint64_t>(0.5 + density * largest) >= 1) return;
    os << name << " gives the inhibition density " << density << ": with local inhibition at inhibition radius "
       << inhibition_radius << " a column's neighbourhood has at most " << largest
       << " columns and int(0.5 + density * " << largest
       << ") = 0 of them win, so no column could ever win; the density must be >= 0.5 / " << largest << " = "
       << 0.5 / largest;
    if (!by_density) {
        double area = 1;  // inhibition_density's divisor
        for (std::size_t i = 0; i < p.column_dimensions.size(); ++i) area *= 2.0 * inhibition_radius + 1.0;
        area = std::min(area, static_cast<double>(num_columns));
        os << " (num_active_columns_per_inh_area >= " << std::ceil(area / (2.0 * largest)) << ")";
    }
    os << "; got " << given;
    throw std::invalid_argument(os.str());
}

double inhibition_density(const SpFloat& sp) {
    return inhibition_density(sp.params, sp.inhibition_radius, sp.num_columns);
}

void update_column_permanences(SpFloat& sp, std::uint32_t column, bool raise_to_threshold) {
    const std::uint64_t b = sp.pool_offsets[column], e = sp.pool_offsets[column + 1];
    float* perm = sp.permanences.data() + b;
    const std::size_t n = static_cast<std::size_t>(e - b);
    const float conn = connected_threshold(sp);
    if (raise_to_threshold) {
        if (static_cast<double>(n) < sp.params.stimulus_threshold)
            throw std::invalid_argument(
                "stimulus_threshold (stimulusThreshold) is larger than a column's potential pool; "
                "it must be <= the pool size");
        std::size_t num_connected = 0;
        for (std::size_t i = 0; i < n; ++i) num_connected += std::min(std::max(perm[i], 0.0f), 1.0f) > conn;
        if (static_cast<double>(num_connected) < sp.params.stimulus_threshold)
            for (std::size_t i = 0; i < n; ++i) perm[i] = std::min(std::max(perm[i], 0.0f), 1.0f);
        while (static_cast<double>(num_connected) < sp.params.stimulus_threshold) {
            num_connected = 0;
            for (std::size_t i = 0; i < n; ++i) {
                perm[i] += sp.syn_perm_below_stimulus_inc;
                num_connected += perm[i] > conn;
            }
        }
    }
    write_column<true>(sp, column);
}

void update_inhibition_radius(SpFloat& sp) {
    if (sp.params.global_inhibition) {
        sp.inhibition_radius = max_dim(sp.column_dims);
        return;
    }
    sp.inhibition_radius = inhibition_radius_from_connected(sp.connected_bits.data(), sp.input_words, sp.num_columns,
                                                            sp.input_dims, sp.column_dims);
}

SpFloat sp_create(const SpParams& params) {
    validate(params);
    SpFloat sp;
    sp.params = params;
    derive_constants(sp);
    const std::uint32_t radius = std::min(params.potential_radius, sp.num_inputs);
    const std::uint32_t nc = sp.num_columns;

    sp.pool_offsets.assign(nc + 1, 0);
    std::vector<std::uint32_t> candidates;
    std::vector<std::uint64_t> chosen(sp.input_words, 0);
    for (std::uint32_t c = 0; c < nc; ++c) {
        Rng rng(params.seed, static_cast<std::uint64_t>(c) + 1);
        // The pool comes back as a bit mask: ascending order without a sort.
        const std::size_t num_potential = sample_potential_pool(
            c, sp.column_dims, sp.input_dims, radius, params.potential_pct, params.wrap_around, rng, candidates,
            chosen.data());
        if (c == 0) {  // pools are about this size everywhere; avoids regrowing 100 MB arrays
            sp.pool_inputs.reserve(num_potential * nc + num_potential);
            sp.permanences.reserve(num_potential * nc + num_potential);
        }
        for (std::uint32_t w = 0; w < sp.input_words; ++w) {
            for (std::uint64_t bits = chosen[w]; bits; bits &= bits - 1)
                sp.pool_inputs.push_back(w * 64 + static_cast<std::uint32_t>(__builtin_ctzll(bits)));
            chosen[w] = 0;
        }
        for (std::size_t i = 0; i < num_potential; ++i) {
            double p;
            if (rng.uniform01() <= kInitConnectedPct)
                p = params.syn_perm_connected + (1.0 - params.syn_perm_connected) * rng.uniform01();
            else
                p = params.syn_perm_connected * rng.uniform01();
            p = std::floor(p * 100000.0) / 100000.0;  // NuPIC keeps 5 decimals
            sp.permanences.push_back(static_cast<float>(p));
        }
        sp.pool_offsets[c + 1] = sp.pool_inputs.size();
    }
    build_input_major(sp);
    for (std::uint32_t c = 0; c < nc; ++c) update_column_permanences(sp, c, true);
    sp.overlap_duty_cycles.assign(nc, 0.0f);
    sp.active_duty_cycles.assign(nc, 0.0f);
    sp.min_overlap_duty_cycles.assign(nc, 0.0f);
    sp.boost_factors.assign(nc, 1.0f);
    sp.overlaps.assign(nc, 0);
    sp.boosted_overlaps.assign(nc, 0.0f);
    update_inhibition_radius(sp);
    check_some_column_can_win(sp.params, sp.inhibition_radius, sp.column_dims, sp.num_columns);
    return sp;
}

void pack_input(const std::uint8_t* input, std::uint32_t num_inputs, std::vector<std::uint64_t>& bits,
                std::vector<std::uint32_t>& active) {
    bits.assign((num_inputs + 63) / 64, 0);
    active.clear();
    for (std::uint32_t i = 0; i < num_inputs; ++i) {
        if (input[i]) {
            bits[i >> 6] |= 1ULL << (i & 63);
            active.push_back(i);
        }
    }
}

void pack_input(const std::uint8_t* input, std::uint32_t num_inputs, SpWorkspace& ws) {
    pack_input(input, num_inputs, ws.input_bits, ws.active_inputs);
}

void compute_overlaps(const SpFloat& sp, const std::uint64_t* input_bits,
                      const std::vector<std::uint32_t>& active_inputs, std::uint32_t* out) {
    // Two exact ways to the same counts: AND+popcount over every column's word
    // window, or one counter add per potential synapse of each active input.
    // Take the one with less work for this input.
    std::uint64_t scatter_work = 0;
    if (sp.scatter_enabled)
        for (auto i : active_inputs) scatter_work += sp.input_offsets[i + 1] - sp.input_offsets[i];
    if (sp.scatter_enabled && scatter_work < sp.window_words_total) {
        std::fill(out, out + sp.num_columns, 0u);
        const std::uint32_t* cols = sp.input_major_columns.data();
        const std::uint8_t* conn = sp.input_major_connected.data();
        for (auto i : active_inputs)
            for (std::uint64_t j = sp.input_offsets[i]; j < sp.input_offsets[i + 1]; ++j) out[cols[j]] += conn[j];
        return;
    }
    popcount_overlaps(sp.connected_bits.data(), sp.input_words, sp.word_lo.data(), sp.word_hi.data(), sp.num_columns,
                      input_bits, out);
}

namespace {

void inhibit(const SpFloat& sp, const float* scores, const std::uint32_t* int_scores, SpWorkspace& ws,
             std::vector<std::uint32_t>& winners) {
    const double density = inhibition_density(sp);
    if (uses_global_inhibition(sp)) {
        const auto k = static_cast<std::size_t>(density * static_cast<double>(sp.num_columns));
        if (int_scores)
            kwta_global_counts(int_scores, sp.num_columns, k, stimulus_threshold_int(sp), winners, ws.histogram);
        else
            kwta_global(scores, sp.num_columns, k, static_cast<float>(sp.params.stimulus_threshold), winners,
                        ws.scratch);
        return;
    }
    std::vector<float> converted;
    if (!scores) {
        converted.assign(int_scores, int_scores + sp.num_columns);
        scores = converted.data();
    }
    kwta_local(scores, sp.column_dims, sp.inhibition_radius, sp.params.wrap_around, density,
               static_cast<float>(sp.params.stimulus_threshold), winners);
}

__attribute__((noinline)) void update_duty_cycles(SpFloat& sp, const std::vector<std::uint8_t>& active_mask) {
    const std::uint64_t period = std::min<std::uint64_t>(sp.params.duty_cycle_period, sp.iteration_num);
    const float pm1 = static_cast<float>(static_cast<double>(period) - 1.0);
    const float pf = static_cast<float>(period);
    for (std::uint32_t c = 0; c < sp.num_columns; ++c) {
        const float overlapped = sp.overlaps[c] > 0 ? 1.0f : 0.0f;
        const float active = static_cast<float>(active_mask[c]);
        sp.overlap_duty_cycles[c] = (sp.overlap_duty_cycles[c] * pm1 + overlapped) / pf;
        sp.active_duty_cycles[c] = (sp.active_duty_cycles[c] * pm1 + active) / pf;
    }
}

__attribute__((noinline)) void adapt_synapses(SpFloat& sp, const std::vector<std::uint32_t>& winners, SpWorkspace& ws) {
    ws.deltas.assign(sp.num_inputs, -static_cast<float>(sp.params.syn_perm_inactive_dec));
    const float inc = static_cast<float>(sp.params.syn_perm_active_inc);
    for (auto i : ws.active_inputs) ws.deltas[i] = inc;
    for (auto c : winners) {
        const std::uint64_t b = sp.pool_offsets[c], e = sp.pool_offsets[c + 1];
        float* perm = sp.permanences.data() + b;
        const std::uint32_t* inputs = sp.pool_inputs.data() + b;
        for (std::uint64_t k = 0; k < e - b; ++k) perm[k] += ws.deltas[inputs[k]];
        update_column_permanences(sp, c, true);
    }
}

__attribute__((noinline)) void bump_up_weak_columns(SpFloat& sp) {
    for (std::uint32_t c = 0; c < sp.num_columns; ++c) {
        if (!(sp.overlap_duty_cycles[c] < sp.min_overlap_duty_cycles[c])) continue;
        float* perm = sp.permanences.data() + sp.pool_offsets[c];
        const std::uint64_t n = sp.pool_offsets[c + 1] - sp.pool_offsets[c];
        for (std::uint64_t k = 0; k < n; ++k) perm[k] += sp.syn_perm_below_stimulus_inc;
        update_column_permanences(sp, c, false);
    }
}

__attribute__((noinline)) void update_boost_factors(SpFloat& sp, SpWorkspace& ws) {
    const float strength = static_cast<float>(sp.params.boost_strength);
    if (strength == 0.0f) {
        // exp(0 * x) == 1 exactly for every finite x; skip the work.
        std::fill(sp.boost_factors.begin(), sp.boost_factors.end(), 1.0f);
        return;
    }
    if (sp.params.global_inhibition) {
        const float target = static_cast<float>(inhibition_density(sp));
        float* __restrict boost = sp.boost_factors.data();
        const float* __restrict duty = sp.active_duty_cycles.data();
        for (std::uint32_t c = 0; c < sp.num_columns; ++c) boost[c] = det_expf((target - duty[c]) * strength);
        return;
    }
    std::vector<float> target(sp.num_columns);
    for (std::uint32_t c = 0; c < sp.num_columns; ++c) {
        neighborhood(c, sp.inhibition_radius, sp.column_dims, sp.params.wrap_around, ws.neighborhood);
        double sum = 0;
        for (auto j : ws.neighborhood) sum += sp.active_duty_cycles[j];
        target[c] = static_cast<float>(sum / static_cast<double>(ws.neighborhood.size()));
    }
    for (std::uint32_t c = 0; c < sp.num_columns; ++c)
        sp.boost_factors[c] = det_expf((target[c] - sp.active_duty_cycles[c]) * strength);
}

void update_min_duty_cycles(SpFloat& sp, SpWorkspace& ws) {
    const float pct = static_cast<float>(sp.params.min_pct_overlap_duty_cycle);
    if (sp.params.global_inhibition || sp.inhibition_radius > sp.num_columns) {
        const float mx = *std::max_element(sp.overlap_duty_cycles.begin(), sp.overlap_duty_cycles.end());
        std::fill(sp.min_overlap_duty_cycles.begin(), sp.min_overlap_duty_cycles.end(), pct * mx);
        return;
    }
    for (std::uint32_t c = 0; c < sp.num_columns; ++c) {
        neighborhood(c, sp.inhibition_radius, sp.column_dims, sp.params.wrap_around, ws.neighborhood);
        float mx = 0.0f;
        for (auto j : ws.neighborhood) mx = std::max(mx, sp.overlap_duty_cycles[j]);
        sp.min_overlap_duty_cycles[c] = pct * mx;
    }
}

}  // namespace

void sp_compute(SpFloat& sp, const std::uint8_t* input, bool learn, SpWorkspace& ws,
                std::vector<std::uint32_t>& winners) {
    ++sp.iteration_num;
    if (learn) ++sp.iteration_learn_num;
    pack_input(input, sp.num_inputs, ws);
    compute_overlaps(sp, ws.input_bits.data(), ws.active_inputs, sp.overlaps.data());
    const bool apply_boost = learn || sp.params.boost_in_inference;
    bool unboosted = true;
    if (apply_boost) {
        unboosted = std::all_of(sp.boost_factors.begin(), sp.boost_factors.end(), [](float b) { return b == 1.0f; });
        for (std::uint32_t c = 0; c < sp.num_columns; ++c)
            sp.boosted_overlaps[c] = sp.boost_factors[c] * static_cast<float>(sp.overlaps[c]);
    } else {
        for (std::uint32_t c = 0; c < sp.num_columns; ++c) sp.boosted_overlaps[c] = static_cast<float>(sp.overlaps[c]);
    }
    // With unit boost factors the boosted scores equal the integer overlaps, so
    // the counting select gives the same winners as the float select.
    if (unboosted)
        inhibit(sp, nullptr, sp.overlaps.data(), ws, winners);
    else
        inhibit(sp, sp.boosted_overlaps.data(), nullptr, ws, winners);
    if (!learn) return;
    adapt_synapses(sp, winners, ws);
    ws.active_mask.assign(sp.num_columns, 0);
    for (auto c : winners) ws.active_mask[c] = 1;
    update_duty_cycles(sp, ws.active_mask);
    bump_up_weak_columns(sp);
    update_boost_factors(sp, ws);
    if (sp.iteration_num % sp.update_period == 0) {
        update_inhibition_radius(sp);
        update_min_duty_cycles(sp, ws);
    }
}

void sp_infer(const SpFloat& sp, const std::uint8_t* input, SpWorkspace& ws, std::uint32_t* overlaps_out,
              std::vector<std::uint32_t>& winners) {
    pack_input(input, sp.num_inputs, ws);
    compute_overlaps(sp, ws.input_bits.data(), ws.active_inputs, overlaps_out);
    if (sp.params.boost_in_inference &&
        !std::all_of(sp.boost_factors.begin(), sp.boost_factors.end(), [](float b) { return b == 1.0f; })) {
        ws.scores.resize(sp.num_columns);
        for (std::uint32_t c = 0; c < sp.num_columns; ++c)
            ws.scores[c] = sp.boost_factors[c] * static_cast<float>(overlaps_out[c]);
        inhibit(sp, ws.scores.data(), nullptr, ws, winners);
        return;
    }
    inhibit(sp, nullptr, overlaps_out, ws, winners);
}

void set_potential_pool(SpFloat& sp, std::uint32_t column, const std::vector<std::uint32_t>& inputs) {
    if (column >= sp.num_columns) throw std::invalid_argument("column index out of range");
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (inputs[i] >= sp.num_inputs || (i > 0 && inputs[i] <= inputs[i - 1]))
            throw std::invalid_argument("potential pool must be ascending unique input indices < num_inputs");
    }
    if (static_cast<double>(inputs.size()) < sp.params.stimulus_threshold)
        throw std::invalid_argument(
            "potential pool is smaller than stimulus_threshold (stimulusThreshold); the column could never win");
    const std::uint64_t b = sp.pool_offsets[column], e = sp.pool_offsets[column + 1];
    std::vector<float> perm(inputs.size(), 0.0f);
    std::uint64_t k = b;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        while (k < e && sp.pool_inputs[k] < inputs[i]) ++k;
        if (k < e && sp.pool_inputs[k] == inputs[i]) perm[i] = sp.permanences[k];
    }
    const auto old_n = static_cast<std::ptrdiff_t>(e - b);
    const auto new_n = static_cast<std::ptrdiff_t>(inputs.size());
    sp.pool_inputs.erase(sp.pool_inputs.begin() + static_cast<std::ptrdiff_t>(b),
                         sp.pool_inputs.begin() + static_cast<std::ptrdiff_t>(b) + old_n);
    sp.pool_inputs.insert(sp.pool_inputs.begin() + static_cast<std::ptrdiff_t>(b), inputs.begin(), inputs.end());
    sp.permanences.erase(sp.permanences.begin() + static_cast<std::ptrdiff_t>(b),
                         sp.permanences.begin() + static_cast<std::ptrdiff_t>(b) + old_n);
    sp.permanences.insert(sp.permanences.begin() + static_cast<std::ptrdiff_t>(b), perm.begin(), perm.end());
    for (std::uint32_t c = column + 1; c <= sp.num_columns; ++c)
        sp.pool_offsets[c] = static_cast<std::uint64_t>(static_cast<std::int64_t>(sp.pool_offsets[c]) + new_n - old_n);
    // Slots in the input-major view move for every column: rebuild it all.
    build_input_major(sp);
    for (std::uint32_t c = 0; c < sp.num_columns; ++c) refresh_connections(sp, c);
    update_column_permanences(sp, column, false);
}

void sp_rebuild_and_check(SpFloat& sp) {
    validate(sp.params);
    derive_constants(sp);
    const std::uint32_t nc = sp.num_columns;
    auto bad = [](const std::string& what) { throw std::invalid_argument("invalid saved state: " + what); };
    if (sp.pool_offsets.size() != static_cast<std::size_t>(nc) + 1 || sp.pool_offsets[0] != 0)
        bad("pool_offsets must have num_columns + 1 entries starting at 0");
    for (std::uint32_t c = 0; c < nc; ++c)
        if (sp.pool_offsets[c + 1] < sp.pool_offsets[c]) bad("pool_offsets must be non-decreasing");
    if (sp.pool_offsets[nc] != sp.pool_inputs.size() || sp.permanences.size() != sp.pool_inputs.size())
        bad("pool_inputs and permanences must have pool_offsets[-1] entries");
    for (std::uint32_t c = 0; c < nc; ++c)
        for (std::uint64_t k = sp.pool_offsets[c]; k < sp.pool_offsets[c + 1]; ++k) {
            if (sp.pool_inputs[k] >= sp.num_inputs) bad("pool_inputs holds an index >= num_inputs");
            if (k > sp.pool_offsets[c] && sp.pool_inputs[k] <= sp.pool_inputs[k - 1])
                bad("pool_inputs must be ascending and unique within a column");
        }
    for (float v : sp.permanences)
        if (!(v >= 0.0f && v <= 1.0f)) bad("permanences must be in [0, 1]");
    for (std::uint32_t c = 0; c < nc; ++c)
        if (static_cast<double>(sp.pool_offsets[c + 1] - sp.pool_offsets[c]) < sp.params.stimulus_threshold)
            throw std::invalid_argument(
                "stimulus_threshold (stimulusThreshold) must be <= the smallest potential pool (" +
                std::to_string(sp.pool_offsets[c + 1] - sp.pool_offsets[c]) + " inputs in column " +
                std::to_string(c) + ")");
    for (const auto* vec : {&sp.overlap_duty_cycles, &sp.active_duty_cycles, &sp.min_overlap_duty_cycles}) {
        if (vec->size() != nc) bad("duty cycle arrays must have num_columns entries");
        for (float v : *vec)
            if (!(v >= 0.0f && v <= 1.0f)) bad("duty cycles must be in [0, 1]");
    }
    if (sp.boost_factors.size() != nc) bad("boost_factors must have num_columns entries");
    for (float v : sp.boost_factors)
        if (!(std::isfinite(v) && v >= 0.0f)) bad("boost factors must be finite and >= 0");
    if (sp.iteration_learn_num > sp.iteration_num) bad("iteration_learn_num exceeds iteration_num");
    build_input_major(sp);
    for (std::uint32_t c = 0; c < nc; ++c) refresh_connections(sp, c);
    if (sp.overlaps.size() != nc) sp.overlaps.assign(nc, 0);
    if (sp.boosted_overlaps.size() != nc) sp.boosted_overlaps.assign(nc, 0.0f);
}

SpFloat sp_with_params(const SpFloat& sp, const SpParams& params, bool inhibition_changed) {
    return pooler_with_params(sp, params, inhibition_changed, sp_rebuild_and_check);
}

}  // namespace htmhw
