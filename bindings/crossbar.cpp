// Crossbar cost model: structs from Python dicts (unknown keys rejected), figures to a dict.
#include <set>
#include <string>

#include "common.hpp"
#include "htmhw/crossbar.hpp"

namespace {

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

htmhw::CrossbarDevice device_from(const py::dict& d) {
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
    r.finish();
    return x;
}

htmhw::CrossbarArray array_from(const py::dict& d) {
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

htmhw::CrossbarPeriphery periphery_from(const py::dict& d) {
    htmhw::CrossbarPeriphery x;
    DictReader r{d, "periphery", {}};
    r.get("adc_bits", x.adc_bits);
    r.get("adc_sample_rate_gsps", x.adc_sample_rate_gsps);
    r.get("adc_power_mw", x.adc_power_mw);
    r.get("adc_area_um2", x.adc_area_um2);
    r.finish();
    return x;
}

}  // namespace

void init_crossbar(py::module_& m) {
    m.def(
        "crossbar_array_figures",
        [](const py::dict& device, const py::dict& array, const py::dict& periphery, double on_fraction,
           double input_density, std::int64_t rows_written) {
            if (rows_written < 0 || rows_written > 65536)
                throw std::invalid_argument("rows_written must be in [0, rows]; got " + std::to_string(rows_written));
            const auto f = htmhw::mnsim_array_figures(device_from(device), array_from(array), periphery_from(periphery),
                                                      on_fraction, input_density,
                                                      static_cast<std::uint32_t>(rows_written));
            py::dict out;
            out["effective_resistance_ohm"] = f.effective_resistance_ohm;
            out["effective_read_voltage_v"] = f.effective_read_voltage_v;
            out["cell_read_power_w"] = f.cell_read_power_w;
            out["read_power_mw"] = f.read_power_mw;
            out["wire_latency_ns"] = f.wire_latency_ns;
            out["read_latency_ns"] = f.read_latency_ns;
            out["read_energy_pj"] = f.read_energy_pj;
            out["write_latency_ns"] = f.write_latency_ns;
            out["area_um2"] = f.area_um2;
            out["adc_latency_ns"] = f.adc_latency_ns;
            out["adc_energy_pj"] = f.adc_energy_pj;
            return out;
        },
        py::arg("device"), py::arg("array"), py::arg("periphery"), py::arg("on_fraction"), py::arg("input_density"),
        py::arg("rows_written"));
    m.def(
        "permanence_level",
        [](std::uint32_t p, std::uint32_t perm_max, std::uint32_t levels) {
            if (levels < 2) throw std::invalid_argument("levels must be >= 2; got " + std::to_string(levels));
            return htmhw::permanence_level(p, perm_max, levels);
        },
        py::arg("permanence"), py::arg("perm_max"), py::arg("levels"));
}
