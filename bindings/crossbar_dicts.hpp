// Crossbar parameter structs from Python dicts (unknown keys and bad values rejected),
// shared by the crossbar and datapath bindings.
#pragma once
#include <set>
#include <string>

#include "common.hpp"
#include "htmhw/crossbar.hpp"

namespace crossbar_dicts {

struct DictReader {
    const py::dict& d;
    const char* what;
    std::set<std::string> used;
    template <class T>
    void get(const char* key, T& out) {
        used.insert(key);
        if (d.contains(key)) out = py::cast<T>(d[key]);
    }
    void finish() const {
        for (auto item : d) {
            const auto key = py::cast<std::string>(item.first);
            if (!used.count(key)) throw std::invalid_argument(std::string(what) + ": unknown field '" + key + "'");
        }
    }
};

inline htmhw::CrossbarDevice device_from(const py::dict& d) {
    htmhw::CrossbarDevice x;
    DictReader r{d, "device", {}};
    r.get("r_on_ohm", x.r_on_ohm);
    r.get("r_off_ohm", x.r_off_ohm);
    r.get("levels", x.levels);
    r.get("v_read0_v", x.v_read0_v);
    r.get("v_read1_v", x.v_read1_v);
    r.get("v_write_v", x.v_write_v);
    r.get("pulse_width_ns", x.pulse_width_ns);
    r.get("read_latency_ns", x.read_latency_ns);
    r.get("write_latency_ns", x.write_latency_ns);
    r.get("cell_area_um2", x.cell_area_um2);
    r.get("nonlinearity_ltp", x.nonlinearity_ltp);
    r.get("nonlinearity_ltd", x.nonlinearity_ltd);
    r.get("d2d_sigma", x.d2d_sigma);
    r.get("c2c_sigma", x.c2c_sigma);
    r.get("stuck_on_rate", x.stuck_on_rate);
    r.get("stuck_off_rate", x.stuck_off_rate);
    r.finish();
    return x;
}

inline htmhw::CrossbarArray array_from(const py::dict& d) {
    htmhw::CrossbarArray x;
    DictReader r{d, "array", {}};
    r.get("rows", x.rows);
    r.get("columns", x.columns);
    std::string cell = "1T1R";
    r.get("cell", cell);
    if (cell == "1T1R") x.cell = htmhw::CellType::OneT1R;
    else if (cell == "0T1R") x.cell = htmhw::CellType::ZeroT1R;
    else throw std::invalid_argument("array.cell must be '0T1R' or '1T1R'; got '" + cell + "'");
    r.get("driver_area_um2_per_row", x.driver_area_um2_per_row);
    r.finish();
    return x;
}

inline htmhw::CrossbarPeriphery periphery_from(const py::dict& d) {
    htmhw::CrossbarPeriphery x;
    DictReader r{d, "periphery", {}};
    r.get("adc_bits", x.adc_bits);
    r.get("adc_sample_rate_gsps", x.adc_sample_rate_gsps);
    r.get("adc_power_mw", x.adc_power_mw);
    r.get("adc_area_um2", x.adc_area_um2);
    r.get("sense_amp_energy_pj", x.sense_amp_energy_pj);
    r.get("sense_amp_area_um2", x.sense_amp_area_um2);
    r.get("digital_energy_pj_per_cycle", x.digital_energy_pj_per_cycle);
    r.get("digital_area_um2", x.digital_area_um2);
    r.get("clock_mhz", x.clock_mhz);
    r.finish();
    return x;
}

}  // namespace crossbar_dicts
