// Parameter dict conversion and input checks shared by the spatial-pooler bindings.
#pragma once
#include <pybind11/stl.h>

#include <string>

#include "common.hpp"
#include "htmhw/sp_float.hpp"

template <class T>
T take(const py::dict& d, const char* key) {
    if (!d.contains(key)) throw std::invalid_argument(std::string("missing parameter ") + key);
    return d[key].cast<T>();
}

inline htmhw::SpParams params_from_dict(const py::dict& d) {
    htmhw::SpParams p;
    p.input_dimensions = take<std::vector<std::uint32_t>>(d, "input_dimensions");
    p.column_dimensions = take<std::vector<std::uint32_t>>(d, "column_dimensions");
    p.potential_radius = take<std::uint32_t>(d, "potential_radius");
    p.potential_pct = take<double>(d, "potential_pct");
    p.global_inhibition = take<bool>(d, "global_inhibition");
    p.local_area_density = take<double>(d, "local_area_density");
    p.num_active_columns_per_inh_area = take<double>(d, "num_active_columns_per_inh_area");
    p.stimulus_threshold = take<double>(d, "stimulus_threshold");
    p.syn_perm_inactive_dec = take<double>(d, "syn_perm_inactive_dec");
    p.syn_perm_active_inc = take<double>(d, "syn_perm_active_inc");
    p.syn_perm_connected = take<double>(d, "syn_perm_connected");
    p.min_pct_overlap_duty_cycle = take<double>(d, "min_pct_overlap_duty_cycle");
    p.duty_cycle_period = take<std::uint32_t>(d, "duty_cycle_period");
    p.boost_strength = take<double>(d, "boost_strength");
    p.seed = take<std::uint64_t>(d, "seed");
    p.sp_verbosity = take<std::uint32_t>(d, "sp_verbosity");
    p.wrap_around = take<bool>(d, "wrap_around");
    p.boost_in_inference = take<bool>(d, "boost_in_inference");
    return p;
}

inline py::dict params_to_dict(const htmhw::SpParams& p) {
    py::dict d;
    d["input_dimensions"] = py::tuple(py::cast(p.input_dimensions));
    d["column_dimensions"] = py::tuple(py::cast(p.column_dimensions));
    d["potential_radius"] = p.potential_radius;
    d["potential_pct"] = p.potential_pct;
    d["global_inhibition"] = p.global_inhibition;
    d["local_area_density"] = p.local_area_density;
    d["num_active_columns_per_inh_area"] = p.num_active_columns_per_inh_area;
    d["stimulus_threshold"] = p.stimulus_threshold;
    d["syn_perm_inactive_dec"] = p.syn_perm_inactive_dec;
    d["syn_perm_active_inc"] = p.syn_perm_active_inc;
    d["syn_perm_connected"] = p.syn_perm_connected;
    d["min_pct_overlap_duty_cycle"] = p.min_pct_overlap_duty_cycle;
    d["duty_cycle_period"] = p.duty_cycle_period;
    d["boost_strength"] = p.boost_strength;
    d["seed"] = p.seed;
    d["sp_verbosity"] = p.sp_verbosity;
    d["wrap_around"] = p.wrap_around;
    d["boost_in_inference"] = p.boost_in_inference;
    return d;
}

// A 1-D array of a saved state into `out` ("invalid saved state: ..." otherwise).
template <class T>
void load_vec(const py::dict& d, const char* key, std::vector<T>& out) {
    auto a = take<carray<T>>(d, key);
    if (a.ndim() != 1) throw std::invalid_argument(std::string("invalid saved state: ") + key + " must be 1-D");
    out.assign(a.data(), a.data() + a.size());
}

template <class Sp>
const std::uint8_t* check_input_matrix(const carray<std::uint8_t>& x, const Sp& sp, std::size_t& rows) {
    if (x.ndim() != 2 || static_cast<std::uint64_t>(x.shape(1)) != sp.num_inputs)
        throw std::invalid_argument("inputs must be a 2-D array of shape (n_samples, " +
                                    std::to_string(sp.num_inputs) + ")");
    rows = static_cast<std::size_t>(x.shape(0));
    check_binary(x.data(), static_cast<std::size_t>(x.size()), "inputs");
    return x.data();
}

template <class Sp>
void check_column(const Sp& sp, std::int64_t c) {
    if (c < 0 || c >= static_cast<std::int64_t>(sp.num_columns))
        throw std::invalid_argument("columnIndex must be in [0, " + std::to_string(sp.num_columns) + "); got " +
                                    std::to_string(c));
}

