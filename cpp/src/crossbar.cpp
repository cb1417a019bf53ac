#include "htmhw/crossbar.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "htmhw/check.hpp"
#include "htmhw/hdl_cycles.hpp"

namespace htmhw {
namespace {

void require(bool ok, const char* field, const std::string& range, double value) {
    if (!ok) fail_field(field, range, value);
}

void require_in(double value, const char* field, double lo, double hi, bool lo_open = false) {
    check_in_range(field, value, lo, hi, lo_open);
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

double level_conductance_s(const CrossbarDevice& d, std::uint32_t level) {
    const double g_off = 1.0 / d.r_off_ohm, g_on = 1.0 / d.r_on_ohm;
    if (d.nonlinearity_ltp < kLinearBelowNonlinearity)  // exactly the linear formula of the MNSIM-anchored tests
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

std::vector<CrossbarStepCost> crossbar_run(SpFixed& sp, CrossbarRead* read, const std::uint8_t* inputs,
                                           const std::uint8_t* learn,
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
    std::vector<std::uint32_t> tile_rows(layout.row_tiles), winners;
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
        sp_fixed_step(sp, read, x, learning, ws, winners);
        const HdlCycles cy = hdl_step_cycles(sp, learning, winners, ws, 1);
        for (std::uint32_t c = 0; c < n_col; ++c) cost.overlap_sum += sp.overlaps[c];
        cost.winners = winners.size();
        cost.cycles_overlap = cy.overlap;
        cost.cycles_kwta = cy.kwta;
        cost.cycles_duty_boost = cy.duty_boost;
        cost.cycles_permanence = cy.permanence;
        cost.cycles_finish = cy.finish;
        const double digital_cycles = static_cast<double>(cy.kwta + cy.duty_boost + cy.permanence + cy.finish);
        cost.digital_latency_ns = digital_cycles * ns_per_cycle;
        cost.digital_energy_pj = digital_cycles * p.digital_energy_pj_per_cycle;
        if (!learning) continue;

        // Write: the cells whose level changed, potentiation and depression phases;
        // per phase the changed rows are programmed one after another, each for as many
        // pulses as its largest change. Energy per cell (NeuroSim): V_w^2 (G_old + G_new)/2
        // x t_pw x pulses.
        touched.clear();
        for (std::uint32_t c : ws.written_columns) {
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

}  // namespace htmhw
