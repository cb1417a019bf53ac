#include "htmhw/crossbar.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace htmhw {
namespace {

void require(bool ok, const char* field, const std::string& range, double value) {
    if (!ok) throw std::invalid_argument(std::string(field) + " must be " + range + "; got " + std::to_string(value));
}

bool finite_positive(double x) { return std::isfinite(x) && x > 0; }
bool finite_nonnegative(double x) { return std::isfinite(x) && x >= 0; }

}  // namespace

void validate(const CrossbarDevice& d) {
    require(finite_positive(d.r_on_ohm), "r_on_ohm", "> 0", d.r_on_ohm);
    require(finite_positive(d.r_off_ohm) && d.r_off_ohm > d.r_on_ohm, "r_off_ohm", "> r_on_ohm", d.r_off_ohm);
    require(d.levels >= 2 && d.levels <= 65536, "levels", "in [2, 65536]", d.levels);
    require(finite_nonnegative(d.v_read0_v), "v_read0_v", ">= 0", d.v_read0_v);
    require(finite_positive(d.v_read1_v), "v_read1_v", "> 0", d.v_read1_v);
    require(finite_positive(d.v_write_v), "v_write_v", "> 0", d.v_write_v);
    require(finite_positive(d.pulse_width_ns), "pulse_width_ns", "> 0", d.pulse_width_ns);
    require(finite_positive(d.read_latency_ns), "read_latency_ns", "> 0", d.read_latency_ns);
    require(finite_positive(d.write_latency_ns), "write_latency_ns", "> 0", d.write_latency_ns);
    require(finite_positive(d.cell_area_um2), "cell_area_um2", "> 0", d.cell_area_um2);
}

void validate(const CrossbarArray& a) {
    require(a.rows >= 1 && a.rows <= 65536, "rows", "in [1, 65536]", a.rows);
    require(a.columns >= 1 && a.columns <= 65536, "columns", "in [1, 65536]", a.columns);
    require(finite_nonnegative(a.driver_area_um2_per_row), "driver_area_um2_per_row", ">= 0",
            a.driver_area_um2_per_row);
}

void validate(const CrossbarPeriphery& p) {
    require(p.adc_bits >= 1 && p.adc_bits <= 16, "adc_bits", "in [1, 16]", p.adc_bits);
    require(finite_positive(p.adc_sample_rate_gsps), "adc_sample_rate_gsps", "> 0", p.adc_sample_rate_gsps);
    require(finite_nonnegative(p.adc_power_mw), "adc_power_mw", ">= 0", p.adc_power_mw);
    require(finite_nonnegative(p.adc_area_um2), "adc_area_um2", ">= 0", p.adc_area_um2);
}

ArrayFigures mnsim_array_figures(const CrossbarDevice& d, const CrossbarArray& a, const CrossbarPeriphery& p,
                                 double on_fraction, double input_density, std::uint32_t rows_written) {
    validate(d);
    validate(a);
    validate(p);
    require(std::isfinite(on_fraction) && on_fraction >= 0 && on_fraction <= 1, "on_fraction", "in [0, 1]",
            on_fraction);
    require(std::isfinite(input_density) && input_density >= 0 && input_density <= 1, "input_density", "in [0, 1]",
            input_density);
    require(rows_written <= a.rows, "rows_written", "in [0, rows]", rows_written);
    ArrayFigures f;
    const double cells = static_cast<double>(a.rows) * a.columns;
    f.effective_resistance_ohm = 1.0 / ((1.0 - on_fraction) / d.r_off_ohm + on_fraction / d.r_on_ohm);
    f.effective_read_voltage_v =
        std::sqrt((1.0 - input_density) * d.v_read0_v * d.v_read0_v + input_density * d.v_read1_v * d.v_read1_v);
    f.cell_read_power_w = f.effective_read_voltage_v * f.effective_read_voltage_v / f.effective_resistance_ohm;
    f.read_power_mw = cells * f.cell_read_power_w * 1e3;
    const double size_kb = cells / 1024.0 / 8.0;  // MNSIM's empirical wire term takes the array size in KB
    f.wire_latency_ns = 0.001 * (0.0002 * size_kb * size_kb + 5e-6 * size_kb + 4e-14);
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

}  // namespace htmhw
