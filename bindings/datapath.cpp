// Binding of the fixed-point datapath (docs/datapath.md). Converts and
// validates; all logic lives in cpp/.
#include <algorithm>
#include <iterator>
#include <memory>
#include <mutex>

#include "common.hpp"
#include "htmhw/datapath.hpp"
#include "crossbar_dicts.hpp"
#include "htmhw/hdl_cycles.hpp"
#include "sp_shared.hpp"

using htmhw::HwConfig;
using htmhw::SpFixed;

namespace {

struct PyFixed {
    SpFixed sp;
    htmhw::SpFixedWorkspace ws;
    mutable std::mutex mutex;  // one call at a time per object: ObjectLock (GIL held) or lock_guard (GIL released)
};

HwConfig hw_from_dict(const py::dict& d) {
    HwConfig hw;
    hw.permanence_bits = take<std::uint32_t>(d, "permanence_bits");
    hw.overlap_bits = take<std::uint32_t>(d, "overlap_bits");
    hw.boost_int_bits = take<std::uint32_t>(d, "boost_int_bits");
    hw.boost_frac_bits = take<std::uint32_t>(d, "boost_frac_bits");
    hw.boosted_frac_bits = take<std::uint32_t>(d, "boosted_frac_bits");
    hw.duty_bits = take<std::uint32_t>(d, "duty_bits");
    hw.boost_lut_bits = take<std::uint32_t>(d, "boost_lut_bits");
    return hw;
}

py::dict hw_to_dict(const HwConfig& hw) {
    py::dict d;
    d["permanence_bits"] = hw.permanence_bits;
    d["overlap_bits"] = hw.overlap_bits;
    d["boost_int_bits"] = hw.boost_int_bits;
    d["boost_frac_bits"] = hw.boost_frac_bits;
    d["boosted_frac_bits"] = hw.boosted_frac_bits;
    d["duty_bits"] = hw.duty_bits;
    d["boost_lut_bits"] = hw.boost_lut_bits;
    return d;
}

py::dict constants(const SpFixed& sp) {
    const auto& q = sp.q;
    py::dict d;
    d["perm_max"] = q.perm_max;
    d["conn_q"] = q.conn_q;
    d["inc_q"] = q.inc_q;
    d["dec_q"] = q.dec_q;
    d["bump_q"] = q.bump_q;
    d["trim_q"] = q.trim_q;
    d["stimulus"] = q.stimulus;
    d["overlap_bits"] = q.overlap_bits;
    d["overlap_max"] = q.overlap_max;
    d["duty_one"] = q.duty_one;
    d["duty_shift_max"] = q.duty_shift_max;
    d["target_q"] = q.target_q;
    d["min_pct_q"] = q.min_pct_q;
    d["boost_one"] = q.boost_one;
    d["update_period"] = sp.update_period;
    // Winners per step under global inhibition (docs/datapath.md step 4); local inhibition has no single k.
    if (sp.params.global_inhibition)
        d["k"] = static_cast<std::uint64_t>(htmhw::inhibition_density(sp.params, sp.inhibition_radius, sp.num_columns) *
                                            static_cast<double>(sp.num_columns));
    else
        d["k"] = py::none();
    return d;
}

std::vector<std::uint16_t> perm_words(const SpFixed& sp) {
    if (sp.hw.permanence_bits <= 8) return std::vector<std::uint16_t>(sp.perm8.begin(), sp.perm8.end());
    return sp.perm16;
}

// Dense (columns x inputs) view of a per-synapse quantity, via the potential bits.
template <class T, class F>
py::array_t<T> dense(const SpFixed& sp, F value) {
    py::array_t<T> out({static_cast<py::ssize_t>(sp.num_columns), static_cast<py::ssize_t>(sp.num_inputs)});
    T* o = out.mutable_data();
    std::fill(o, o + out.size(), T(0));
    for (std::uint32_t c = 0; c < sp.num_columns; ++c) {
        std::uint64_t k = sp.perm_offsets[c];
        for (std::uint32_t w = 0; w < sp.input_words; ++w)
            for (std::uint64_t b = sp.potential_bits[static_cast<std::size_t>(c) * sp.input_words + w]; b; b &= b - 1)
                o[static_cast<std::size_t>(c) * sp.num_inputs + w * 64 + __builtin_ctzll(b)] = value(k++);
    }
    return out;
}

template <class T>
py::array_t<T> words_array(const std::vector<std::uint64_t>& v) {
    return to_numpy(std::vector<T>(v.begin(), v.end()));
}

py::dict device_read_to_dict(const htmhw::DeviceRead& m) {
    py::dict d;
    d["levels"] = m.levels;
    d["nonlinearity_ltp"] = m.nonlinearity_ltp;
    d["nonlinearity_ltd"] = m.nonlinearity_ltd;
    d["d2d_sigma"] = m.d2d_sigma;
    d["c2c_sigma"] = m.c2c_sigma;
    d["seed"] = m.seed;
    return d;
}

htmhw::DeviceRead device_read_from_dict(const py::dict& d) {
    htmhw::DeviceRead m;
    m.levels = take<std::uint32_t>(d, "levels");
    m.nonlinearity_ltp = take<float>(d, "nonlinearity_ltp");
    m.nonlinearity_ltd = take<float>(d, "nonlinearity_ltd");
    m.d2d_sigma = take<float>(d, "d2d_sigma");
    m.c2c_sigma = take<float>(d, "c2c_sigma");
    m.seed = take<std::uint64_t>(d, "seed");
    return m;
}

py::dict get_state(const SpFixed& sp) {
    py::dict d;
    d["params"] = params_to_dict(sp.params);
    d["hw"] = hw_to_dict(sp.hw);
    d["iteration_num"] = sp.iteration_num;
    d["iteration_learn_num"] = sp.iteration_learn_num;
    d["inhibition_radius"] = sp.inhibition_radius;
    d["potential_bits"] = to_numpy(sp.potential_bits);
    d["perm_offsets"] = to_numpy(sp.perm_offsets);
    d["permanences"] = to_numpy(perm_words(sp));
    d["overlap_duty"] = to_numpy(sp.overlap_duty);
    d["active_duty"] = to_numpy(sp.active_duty);
    d["min_overlap_duty"] = to_numpy(sp.min_overlap_duty);
    d["boost"] = to_numpy(sp.boost);
    d["overlaps"] = to_numpy(sp.overlaps);
    d["boosted"] = to_numpy(sp.boosted);
    if (!sp.stuck_on_bits.empty()) {  // only a pooler with crossbar read faults carries them
        d["stuck_on_bits"] = to_numpy(sp.stuck_on_bits);
        d["stuck_off_bits"] = to_numpy(sp.stuck_off_bits);
    }
    if (sp.device.levels) {  // only a pooler reading through a non-ideal device carries it
        d["device_read"] = device_read_to_dict(sp.device);
        d["device_cell_level"] = to_numpy(sp.cell_level);
        d["device_cell_g"] = to_numpy(sp.cell_g);
    }
    return d;
}

template <class T>
void load_vec(const py::dict& d, const char* key, std::vector<T>& out) {
    auto a = take<carray<T>>(d, key);
    if (a.ndim() != 1) throw std::invalid_argument(std::string("invalid saved state: ") + key + " must be 1-D");
    out.assign(a.data(), a.data() + a.size());
}

std::unique_ptr<PyFixed> from_state(const py::dict& d) {
    auto obj = std::make_unique<PyFixed>();
    SpFixed& sp = obj->sp;
    sp.params = params_from_dict(d["params"].cast<py::dict>());
    sp.hw = hw_from_dict(d["hw"].cast<py::dict>());
    sp.iteration_num = take<std::uint64_t>(d, "iteration_num");
    sp.iteration_learn_num = take<std::uint64_t>(d, "iteration_learn_num");
    sp.inhibition_radius = take<std::uint32_t>(d, "inhibition_radius");
    load_vec(d, "potential_bits", sp.potential_bits);
    load_vec(d, "perm_offsets", sp.perm_offsets);
    std::vector<std::uint16_t> perms;
    load_vec(d, "permanences", perms);
    if (sp.hw.permanence_bits <= 8) {
        for (auto v : perms)
            if (v > 255) throw std::invalid_argument("invalid saved state: a permanence exceeds 2^permanence_bits - 1");
        sp.perm8.assign(perms.begin(), perms.end());
    } else {
        sp.perm16 = std::move(perms);
    }
    load_vec(d, "overlap_duty", sp.overlap_duty);
    load_vec(d, "active_duty", sp.active_duty);
    load_vec(d, "min_overlap_duty", sp.min_overlap_duty);
    load_vec(d, "boost", sp.boost);
    load_vec(d, "overlaps", sp.overlaps);
    load_vec(d, "boosted", sp.boosted);
    sp.num_columns = 0;  // re-derived and checked
    htmhw::sp_fixed_rebuild_and_check(sp);
    if (d.contains("stuck_on_bits") || d.contains("stuck_off_bits")) {
        std::vector<std::uint64_t> on, off;
        load_vec(d, "stuck_on_bits", on);
        load_vec(d, "stuck_off_bits", off);
        htmhw::sp_fixed_set_read_faults(sp, std::move(on), std::move(off));
    }
    if (d.contains("device_read")) {
        std::vector<std::uint16_t> levels;
        std::vector<float> g;
        load_vec(d, "device_cell_level", levels);
        load_vec(d, "device_cell_g", g);
        htmhw::sp_fixed_restore_device_read(sp, device_read_from_dict(d["device_read"].cast<py::dict>()), levels, g);
    }
    return obj;
}

// One 0/1 learn flag per input row; returns the flags.
const std::uint8_t* check_learn_flags(const carray<std::uint8_t>& flags, std::size_t rows) {
    if (flags.ndim() != 1 || static_cast<std::size_t>(flags.size()) != rows)
        throw std::invalid_argument("learn must be a 1-D array with one flag per input row (" + std::to_string(rows) +
                                    ")");
    check_binary(flags.data(), rows, "learn");
    return flags.data();
}

}  // namespace

