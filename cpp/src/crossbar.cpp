#include "htmhw/crossbar.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <stdexcept>
#include <string>

#include "htmhw/detmath.hpp"
#include "htmhw/hdl_cycles.hpp"
#include "htmhw/rng.hpp"

namespace htmhw {
namespace {

void require(bool ok, const char* field, const std::string& range, double value) {
    if (!ok) throw std::invalid_argument(std::string(field) + " must be " + range + "; got " + std::to_string(value));
}

// The range text of a bound as the messages write it: integers as such, powers of ten
// beyond them as 1eN (1e12, 1e-3).
std::string bound_text(double x) {
    if (x == std::floor(x) && std::fabs(x) < 1e6) return std::to_string(static_cast<long long>(x));
    const int e = static_cast<int>(std::lround(std::log10(x)));
    if (std::pow(10.0, e) == x) return "1e" + std::to_string(e);
    return std::to_string(x);
}

// value in [lo, hi] (or (lo, hi] with lo_open), finite; the message states the range tested.
void require_in(double value, const char* field, double lo, double hi, bool lo_open = false) {
    const bool ok = std::isfinite(value) && (lo_open ? value > lo : value >= lo) && value <= hi;
    require(ok, field, std::string("in ") + (lo_open ? "(" : "[") + bound_text(lo) + ", " + bound_text(hi) + "]",
            value);
}

void require_positive_up_to(double value, const char* field, double hi) { require_in(value, field, 0, hi, true); }

bool finite_positive(double x) { return std::isfinite(x) && x > 0; }
bool finite_nonnegative(double x) { return std::isfinite(x) && x >= 0; }

// MNSIM's empirical wire term, in ns, from the array size in KB.
double mnsim_wire_latency_ns(const CrossbarArray& a) {
    const double size_kb = static_cast<double>(a.rows) * a.columns / 1024.0 / 8.0;
    return 0.001 * (0.0002 * size_kb * size_kb + 5e-6 * size_kb + 4e-14);
}

}  // namespace

void validate(const CrossbarDevice& d) {
    // Upper (and for resistances lower) bounds far outside any device keep every energy and
    // latency finite in double precision (found by fuzzing: a 1e154 V read overflowed to inf).
    require_in(d.r_on_ohm, "r_on_ohm", 1e-3, 1e15);
    require(finite_positive(d.r_off_ohm) && d.r_off_ohm > d.r_on_ohm && d.r_off_ohm <= 1e15, "r_off_ohm",
            "> r_on_ohm and <= 1e15", d.r_off_ohm);
    require_in(d.levels, "levels", 2, 65536);
    require_in(d.v_read0_v, "v_read0_v", 0, 1e3);
    require_positive_up_to(d.v_read1_v, "v_read1_v", 1e3);
    require_positive_up_to(d.v_write_v, "v_write_v", 1e3);
    require_positive_up_to(d.pulse_width_ns, "pulse_width_ns", 1e12);
    require_positive_up_to(d.read_latency_ns, "read_latency_ns", 1e12);
    require_positive_up_to(d.write_latency_ns, "write_latency_ns", 1e12);
    require_positive_up_to(d.cell_area_um2, "cell_area_um2", 1e12);
    require_in(d.nonlinearity_ltp, "nonlinearity_ltp", 0, 20);
    require_in(d.nonlinearity_ltd, "nonlinearity_ltd", 0, 20);
    require_in(d.d2d_sigma, "d2d_sigma", 0, 1);
    require_in(d.c2c_sigma, "c2c_sigma", 0, 1);
    require_in(d.stuck_on_rate, "stuck_on_rate", 0, 1);
    require(finite_nonnegative(d.stuck_off_rate) && d.stuck_off_rate <= 1 - d.stuck_on_rate, "stuck_off_rate",
            "in [0, 1 - stuck_on_rate]", d.stuck_off_rate);
}

void validate(const CrossbarArray& a) {
    require_in(a.rows, "rows", 1, 65536);
    require_in(a.columns, "columns", 1, 65536);
    require_in(a.driver_area_um2_per_row, "driver_area_um2_per_row", 0, 1e12);
}

void validate(const CrossbarPeriphery& p) {
    require_in(p.adc_bits, "adc_bits", 1, 16);
    require_positive_up_to(p.adc_sample_rate_gsps, "adc_sample_rate_gsps", 1e6);
    require_in(p.adc_power_mw, "adc_power_mw", 0, 1e9);
    require_in(p.adc_area_um2, "adc_area_um2", 0, 1e12);
    require_in(p.sense_amp_energy_pj, "sense_amp_energy_pj", 0, 1e12);
    require_in(p.sense_amp_area_um2, "sense_amp_area_um2", 0, 1e12);
    require_in(p.digital_energy_pj_per_cycle, "digital_energy_pj_per_cycle", 0, 1e12);
    require_in(p.digital_area_um2, "digital_area_um2", 0, 1e15);
    require_positive_up_to(p.clock_mhz, "clock_mhz", 1e6);
}

ArrayFigures mnsim_array_figures(const CrossbarDevice& d, const CrossbarArray& a, const CrossbarPeriphery& p,
                                 double on_fraction, double input_density, std::uint32_t rows_written) {
    validate(d);
    validate(a);
    validate(p);
    require_in(on_fraction, "on_fraction", 0, 1);
    require_in(input_density, "input_density", 0, 1);
    require(rows_written <= a.rows, "rows_written", "in [0, rows]", rows_written);
    ArrayFigures f;
    const double cells = static_cast<double>(a.rows) * a.columns;
    f.effective_resistance_ohm = 1.0 / ((1.0 - on_fraction) / d.r_off_ohm + on_fraction / d.r_on_ohm);
    f.effective_read_voltage_v =
        std::sqrt((1.0 - input_density) * d.v_read0_v * d.v_read0_v + input_density * d.v_read1_v * d.v_read1_v);
    f.cell_read_power_w = f.effective_read_voltage_v * f.effective_read_voltage_v / f.effective_resistance_ohm;
    f.read_power_mw = cells * f.cell_read_power_w * 1e3;
    f.wire_latency_ns = mnsim_wire_latency_ns(a);
    f.read_latency_ns = d.read_latency_ns + f.wire_latency_ns;
    f.read_energy_pj = f.read_power_mw * f.read_latency_ns;  // mW x ns = pJ
    f.write_latency_ns = d.write_latency_ns * rows_written;
    f.area_um2 = cells * d.cell_area_um2 + a.driver_area_um2_per_row * a.rows;
    f.adc_latency_ns = (p.adc_bits + 2) / p.adc_sample_rate_gsps;  // SAR: bits + 2 conversion cycles
    f.adc_energy_pj = p.adc_power_mw * f.adc_latency_ns;
    return f;
}

std::uint32_t permanence_level(std::uint32_t p, std::uint32_t perm_max, std::uint32_t levels) {
    if (perm_max == 0) throw std::invalid_argument("perm_max must be >= 1");
    if (p > perm_max) throw std::invalid_argument("permanence must be in [0, perm_max]; got " + std::to_string(p));
    const std::uint64_t num = static_cast<std::uint64_t>(p) * (levels - 1);
    return static_cast<std::uint32_t>((2 * num + perm_max) / (2 * static_cast<std::uint64_t>(perm_max)));
}

namespace {

bool curve_is_linear(double nonlinearity) { return nonlinearity < kLinearBelowNonlinearity; }

float curve_fraction(float x, float nonlinearity) {
    if (curve_is_linear(nonlinearity)) return x;
    return (1.0f - det_expf(-nonlinearity * x)) / (1.0f - det_expf(-nonlinearity));
}

}  // namespace

float level_fraction(std::uint32_t level, std::uint32_t levels, float nonlinearity) {
    return curve_fraction(static_cast<float>(level) / static_cast<float>(levels - 1), nonlinearity);
}

double level_conductance_s(const CrossbarDevice& d, std::uint32_t level) {
    const double g_off = 1.0 / d.r_off_ohm, g_on = 1.0 / d.r_on_ohm;
    if (curve_is_linear(d.nonlinearity_ltp))  // exactly the linear formula of the MNSIM-anchored tests
        return g_off + (g_on - g_off) * static_cast<double>(level) / static_cast<double>(d.levels - 1);
    // Cells are programmed from reset along the potentiation curve.
    return g_off + (g_on - g_off) *
                       static_cast<double>(level_fraction(level, d.levels, static_cast<float>(d.nonlinearity_ltp)));
}

CrossbarLayout crossbar_layout(const SpFixed& sp, const CrossbarDevice& d, const CrossbarArray& a,
                               const CrossbarPeriphery& p) {
    validate(d);
    validate(a);
    validate(p);
    CrossbarLayout l;
    l.row_tiles = (sp.num_inputs + a.rows - 1) / a.rows;
    l.column_tiles = (sp.num_columns + a.columns - 1) / a.columns;
    const double arrays = static_cast<double>(l.row_tiles) * l.column_tiles;
    l.cells_area_um2 = arrays * a.rows * a.columns * d.cell_area_um2;
    l.drivers_area_um2 = arrays * a.rows * a.driver_area_um2_per_row;
    l.sense_area_um2 = static_cast<double>(l.row_tiles) * l.column_tiles * a.columns * p.sense_amp_area_um2;
    l.digital_area_um2 = p.digital_area_um2;
    return l;
}

std::vector<CrossbarStepCost> crossbar_run(SpFixed& sp, const std::uint8_t* inputs, const std::uint8_t* learn,
                                           std::size_t rows, const CrossbarDevice& d, const CrossbarArray& a,
                                           const CrossbarPeriphery& p, SpFixedWorkspace& ws) {
    const CrossbarLayout layout = crossbar_layout(sp, d, a, p);
    const std::uint32_t n_in = sp.num_inputs, n_col = sp.num_columns;
    const std::uint64_t synapses = sp.perm_offsets.back();
    // Input row of every synapse (the k-th set bit of its column's potential row).
    std::vector<std::uint32_t> syn_input(synapses);
    for (std::uint32_t c = 0; c < n_col; ++c) {
        std::uint64_t k = sp.perm_offsets[c];
        const std::uint64_t* row = sp.potential_bits.data() + static_cast<std::size_t>(c) * sp.input_words;
        for (std::uint32_t w = 0; w < sp.input_words; ++w)
            for (std::uint64_t bits = row[w]; bits; bits &= bits - 1)
                syn_input[k++] = w * 64 + static_cast<std::uint32_t>(__builtin_ctzll(bits));
    }
    // Stored level of every synapse and the total conductance of every input row
    // (non-potential cells sit at level 0 = 1/r_off).
    const double g_off = level_conductance_s(d, 0);
    std::vector<std::uint32_t> level(synapses);
    std::vector<double> row_g(n_in, static_cast<double>(n_col) * g_off);
    for (std::uint64_t k = 0; k < synapses; ++k) {
        level[k] = permanence_level(sp_fixed_perm(sp, k), sp.q.perm_max, d.levels);
        row_g[syn_input[k]] += level_conductance_s(d, level[k]) - g_off;
    }
    const double t_read_ns = d.read_latency_ns + mnsim_wire_latency_ns(a);
    const double v2 = d.v_read1_v * d.v_read1_v, vw2 = d.v_write_v * d.v_write_v;
    const double ns_per_cycle = 1e3 / p.clock_mhz;

    std::vector<CrossbarStepCost> out(rows);
    std::vector<std::uint32_t> tile_rows(layout.row_tiles), winners, written;
    std::vector<std::uint32_t> max_pot(n_in, 0), max_dep(n_in, 0), touched;
    for (std::size_t r = 0; r < rows; ++r) {
        CrossbarStepCost& cost = out[r];
        const std::uint8_t* x = inputs + r * n_in;
        // Read: the active rows, one at a time per row tile (tiles in parallel), every
        // column's sense amplifier comparing against the connected reference.
        std::fill(tile_rows.begin(), tile_rows.end(), 0u);
        double g_sum = 0;
        for (std::uint32_t i = 0; i < n_in; ++i) {
            if (!x[i]) continue;
            ++cost.active_rows;
            ++tile_rows[i / a.rows];
            g_sum += row_g[i];
        }
        cost.read_energy_pj = v2 * g_sum * t_read_ns * 1e3;  // V^2 x S x ns = nJ
        cost.read_latency_ns = *std::max_element(tile_rows.begin(), tile_rows.end()) * t_read_ns;
        cost.sense_energy_pj = static_cast<double>(cost.active_rows) * n_col * p.sense_amp_energy_pj;

        const bool learning = learn[r] != 0;
        sp_fixed_compute(sp, x, learning, ws, winners);
        const HdlCycles cy = hdl_step_cycles(sp, learning, winners, ws, 1);
        const double digital_cycles = static_cast<double>(cy.kwta + cy.duty_boost + cy.permanence + cy.finish);
        cost.digital_latency_ns = digital_cycles * ns_per_cycle;
        cost.digital_energy_pj = digital_cycles * p.digital_energy_pj_per_cycle;
        if (!learning) continue;

        // Write: the cells whose level changed, potentiation and depression phases;
        // per phase the changed rows are programmed one after another, each for as many
        // pulses as its largest change. Energy per cell (NeuroSim): V_w^2 (G_old + G_new)/2
        // x t_pw x pulses.
        written.clear();
        std::set_union(winners.begin(), winners.end(), ws.bumped.begin(), ws.bumped.end(),
                       std::back_inserter(written));
        touched.clear();
        for (std::uint32_t c : written) {
            for (std::uint64_t k = sp.perm_offsets[c]; k < sp.perm_offsets[c + 1]; ++k) {
                const std::uint32_t now = permanence_level(sp_fixed_perm(sp, k), sp.q.perm_max, d.levels);
                if (now == level[k]) continue;
                const std::uint32_t i = syn_input[k];
                const double g_old = level_conductance_s(d, level[k]), g_new = level_conductance_s(d, now);
                const std::uint32_t pulses = now > level[k] ? now - level[k] : level[k] - now;
                if (max_pot[i] == 0 && max_dep[i] == 0) touched.push_back(i);
                if (now > level[k]) {
                    cost.potentiation_pulses += pulses;
                    max_pot[i] = std::max(max_pot[i], pulses);
                } else {
                    cost.depression_pulses += pulses;
                    max_dep[i] = std::max(max_dep[i], pulses);
                }
                ++cost.cells_written;
                cost.write_energy_pj += vw2 * (g_old + g_new) / 2.0 * d.pulse_width_ns * pulses * 1e3;
                row_g[i] += g_new - g_old;
                level[k] = now;
            }
        }
        std::uint64_t phase_pulses = 0;
        for (std::uint32_t i : touched) {
            phase_pulses += static_cast<std::uint64_t>(max_pot[i]) + max_dep[i];
            max_pot[i] = max_dep[i] = 0;
        }
        cost.write_latency_ns = static_cast<double>(phase_pulses) * d.pulse_width_ns;
    }
    return out;
}

// --- Non-ideal cells in the loop ---

namespace {

constexpr std::uint64_t kD2dTag = 0x6432645F6761696EULL;  // "d2d_gain"
constexpr std::uint64_t kC2cTag = 0x6332635F77726974ULL;  // "c2c_writ"

std::uint64_t cell_index(const SpFixed& sp, std::uint32_t column, std::uint32_t input) {
    return static_cast<std::uint64_t>(column) * sp.num_inputs + input;
}

float cell_gain(const SpFixed& sp, std::uint64_t cell) {
    if (sp.device.d2d_sigma == 0.0f) return 1.0f;
    Rng r(sp.device.seed ^ kD2dTag, cell);
    return std::max(0.0f, 1.0f + sp.device.d2d_sigma * static_cast<float>(r.normal12()));
}

// Error of an open-loop write of n pulses at learning step `step`. Step 0 is the initial
// programming, done with program-and-verify: no error.
float write_error(const SpFixed& sp, std::uint64_t cell, std::uint64_t step, std::uint32_t n) {
    if (sp.device.c2c_sigma == 0.0f || n == 0 || step == 0) return 0.0f;
    Rng r(sp.device.seed ^ kC2cTag ^ (step * 0x9E3779B97F4A7C15ULL), cell);
    return sp.device.c2c_sigma * std::sqrt(static_cast<float>(n)) * static_cast<float>(r.normal12());
}

// Pulse coordinate of conductance g on a rising table (piecewise linear between levels).
float pulses_at(const std::vector<float>& table, float g) {
    const std::size_t top = table.size() - 1;
    if (g <= table[0]) return 0.0f;
    if (g >= table[top]) return static_cast<float>(top);
    const std::size_t hi = static_cast<std::size_t>(std::upper_bound(table.begin(), table.end(), g) - table.begin());
    const std::size_t lo = hi - 1;  // table[lo] <= g < table[hi]
    return static_cast<float>(lo) + (g - table[lo]) / (table[hi] - table[lo]);
}

// Conductance at a pulse coordinate (clamped to [0, levels - 1]).
float conductance_at(const std::vector<float>& table, float x) {
    const std::size_t top = table.size() - 1;
    if (x <= 0.0f) return table[0];
    if (x >= static_cast<float>(top)) return table[top];
    const std::size_t lo = static_cast<std::size_t>(x);
    const float frac = x - static_cast<float>(lo);
    return frac == 0.0f ? table[lo] : table[lo] + (table[lo + 1] - table[lo]) * frac;
}

// The write of a cell whose level moves from `from` to `to`: |to - from| pulses along
// the potentiation or the depression curve from its present conductance, plus the
// cycle-to-cycle error, clamped to the device range.
float write_cell(const SpFixed& sp, float g, std::uint32_t from, std::uint32_t to, std::uint64_t cell,
                 std::uint64_t step) {
    const std::uint32_t n = to > from ? to - from : from - to;
    const auto& curve = to > from ? sp.ltp_g : sp.ltd_g;
    const float x = pulses_at(curve, g) + (to > from ? 1.0f : -1.0f) * static_cast<float>(n);
    const float out = conductance_at(curve, x) + write_error(sp, cell, step, n);
    return std::min(1.0f, std::max(0.0f, out));
}

// Reads one column's cells into device_bits; with `record`, cells whose level changed
// are written first.
void read_column(SpFixed& sp, std::uint32_t c, bool record) {
    const std::uint32_t words = sp.input_words;
    const std::uint64_t* pool = sp.potential_bits.data() + static_cast<std::size_t>(c) * words;
    std::uint64_t* out = sp.device_bits.data() + static_cast<std::size_t>(c) * words;
    std::uint64_t k = sp.perm_offsets[c];
    for (std::uint32_t w = 0; w < words; ++w) {
        std::uint64_t bits_out = 0;
        for (std::uint64_t bits = pool[w]; bits; bits &= bits - 1, ++k) {
            const std::uint32_t b = static_cast<std::uint32_t>(__builtin_ctzll(bits));
            if (record) {
                const auto level = permanence_level(sp_fixed_perm(sp, k), sp.q.perm_max, sp.device.levels);
                if (level != sp.cell_level[k]) {
                    sp.cell_g[k] = write_cell(sp, sp.cell_g[k], sp.cell_level[k], level, cell_index(sp, c, w * 64 + b),
                                              sp.iteration_learn_num);
                    sp.cell_level[k] = static_cast<std::uint16_t>(level);
                }
            }
            if (sp.cell_g[k] * sp.cell_gain[k] >= sp.device_reference) bits_out |= 1ULL << b;
        }
        out[w] = bits_out;
    }
}

// Curves, reference and per-cell gains from the model; then reads every column.
void derive_cells(SpFixed& sp) {
    const DeviceRead& m = sp.device;
    sp.ltp_g.resize(m.levels);
    sp.ltd_g.resize(m.levels);
    for (std::uint32_t l = 0; l < m.levels; ++l) {
        sp.ltp_g[l] = level_fraction(l, m.levels, m.nonlinearity_ltp);
        // Depression mirrors the potentiation shape from the top of the range.
        sp.ltd_g[l] = curve_is_linear(m.nonlinearity_ltd)
                          ? level_fraction(l, m.levels, 0.0f)
                          : 1.0f - level_fraction(m.levels - 1 - l, m.levels, m.nonlinearity_ltd);
    }
    // The conductance the threshold permanence reaches when programmed from reset.
    const float x = static_cast<float>(sp.q.conn_q) / static_cast<float>(sp.q.perm_max);
    sp.device_reference = curve_fraction(x, m.nonlinearity_ltp);
    const std::uint64_t synapses = sp.perm_offsets.back();
    sp.cell_gain.resize(synapses);
    for (std::uint32_t c = 0; c < sp.num_columns; ++c) {
        std::uint64_t k = sp.perm_offsets[c];
        const std::uint64_t* pool = sp.potential_bits.data() + static_cast<std::size_t>(c) * sp.input_words;
        for (std::uint32_t w = 0; w < sp.input_words; ++w)
            for (std::uint64_t bits = pool[w]; bits; bits &= bits - 1, ++k)
                sp.cell_gain[k] =
                    cell_gain(sp, cell_index(sp, c, w * 64 + static_cast<std::uint32_t>(__builtin_ctzll(bits))));
    }
    sp.device_bits.assign(static_cast<std::size_t>(sp.num_columns) * sp.input_words, 0);
    for (std::uint32_t c = 0; c < sp.num_columns; ++c) read_column(sp, c, false);
}

void clear_device(SpFixed& sp) {
    sp.device = DeviceRead{};
    for (auto* v : {&sp.cell_gain, &sp.cell_g, &sp.ltp_g, &sp.ltd_g}) std::vector<float>().swap(*v);
    std::vector<std::uint16_t>().swap(sp.cell_level);
    std::vector<std::uint64_t>().swap(sp.device_bits);
}

}  // namespace

void validate(const DeviceRead& m) {
    if (m.levels != 0 && (m.levels < 2 || m.levels > 65536))
        throw std::invalid_argument("device levels must be 0 (ideal read) or in [2, 65536]; got " +
                                    std::to_string(m.levels));
    if (!(m.nonlinearity_ltp >= 0.0f && m.nonlinearity_ltp <= 20.0f))
        throw std::invalid_argument("nonlinearity_ltp must be in [0, 20]; got " + std::to_string(m.nonlinearity_ltp));
    if (!(m.nonlinearity_ltd >= 0.0f && m.nonlinearity_ltd <= 20.0f))
        throw std::invalid_argument("nonlinearity_ltd must be in [0, 20]; got " + std::to_string(m.nonlinearity_ltd));
    if (!(m.d2d_sigma >= 0.0f && m.d2d_sigma <= 1.0f))
        throw std::invalid_argument("d2d_sigma must be in [0, 1]; got " + std::to_string(m.d2d_sigma));
    if (!(m.c2c_sigma >= 0.0f && m.c2c_sigma <= 1.0f))
        throw std::invalid_argument("c2c_sigma must be in [0, 1]; got " + std::to_string(m.c2c_sigma));
}

void sp_fixed_set_device_read(SpFixed& sp, const DeviceRead& m) {
    validate(m);
    if (m.levels == 0) {
        clear_device(sp);
        return;
    }
    sp.device = m;
    const std::uint64_t synapses = sp.perm_offsets.back();
    sp.cell_level.assign(synapses, 0);  // every cell starts reset ...
    sp.cell_g.assign(synapses, 0.0f);
    derive_cells(sp);
    const std::uint64_t saved = sp.iteration_learn_num;
    sp.iteration_learn_num = 0;  // ... and is programmed to its level: write step 0
    for (std::uint32_t c = 0; c < sp.num_columns; ++c) read_column(sp, c, true);
    sp.iteration_learn_num = saved;
}

void sp_fixed_restore_device_read(SpFixed& sp, const DeviceRead& m, const std::vector<std::uint16_t>& cell_level,
                                  const std::vector<float>& cell_g) {
    validate(m);
    if (m.levels == 0) throw std::invalid_argument("invalid saved state: device levels is 0 but cell states are saved");
    const std::uint64_t synapses = sp.perm_offsets.back();
    if (cell_level.size() != synapses || cell_g.size() != synapses)
        throw std::invalid_argument("invalid saved state: device cell arrays must have one entry per potential synapse (" +
                                    std::to_string(synapses) + ")");
    for (std::uint64_t k = 0; k < synapses; ++k) {
        if (cell_level[k] != permanence_level(sp_fixed_perm(sp, k), sp.q.perm_max, m.levels))
            throw std::invalid_argument("invalid saved state: device cell level " + std::to_string(k) +
                                        " does not match its permanence");
        if (!(cell_g[k] >= 0.0f && cell_g[k] <= 1.0f))
            throw std::invalid_argument("invalid saved state: device cell conductance " + std::to_string(k) +
                                        " outside [0, 1]");
    }
    sp.device = m;
    sp.cell_level = cell_level;
    sp.cell_g = cell_g;
    derive_cells(sp);
}

void device_read_refresh(SpFixed& sp, const std::uint32_t* columns, std::size_t n) {
    if (sp.device.levels == 0) return;
    for (std::size_t i = 0; i < n; ++i) read_column(sp, columns[i], true);
}

}  // namespace htmhw
