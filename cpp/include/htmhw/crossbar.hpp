// Memristor-crossbar cost model: device, array and periphery
// parameters and the analytic array figures of MNSIM 2.0's behaviour-level model
// (docs/crossbar.md states every formula and its source). Units are in the names.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "htmhw/crossbar_read.hpp"
#include "htmhw/datapath.hpp"

namespace htmhw {

enum class CellType : std::uint8_t { ZeroT1R = 0, OneT1R = 1 };

// The defaults below are python/htmhw/_param_table.py's (DEVICE_FIELDS, ARRAY_FIELDS,
// PERIPHERY_FIELDS; tests/test_param_table.py holds them equal); the allowed ranges are
// written once, in validate() (crossbar.cpp), which the same test probes at every bound.

struct CrossbarDevice {
    double r_on_ohm = 10e3;       // low-resistance state
    double r_off_ohm = 1e6;       // high-resistance state
    std::uint32_t levels = 2;     // programmable conductance levels
    double v_read0_v = 0.0;       // read voltage of a 0 input
    double v_read1_v = 0.15;      // read voltage of a 1 input
    double v_write_v = 3.0;       // write (programming) voltage
    double pulse_width_ns = 10.0; // programming pulse
    double read_latency_ns = 3.16;
    double write_latency_ns = 10.0;
    double cell_area_um2 = 1.44;
    // Non-idealities (docs/crossbar.md "Non-idealities in the loop"); the cost model uses
    // only nonlinearity_ltp (stored conductances), the in-the-loop read uses all.
    double nonlinearity_ltp = 0.0;  // nu of the potentiation curve, 0 = linear
    double nonlinearity_ltd = 0.0;  // nu of the depression curve
    double d2d_sigma = 0.0;       // device-to-device spread of the read conductance
    double c2c_sigma = 0.0;       // cycle-to-cycle error of one programming pulse
    double stuck_on_rate = 0.0;   // fraction of cells stuck on (read as connected)
    double stuck_off_rate = 0.0;
};

struct CrossbarArray {
    std::uint32_t rows = 256, columns = 256;
    CellType cell = CellType::OneT1R;
    double driver_area_um2_per_row = 1150.0;  // MNSIM's row driver
};

struct CrossbarPeriphery {
    std::uint32_t adc_bits = 6;
    double adc_sample_rate_gsps = 1.0;
    double adc_power_mw = 1.26;
    double adc_area_um2 = 1650.0;
    // SP mapping (row-sequential thresholded read, digital kWTA/update); no published
    // default, so 0 = not modelled until the user sets them.
    double sense_amp_energy_pj = 0.0;       // per comparison
    double sense_amp_area_um2 = 0.0;        // per column
    double digital_energy_pj_per_cycle = 0.0;
    double digital_area_um2 = 0.0;
    double clock_mhz = 100.0;               // digital clock
};

// Throw std::invalid_argument naming the field, the allowed range and the value (check.hpp).
void validate(const CrossbarDevice& d);
void validate(const CrossbarArray& a);
void validate(const CrossbarPeriphery& p);

// MNSIM 2.0 behaviour-level figures of one array. on_fraction: fraction of cells in the
// low-resistance state (MNSIM assumes 0.33); input_density: fraction of rows driven with
// v_read1 (MNSIM assumes 0.1); rows_written: rows programmed one after another.
struct ArrayFigures {
    double effective_resistance_ohm = 0, effective_read_voltage_v = 0;
    double cell_read_power_w = 0, read_power_mw = 0;
    double wire_latency_ns = 0, read_latency_ns = 0, read_energy_pj = 0;
    double write_latency_ns = 0;
    double area_um2 = 0;
    double adc_latency_ns = 0, adc_energy_pj = 0;
};
ArrayFigures mnsim_array_figures(const CrossbarDevice& d, const CrossbarArray& a, const CrossbarPeriphery& p,
                                 double on_fraction, double input_density, std::uint32_t rows_written);

// permanence_level and level_fraction (the cells' levels and curves): crossbar_read.hpp.

// Conductance of a level: 1/r_off + (1/r_on - 1/r_off) * level_fraction.
double level_conductance_s(const CrossbarDevice& d, std::uint32_t level);

// The SP on crossbars (docs/crossbar.md "SP mapping"): inputs on rows, SP columns on
// crossbar columns, tiled over ceil(I/rows) x ceil(C/columns) arrays.
struct CrossbarLayout {
    std::uint32_t row_tiles = 0, column_tiles = 0;
    double cells_area_um2 = 0, drivers_area_um2 = 0, sense_area_um2 = 0, digital_area_um2 = 0;
};
CrossbarLayout crossbar_layout(const SpFixed& sp, const CrossbarDevice& d, const CrossbarArray& a,
                               const CrossbarPeriphery& p);

struct CrossbarStepCost {
    double read_energy_pj = 0, read_latency_ns = 0, sense_energy_pj = 0;
    double digital_energy_pj = 0, digital_latency_ns = 0;
    double write_energy_pj = 0, write_latency_ns = 0;
    std::uint64_t active_rows = 0, potentiation_pulses = 0, depression_pulses = 0, cells_written = 0;
    // The step's operation counts for the digital periphery and memories (docs/energy.md):
    // overlap_sum = connected synapses on active inputs (overlap-counter increments), the
    // winners, and the step's hdl_ref cycles by phase (hdl_cycles.hpp, one synapse lane).
    std::uint64_t overlap_sum = 0, winners = 0;
    std::uint64_t cycles_overlap = 0, cycles_kwta = 0, cycles_duty_boost = 0, cycles_permanence = 0,
                  cycles_finish = 0;
};

// Runs `rows` steps of sp (it advances, as sp_fixed_step through `read`, null = the ideal
// read) and returns each step's costs, driven by the step's real activity: the active input
// rows, the stored levels (read energy), the winners/weak columns (digital cycles,
// hdl_cycles.hpp) and the level changes of the written cells (write pulses).
std::vector<CrossbarStepCost> crossbar_run(SpFixed& sp, CrossbarRead* read, const std::uint8_t* inputs,
                                           const std::uint8_t* learn,
                                           std::size_t rows, const CrossbarDevice& d, const CrossbarArray& a,
                                           const CrossbarPeriphery& p, SpFixedWorkspace& ws);

// The non-ideal cells in the loop (the read the overlap counts): crossbar_read.hpp.

}  // namespace htmhw