void init_datapath(py::module_& m) {
    m.def("hw_validate", [](const py::dict& hw) { htmhw::validate(hw_from_dict(hw)); });
    py::class_<PyFixed>(m, "SpatialPoolerFixed")
        .def(py::init([](const py::dict& params, const py::dict& hw) {
                 auto obj = std::make_unique<PyFixed>();
                 htmhw::SpParams p = params_from_dict(params);
                 HwConfig h = hw_from_dict(hw);
                 {
                     py::gil_scoped_release release;
                     obj->sp = htmhw::sp_fixed_create(p, h);
                 }
                 return obj;
             }),
             py::arg("params"), py::arg("hw"))
        .def_property_readonly("params", [](const PyFixed& s) { ObjectLock lock(s.mutex); return params_to_dict(s.sp.params); })
        .def_property_readonly("hw", [](const PyFixed& s) { ObjectLock lock(s.mutex); return hw_to_dict(s.sp.hw); })
        .def_property_readonly("constants", [](const PyFixed& s) { ObjectLock lock(s.mutex); return constants(s.sp); })
        .def("set_param",
             [](PyFixed& s, const std::string& name, py::object value) {
                 ObjectLock lock(s.mutex);
                 py::dict d = params_to_dict(s.sp.params);
                 if (!d.contains(name.c_str())) throw std::invalid_argument("unknown parameter " + name);
                 for (const char* init_only : {"input_dimensions", "column_dimensions", "potential_radius",
                                               "potential_pct", "seed"})
                     if (name == init_only)
                         throw std::invalid_argument(name + " only takes effect at construction; it cannot be changed");
                 d[name.c_str()] = value;
                 SpFixed copy = s.sp;
                 copy.params = params_from_dict(d);
                 htmhw::sp_fixed_rebuild_and_check(copy);
                 // A saved state's radius may have shrunk during learning; only a change of
                 // the inhibition parameters is checked against it.
                 if (name == "local_area_density" || name == "num_active_columns_per_inh_area" ||
                     name == "global_inhibition")
                     htmhw::check_some_column_can_win(copy.params, copy.inhibition_radius, copy.column_dims,
                                                      copy.num_columns);
                 s.sp = std::move(copy);
             })
        .def_property_readonly("num_inputs", [](const PyFixed& s) { ObjectLock lock(s.mutex); return s.sp.num_inputs; })
        .def_property_readonly("num_columns", [](const PyFixed& s) { ObjectLock lock(s.mutex); return s.sp.num_columns; })
        .def_property(
            "iteration_num", [](const PyFixed& s) { ObjectLock lock(s.mutex); return s.sp.iteration_num; },
            [](PyFixed& s, std::uint64_t v) { ObjectLock lock(s.mutex); s.sp.iteration_num = v; })
        .def_property(
            "iteration_learn_num", [](const PyFixed& s) { ObjectLock lock(s.mutex); return s.sp.iteration_learn_num; },
            [](PyFixed& s, std::uint64_t v) { ObjectLock lock(s.mutex); s.sp.iteration_learn_num = v; })
        .def_property(
            "inhibition_radius", [](const PyFixed& s) { ObjectLock lock(s.mutex); return s.sp.inhibition_radius; },
            [](PyFixed& s, std::uint32_t v) { ObjectLock lock(s.mutex); s.sp.inhibition_radius = v; })
        .def(
            "set_read_faults",
            [](PyFixed& s, const carray<std::uint8_t>& stuck_on, const carray<std::uint8_t>& stuck_off) {
                // Dense (columns, inputs) 0/1 masks, packed here; two empty arrays clear the faults.
                ObjectLock lock(s.mutex);
                SpFixed& sp = s.sp;
                if (stuck_on.size() == 0 && stuck_off.size() == 0) {
                    htmhw::sp_fixed_set_read_faults(sp, {}, {});
                    return;
                }
                for (const auto* m : {&stuck_on, &stuck_off}) {
                    if (m->ndim() != 2 || static_cast<std::size_t>(m->shape(0)) != sp.num_columns ||
                        static_cast<std::size_t>(m->shape(1)) != sp.num_inputs)
                        throw std::invalid_argument("stuck-at masks must have shape (num_columns, num_inputs) = (" +
                                                    std::to_string(sp.num_columns) + ", " +
                                                    std::to_string(sp.num_inputs) + ")");
                    check_binary(m->data(), static_cast<std::size_t>(m->size()), "stuck-at mask");
                }
                auto pack = [&](const carray<std::uint8_t>& m) {
                    std::vector<std::uint64_t> bits(static_cast<std::size_t>(sp.num_columns) * sp.input_words, 0);
                    for (std::size_t c = 0; c < sp.num_columns; ++c)
                        for (std::size_t i = 0; i < sp.num_inputs; ++i)
                            if (m.data()[c * sp.num_inputs + i]) bits[c * sp.input_words + i / 64] |= 1ULL << (i % 64);
                    return bits;
                };
                htmhw::sp_fixed_set_read_faults(sp, pack(stuck_on), pack(stuck_off));
            },
            py::arg("stuck_on").noconvert(), py::arg("stuck_off").noconvert())
        .def(
            "set_device_read",
            [](PyFixed& s, const py::dict& model) {
                const htmhw::DeviceRead m = device_read_from_dict(model);
                py::gil_scoped_release release;
                std::lock_guard<std::mutex> lock(s.mutex);
                htmhw::sp_fixed_set_device_read(s.sp, m);
            },
            py::arg("model"),
            "Reads overlaps through non-ideal crossbar cells (keys levels, nonlinearity_ltp, nonlinearity_ltd, "
            "d2d_sigma, c2c_sigma, "
            "seed; levels 0 = the ideal read).")
        .def_property_readonly("device_read",
                               [](const PyFixed& s) -> py::object {
                 ObjectLock lock(s.mutex);
                                   if (!s.sp.device.levels) return py::none();
                                   return device_read_to_dict(s.sp.device);
                               })
        .def_property_readonly("has_read_faults",
                               [](const PyFixed& s) { ObjectLock lock(s.mutex); return !s.sp.stuck_on_bits.empty() || s.sp.device.levels != 0; })
        .def("set_portable_kernels", [](PyFixed& s, bool on) { ObjectLock lock(s.mutex); s.ws.portable_kernels = on; },
             "Testing hook: use the portable kernels instead of BMI2/AVX-512 (identical results).")
        .def(
            "compute_batch",
            [](PyFixed& s, const carray<std::uint8_t>& x, bool learn) {
                std::size_t rows = 0;
                const std::uint8_t* data = check_input_matrix(x, s.sp, rows);
                std::vector<std::vector<std::uint32_t>> per_row(rows);
                {
                    py::gil_scoped_release release;
                    std::lock_guard<std::mutex> lock(s.mutex);
                    for (std::size_t r = 0; r < rows; ++r)
                        htmhw::sp_fixed_compute(s.sp, data + r * s.sp.num_inputs, learn, s.ws, per_row[r]);
                }
                return rows_to_csr(per_row);
            },
            py::arg("inputs").noconvert(), py::arg("learn"))
        .def(
            "infer_batch",
            [](const PyFixed& s, const carray<std::uint8_t>& x, int n_threads) {
                const unsigned threads = check_threads(n_threads);
                std::size_t rows = 0;
                const std::uint8_t* data = check_input_matrix(x, s.sp, rows);
                std::vector<std::vector<std::uint32_t>> per_row(rows);
                {
                    py::gil_scoped_release release;
                    std::lock_guard<std::mutex> lock(s.mutex);
                    parallel_for(rows, threads, [&](std::size_t begin, std::size_t end) {
                        htmhw::SpFixedWorkspace ws;
                        std::vector<std::uint32_t> overlaps(s.sp.num_columns);
                        for (std::size_t r = begin; r < end; ++r)
                            htmhw::sp_fixed_infer(s.sp, data + r * s.sp.num_inputs, ws, overlaps.data(), per_row[r]);
                    });
                }
                return rows_to_csr(per_row);
            },
            py::arg("inputs").noconvert(), py::arg("n_threads") = 1)
        .def(
            "trace_batch",
            // Every step's outputs and, after each learning step, the state a
            // testbench checks (docs/golden.md), in one call with the GIL released.
            [](PyFixed& s, const carray<std::uint8_t>& x, const carray<std::uint8_t>& learn_flags) {
                std::size_t rows = 0;
                const std::uint8_t* data = check_input_matrix(x, s.sp, rows);
                const std::uint8_t* learn = check_learn_flags(learn_flags, rows);
                std::size_t n_learn = 0;
                for (std::size_t r = 0; r < rows; ++r) n_learn += learn[r];
                SpFixed& sp = s.sp;
                const std::size_t C = sp.num_columns;
                const std::size_t Cm = sp.params.global_inhibition ? 1 : C;
                py::array_t<std::uint16_t> overlap({rows, C});
                py::array_t<std::uint32_t> boosted({rows, C});
                py::array_t<std::uint8_t> winners({rows, C});
                py::array_t<std::uint16_t> overlap_duty({n_learn, C}), active_duty({n_learn, C});
                py::array_t<std::uint16_t> min_duty({n_learn, Cm});
                py::array_t<std::uint32_t> boost({n_learn, C});
                std::vector<std::uint64_t> written_offset{0}, written_perm_offset{0};
                std::vector<std::uint32_t> written_column;
                std::vector<std::uint16_t> written_perm;
                {
                    std::uint16_t* o_ov = overlap.mutable_data();
                    std::uint32_t* o_bo = boosted.mutable_data();
                    std::uint8_t* o_wi = winners.mutable_data();
                    std::uint16_t* o_vd = overlap_duty.mutable_data();
                    std::uint16_t* o_ad = active_duty.mutable_data();
                    std::uint16_t* o_md = min_duty.mutable_data();
                    std::uint32_t* o_b = boost.mutable_data();
                    py::gil_scoped_release release;
                    std::lock_guard<std::mutex> lock(s.mutex);
                    std::fill(o_wi, o_wi + rows * C, std::uint8_t(0));
                    std::vector<std::uint32_t> win, written;
                    std::size_t l = 0;
                    for (std::size_t r = 0; r < rows; ++r) {
                        htmhw::sp_fixed_compute(sp, data + r * sp.num_inputs, learn[r] != 0, s.ws, win);
                        std::copy(sp.overlaps.begin(), sp.overlaps.end(), o_ov + r * C);
                        std::copy(sp.boosted.begin(), sp.boosted.end(), o_bo + r * C);
                        for (std::uint32_t c : win) o_wi[r * C + c] = 1;
                        if (!learn[r]) continue;
                        std::copy(sp.overlap_duty.begin(), sp.overlap_duty.end(), o_vd + l * C);
                        std::copy(sp.active_duty.begin(), sp.active_duty.end(), o_ad + l * C);
                        std::copy(sp.min_overlap_duty.begin(), sp.min_overlap_duty.begin() + Cm, o_md + l * Cm);
                        std::copy(sp.boost.begin(), sp.boost.end(), o_b + l * C);
                        written.clear();
                        std::set_union(win.begin(), win.end(), s.ws.bumped.begin(), s.ws.bumped.end(),
                                       std::back_inserter(written));
                        for (std::uint32_t c : written) {
                            written_column.push_back(c);
                            for (std::uint64_t k = sp.perm_offsets[c]; k < sp.perm_offsets[c + 1]; ++k)
                                written_perm.push_back(static_cast<std::uint16_t>(htmhw::sp_fixed_perm(sp, k)));
                        }
                        written_offset.push_back(written_column.size());
                        written_perm_offset.push_back(written_perm.size());
                        ++l;
                    }
                }
                py::dict d;
                d["overlap"] = overlap;
                d["boosted"] = boosted;
                d["winners"] = winners;
                d["overlap_duty"] = overlap_duty;
                d["active_duty"] = active_duty;
                d["min_overlap_duty"] = min_duty;
                d["boost"] = boost;
                d["written_offset"] = to_numpy(written_offset);
                d["written_column"] = to_numpy(written_column);
                d["written_perm_offset"] = to_numpy(written_perm_offset);
                d["written_perm"] = to_numpy(written_perm);
                return d;
            },
            py::arg("inputs").noconvert(), py::arg("learn").noconvert())
        .def(
            "hdl_cycles",
            // Runs the steps (the pooler advances) and returns hdl_ref's cycles per step by
            // phase: overlap, kwta, duty_boost, permanence, finish (hdl_cycles.hpp).
            [](PyFixed& s, const carray<std::uint8_t>& x, const carray<std::uint8_t>& learn_flags,
               std::uint32_t synapse_lanes) {
                std::size_t rows = 0;
                const std::uint8_t* data = check_input_matrix(x, s.sp, rows);
                const std::uint8_t* learn = check_learn_flags(learn_flags, rows);
                if (synapse_lanes < 1 || synapse_lanes > 64)
                    throw std::invalid_argument("synapse_lanes must be in [1, 64]; got " +
                                                std::to_string(synapse_lanes));
                py::array_t<std::uint64_t> cycles({rows, std::size_t(5)});
                std::uint64_t* out = cycles.mutable_data();
                {
                    py::gil_scoped_release release;
                    std::lock_guard<std::mutex> lock(s.mutex);
                    std::vector<std::uint32_t> win;
                    for (std::size_t r = 0; r < rows; ++r) {
                        htmhw::sp_fixed_compute(s.sp, data + r * s.sp.num_inputs, learn[r] != 0, s.ws, win);
                        const htmhw::HdlCycles cy = htmhw::hdl_step_cycles(s.sp, learn[r] != 0, win, s.ws, synapse_lanes);
                        const std::uint64_t row[5] = {cy.overlap, cy.kwta, cy.duty_boost, cy.permanence, cy.finish};
                        std::copy(row, row + 5, out + r * 5);
                    }
                }
                return cycles;
            },
            py::arg("inputs").noconvert(), py::arg("learn").noconvert(), py::arg("synapse_lanes"))
        .def(
            "crossbar_run",
            // Runs the steps (the pooler advances) on the crossbar mapping of
            // docs/crossbar.md and returns per-step costs and the layout.
            [](PyFixed& s, const carray<std::uint8_t>& x, const carray<std::uint8_t>& learn_flags,
               const py::dict& device, const py::dict& array, const py::dict& periphery) {
                std::size_t rows = 0;
                const std::uint8_t* data = check_input_matrix(x, s.sp, rows);
                const std::uint8_t* learn = check_learn_flags(learn_flags, rows);
                const auto d = crossbar_dicts::device_from(device);
                const auto a = crossbar_dicts::array_from(array);
                const auto p = crossbar_dicts::periphery_from(periphery);
                std::vector<htmhw::CrossbarStepCost> costs;
                htmhw::CrossbarLayout layout;
                {
                    py::gil_scoped_release release;
                    std::lock_guard<std::mutex> lock(s.mutex);
                    layout = htmhw::crossbar_layout(s.sp, d, a, p);
                    costs = htmhw::crossbar_run(s.sp, data, learn, rows, d, a, p, s.ws);
                }
                auto column = [&](auto member) {
                    using T = std::decay_t<decltype(costs[0].*member)>;
                    std::vector<T> v(costs.size());
                    for (std::size_t i = 0; i < costs.size(); ++i) v[i] = costs[i].*member;
                    return to_numpy(v);
                };
                using C = htmhw::CrossbarStepCost;
                py::dict out;
                out["read_energy_pj"] = column(&C::read_energy_pj);
                out["read_latency_ns"] = column(&C::read_latency_ns);
                out["sense_energy_pj"] = column(&C::sense_energy_pj);
                out["digital_energy_pj"] = column(&C::digital_energy_pj);
                out["digital_latency_ns"] = column(&C::digital_latency_ns);
                out["write_energy_pj"] = column(&C::write_energy_pj);
                out["write_latency_ns"] = column(&C::write_latency_ns);
                out["active_rows"] = column(&C::active_rows);
                out["potentiation_pulses"] = column(&C::potentiation_pulses);
                out["depression_pulses"] = column(&C::depression_pulses);
                out["cells_written"] = column(&C::cells_written);
                py::dict lay;
                lay["row_tiles"] = layout.row_tiles;
                lay["column_tiles"] = layout.column_tiles;
                lay["cells_area_um2"] = layout.cells_area_um2;
                lay["drivers_area_um2"] = layout.drivers_area_um2;
                lay["sense_area_um2"] = layout.sense_area_um2;
                lay["digital_area_um2"] = layout.digital_area_um2;
                out["layout"] = lay;
                return out;
            },
            py::arg("inputs").noconvert(), py::arg("learn").noconvert(), py::arg("device"), py::arg("array"),
            py::arg("periphery"))
        .def(
            "trace_step",
            [](PyFixed& s, const carray<std::uint8_t>& x, bool learn) {
                std::size_t rows = 0;
                const std::uint8_t* data = check_input_matrix(x, s.sp, rows);
                if (rows != 1) throw std::invalid_argument("trace_step takes exactly one input");
                ObjectLock lock(s.mutex);
                const std::vector<std::uint16_t> before = perm_words(s.sp);
                std::vector<std::uint32_t> winners;
                htmhw::sp_fixed_compute(s.sp, data, learn, s.ws, winners);
                const std::vector<std::uint16_t> after = perm_words(s.sp);
                std::vector<std::int32_t> delta(after.size());
                for (std::size_t i = 0; i < after.size(); ++i)
                    delta[i] = static_cast<std::int32_t>(after[i]) - static_cast<std::int32_t>(before[i]);
                py::dict d;
                d["overlaps"] = to_numpy(s.sp.overlaps);
                d["boosted_overlaps"] = to_numpy(s.sp.boosted);
                d["winners"] = to_numpy(winners);
                d["permanence_delta"] = to_numpy(delta);
                d["bumped_columns"] = to_numpy(s.ws.bumped);
                d["overlap_duty"] = to_numpy(s.sp.overlap_duty);
                d["active_duty"] = to_numpy(s.sp.active_duty);
                d["min_overlap_duty"] = to_numpy(s.sp.min_overlap_duty);
                d["boost"] = to_numpy(s.sp.boost);
                d["iteration_num"] = s.sp.iteration_num;
                d["inhibition_radius"] = s.sp.inhibition_radius;
                return d;
            },
            py::arg("inputs").noconvert(), py::arg("learn"))
        .def("permanences_q_dense",
             [](const PyFixed& s) {
                 ObjectLock lock(s.mutex);
                 return dense<std::uint16_t>(s.sp, [&](std::uint64_t k) {
                     return static_cast<std::uint16_t>(htmhw::sp_fixed_perm(s.sp, k));
                 });
             })
        .def("connected_dense",
             [](const PyFixed& s) {
                 ObjectLock lock(s.mutex);
                 return dense<std::uint8_t>(s.sp, [&](std::uint64_t k) -> std::uint8_t {
                     return htmhw::sp_fixed_perm(s.sp, k) >= s.sp.q.conn_q ? 1 : 0;
                 });
             })
        .def("read_connected_dense",
             [](const PyFixed& s) {
                 ObjectLock lock(s.mutex);
                 // What the overlap counts: device read (or connected bits) with stuck-at cells.
                 const SpFixed& sp = s.sp;
                 const auto& bits = sp.device.levels ? sp.device_bits : sp.connected_bits;
                 const bool stuck = !sp.stuck_on_bits.empty();
                 py::array_t<std::uint8_t> out({static_cast<py::ssize_t>(sp.num_columns),
                                                static_cast<py::ssize_t>(sp.num_inputs)});
                 auto o = out.mutable_unchecked<2>();
                 for (std::uint32_t c = 0; c < sp.num_columns; ++c)
                     for (std::uint32_t i = 0; i < sp.num_inputs; ++i) {
                         const std::size_t w = static_cast<std::size_t>(c) * sp.input_words + i / 64;
                         std::uint64_t word = bits[w];
                         if (stuck) word = (word & ~sp.stuck_off_bits[w]) | sp.stuck_on_bits[w];
                         o(c, i) = static_cast<std::uint8_t>((word >> (i % 64)) & 1);
                     }
                 return out;
             })
        .def("potential_dense",
             [](const PyFixed& s) { ObjectLock lock(s.mutex); return dense<std::uint8_t>(s.sp, [](std::uint64_t) -> std::uint8_t { return 1; }); })
        .def("permanence_memory", [](const PyFixed& s) { ObjectLock lock(s.mutex); return to_numpy(perm_words(s.sp)); })
        .def("perm_offsets", [](const PyFixed& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.perm_offsets); })
        .def("potential_bits", [](const PyFixed& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.potential_bits); })
        .def("connected_bits", [](const PyFixed& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.connected_bits); })
        .def("connected_counts", [](const PyFixed& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.connected_counts); })
        .def("overlaps", [](const PyFixed& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.overlaps); })
        .def("boosted_overlaps_q", [](const PyFixed& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.boosted); })
        .def("boost_q", [](const PyFixed& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.boost); })
        .def("overlap_duty_q", [](const PyFixed& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.overlap_duty); })
        .def("active_duty_q", [](const PyFixed& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.active_duty); })
        .def("min_overlap_duty_q", [](const PyFixed& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.min_overlap_duty); })
        .def("boost_lut", [](const PyFixed& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.q.boost_lut); })
        .def("set_column_permanences_q",
             [](PyFixed& s, std::int64_t column, const carray<std::uint32_t>& words) {
                 check_column(s.sp, column);
                 const auto c = static_cast<std::uint32_t>(column);
                 const auto n = s.sp.perm_offsets[c + 1] - s.sp.perm_offsets[c];
                 ObjectLock lock(s.mutex);
                 htmhw::sp_fixed_set_column(s.sp, c, to_vector<std::uint32_t>(words, "permanence words", n));
             })
        .def("get_state", [](const PyFixed& s) { ObjectLock lock(s.mutex); return get_state(s.sp); })
        .def_static("from_state", &from_state);
}
