// Crossbar cost model: structs from Python dicts (unknown keys rejected), figures to a dict.
#include <string>

#include "crossbar_dicts.hpp"

using crossbar_dicts::array_from;
using crossbar_dicts::device_from;
using crossbar_dicts::periphery_from;

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
    m.def(
        "level_fraction",
        [](std::uint32_t level, std::uint32_t levels, float nonlinearity) {
            htmhw::validate(htmhw::CellModel{levels, nonlinearity, 0.0f, 0.0f, 0.0f, 0});
            if (level >= levels) throw std::invalid_argument("level must be in [0, levels - 1]");
            return htmhw::level_fraction(level, levels, nonlinearity);
        },
        py::arg("level"), py::arg("levels"), py::arg("nonlinearity"));
    // Range checks of the dataclasses (they call these on construction).
    m.def("crossbar_validate_device", [](const py::dict& d) { htmhw::validate(device_from(d)); }, py::arg("device"));
    m.def("crossbar_validate_array", [](const py::dict& d) { htmhw::validate(array_from(d)); }, py::arg("array"));
    m.def("crossbar_validate_periphery", [](const py::dict& d) { htmhw::validate(periphery_from(d)); },
          py::arg("periphery"));
}
