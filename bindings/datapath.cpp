// Binding of the fixed-point datapath (docs/datapath.md). Converts and
// validates; all logic lives in cpp/.
#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>

#include "common.hpp"
#include "crossbar_dicts.hpp"
#include "htmhw/crossbar_read.hpp"
#include "htmhw/datapath.hpp"
#include "htmhw/fixed_trace.hpp"
#include "htmhw/hdl_cycles.hpp"
#include "pooler_common.hpp"
#include "sp_shared.hpp"

using htmhw::HwConfig;
using htmhw::SpFixed;

namespace {

struct PyFixed {
    using Workspace = htmhw::SpFixedWorkspace;
    SpFixed sp;
    std::optional<htmhw::CrossbarRead> crossbar;  // the read the overlap goes through; none = the contract's
    Workspace ws;
    mutable std::mutex mutex;  // one call at a time per object: ObjectLock (GIL held) or lock_guard (GIL released)

    htmhw::CrossbarRead* read() { return crossbar ? &*crossbar : nullptr; }
    const htmhw::CrossbarRead* read() const { return crossbar ? &*crossbar : nullptr; }
    void step(const std::uint8_t* input, bool learn, std::vector<std::uint32_t>& winners) {
        htmhw::sp_fixed_step(sp, read(), input, learn, ws, winners);
    }
    void infer(const std::uint8_t* input, Workspace& w, std::uint32_t* overlaps,
               std::vector<std::uint32_t>& winners) const {
        htmhw::sp_fixed_infer(sp, input, w, overlaps, winners, htmhw::read_bits_of(read()));
    }
    void set_params(const htmhw::SpParams& p, bool inhibition_changed) {
        SpFixed next = htmhw::sp_fixed_with_params(sp, p, inhibition_changed);
        if (crossbar) htmhw::crossbar_read_rederive(*crossbar, next);
        sp = std::move(next);
    }
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
        d["k"] = htmhw::sp_fixed_global_winners(sp);
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

// The cell model's fields, as the Python side names them (crossbar.attach_device).
constexpr const char* kCellModelKeys[] = {"levels", "nonlinearity_ltp", "nonlinearity_ltd", "d2d_sigma", "c2c_sigma",
                                          "seed"};

// The arrays of a saved read, besides the model's fields.
constexpr const char* kCrossbarStateKeys[] = {"cell_level", "cell_conductance", "stuck_on_bits", "stuck_off_bits"};

// with_state: the dict is a saved read (crossbar_read_to_dict), else the model alone.
htmhw::CellModel cell_model_from_dict(const py::dict& d, bool with_state) {
    auto is_one_of = [](const std::string& key, const auto& keys) {
        return std::any_of(std::begin(keys), std::end(keys), [&](const char* k) { return key == k; });
    };
    for (auto item : d) {
        const auto key = py::cast<std::string>(item.first);
        if (!is_one_of(key, kCellModelKeys) && !(with_state && is_one_of(key, kCrossbarStateKeys)))
            throw std::invalid_argument("crossbar read model: unknown field '" + key + "'");
    }
    htmhw::CellModel m;
    m.levels = take<std::uint32_t>(d, "levels");
    m.nonlinearity_ltp = take<float>(d, "nonlinearity_ltp");
    m.nonlinearity_ltd = take<float>(d, "nonlinearity_ltd");
    m.d2d_sigma = take<float>(d, "d2d_sigma");
    m.c2c_sigma = take<float>(d, "c2c_sigma");
    m.seed = take<std::uint64_t>(d, "seed");
    return m;
}

// The read's saved form: the model's fields and its state arrays.
py::dict crossbar_read_to_dict(const htmhw::CrossbarRead& r) {
    py::dict d;
    d["levels"] = r.model.levels;
    d["nonlinearity_ltp"] = r.model.nonlinearity_ltp;
    d["nonlinearity_ltd"] = r.model.nonlinearity_ltd;
    d["d2d_sigma"] = r.model.d2d_sigma;
    d["c2c_sigma"] = r.model.c2c_sigma;
    d["seed"] = r.model.seed;
    d["cell_level"] = to_numpy(r.cell_level);
    d["cell_conductance"] = to_numpy(r.cell_conductance);
    d["stuck_on_bits"] = to_numpy(r.stuck_on_bits);
    d["stuck_off_bits"] = to_numpy(r.stuck_off_bits);
    return d;
}

// The contract's state (docs/datapath.md), plus "crossbar_read" when one is attached.
py::dict get_state(const PyFixed& s) {
    const SpFixed& sp = s.sp;
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
    if (s.crossbar) d["crossbar_read"] = crossbar_read_to_dict(*s.crossbar);
    return d;
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
    if (d.contains("crossbar_read")) {
        const auto r = d["crossbar_read"].cast<py::dict>();
        std::vector<std::uint64_t> on, off;
        std::vector<std::uint16_t> levels;
        std::vector<float> g;
        load_vec(r, "stuck_on_bits", on);
        load_vec(r, "stuck_off_bits", off);
        load_vec(r, "cell_level", levels);
        load_vec(r, "cell_conductance", g);
        obj->crossbar = htmhw::crossbar_read_restore(sp, cell_model_from_dict(r, true), std::move(on), std::move(off),
                                                     std::move(levels), std::move(g));
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

// Dense (num_columns, num_inputs) 0/1 mask -> columns x input_words bit rows.
std::vector<std::uint64_t> pack_columns(const SpFixed& sp, const carray<std::uint8_t>& m, const char* name) {
    if (m.ndim() != 2 || static_cast<std::size_t>(m.shape(0)) != sp.num_columns ||
        static_cast<std::size_t>(m.shape(1)) != sp.num_inputs)
        throw std::invalid_argument(std::string(name) + " must have shape (num_columns, num_inputs) = (" +
                                    std::to_string(sp.num_columns) + ", " + std::to_string(sp.num_inputs) + ")");
    check_binary(m.data(), static_cast<std::size_t>(m.size()), name);
    std::vector<std::uint64_t> bits(static_cast<std::size_t>(sp.num_columns) * sp.input_words, 0);
    for (std::size_t c = 0; c < sp.num_columns; ++c)
        for (std::size_t i = 0; i < sp.num_inputs; ++i)
            if (m.data()[c * sp.num_inputs + i]) bits[c * sp.input_words + i / 64] |= 1ULL << (i % 64);
    return bits;
}

// Columns x input_words bit rows -> dense (num_columns, num_inputs) uint8.
py::array_t<std::uint8_t> unpack_columns(const SpFixed& sp, const std::uint64_t* bits) {
    py::array_t<std::uint8_t> out({static_cast<py::ssize_t>(sp.num_columns), static_cast<py::ssize_t>(sp.num_inputs)});
    auto o = out.mutable_unchecked<2>();
    for (std::uint32_t c = 0; c < sp.num_columns; ++c)
        for (std::uint32_t i = 0; i < sp.num_inputs; ++i)
            o(c, i) = static_cast<std::uint8_t>((bits[static_cast<std::size_t>(c) * sp.input_words + i / 64] >> (i % 64)) & 1);
    return out;
}

template <class T>
py::array_t<T> matrix(const std::vector<T>& v, std::size_t rows, std::size_t columns) {
    py::array_t<T> out({rows, columns});
    if (!v.empty()) std::copy(v.begin(), v.end(), out.mutable_data());
    return out;
}

}  // namespace

void init_datapath(py::module_& m) {
    m.def("hw_validate", [](const py::dict& hw) { htmhw::validate(hw_from_dict(hw)); }, py::arg("hw"));
    py::class_<PyFixed> cls(m, "SpatialPoolerFixed");
    cls.def(py::init([](const py::dict& params, const py::dict& hw) {
            auto obj = std::make_unique<PyFixed>();
            htmhw::SpParams p = params_from_dict(params);
            HwConfig h = hw_from_dict(hw);
            {
                py::gil_scoped_release release;
                obj->sp = htmhw::sp_fixed_create(p, h);
            }
            return obj;
        }),
        py::arg("params"), py::arg("hw"));
    bind_pooler_common(cls);
    cls.def_property_readonly("hw", [](const PyFixed& s) { ObjectLock lock(s.mutex); return hw_to_dict(s.sp.hw); })
        .def_property_readonly("constants", [](const PyFixed& s) { ObjectLock lock(s.mutex); return constants(s.sp); })
        .def(
            "attach_crossbar_read",
            [](PyFixed& s, const py::dict& model, const carray<std::uint8_t>& stuck_on,
               const carray<std::uint8_t>& stuck_off) {
                const htmhw::CellModel cells = cell_model_from_dict(model, false);
                std::vector<std::uint64_t> on, off;
                if (stuck_on.size() != 0 || stuck_off.size() != 0) {
                    on = pack_columns(s.sp, stuck_on, "stuck_on");
                    off = pack_columns(s.sp, stuck_off, "stuck_off");
                }
                py::gil_scoped_release release;
                std::lock_guard<std::mutex> lock(s.mutex);
                s.crossbar = htmhw::crossbar_read_create(s.sp, cells, std::move(on), std::move(off));
            },
            py::arg("model"), py::arg("stuck_on").noconvert(), py::arg("stuck_off").noconvert(),
            "Reads overlaps through crossbar cells (model keys levels, nonlinearity_ltp, nonlinearity_ltd, "
            "d2d_sigma, c2c_sigma, seed; levels 0 = cells holding the ideal connected bits) with stuck-at "
            "(num_columns, num_inputs) 0/1 masks (two empty arrays = none), programmed to the present "
            "permanences.")
        .def("detach_crossbar_read",
             [](PyFixed& s) {
                 ObjectLock lock(s.mutex);
                 s.crossbar.reset();
             })
        .def_property_readonly("crossbar_read",
                               [](const PyFixed& s) -> py::object {
                                   ObjectLock lock(s.mutex);
                                   if (!s.crossbar) return py::none();
                                   return crossbar_read_to_dict(*s.crossbar);
                               })
        .def_property_readonly("has_crossbar_read",
                               [](const PyFixed& s) {
                                   ObjectLock lock(s.mutex);
                                   return s.crossbar.has_value();
                               })
        .def("set_portable_kernels", [](PyFixed& s, bool on) { ObjectLock lock(s.mutex); s.ws.portable_kernels = on; },
             py::arg("portable"), "Testing hook: use the portable kernels instead of BMI2/AVX-512 (identical results).")
        .def(
            "trace_batch",
            // Every step's outputs and, after each learning step, the state a
            // testbench checks (docs/golden.md), in one call with the GIL released.
            [](PyFixed& s, const carray<std::uint8_t>& x, const carray<std::uint8_t>& learn_flags) {
                std::size_t rows = 0;
                const std::uint8_t* data = check_input_matrix(x, s.sp, rows);
                const std::uint8_t* learn = check_learn_flags(learn_flags, rows);
                htmhw::FixedTrace t;
                {
                    py::gil_scoped_release release;
                    std::lock_guard<std::mutex> lock(s.mutex);
                    t = htmhw::sp_fixed_trace_batch(s.sp, s.read(), data, learn, rows, s.ws);
                }
                const std::size_t C = t.columns, L = t.learning_steps;
                py::dict d;
                d["overlap"] = matrix(t.overlap, rows, C);
                d["boosted"] = matrix(t.boosted, rows, C);
                d["winners"] = matrix(t.winners, rows, C);
                d["overlap_duty"] = matrix(t.overlap_duty, L, C);
                d["active_duty"] = matrix(t.active_duty, L, C);
                d["min_overlap_duty"] = matrix(t.min_overlap_duty, L, t.min_duty_columns);
                d["boost"] = matrix(t.boost, L, C);
                if (!s.sp.params.global_inhibition) {
                    d["inhibition_radius"] = to_numpy(t.inhibition_radius);
                    d["quota"] = matrix(t.quota, L, C);
                }
                d["written_offset"] = to_numpy(t.written_offset);
                d["written_column"] = to_numpy(t.written_column);
                d["written_perm_offset"] = to_numpy(t.written_perm_offset);
                d["written_perm"] = to_numpy(t.written_perm);
                return d;
            },
            py::arg("inputs").noconvert(), py::arg("learn").noconvert())
        .def(
            "hdl_cycles",
            // Runs the steps (the pooler advances) and returns hdl_ref's cycles per step by
            // phase: overlap, kwta, duty_boost, permanence, finish (hdl_cycles.hpp).
            [](PyFixed& s, const carray<std::uint8_t>& x, const carray<std::uint8_t>& learn_flags,
               std::uint32_t synapse_lanes, std::uint32_t column_lanes, std::uint32_t kwta_lanes) {
                std::size_t rows = 0;
                const std::uint8_t* data = check_input_matrix(x, s.sp, rows);
                const std::uint8_t* learn = check_learn_flags(learn_flags, rows);
                if (synapse_lanes < 1 || synapse_lanes > 4096)
                    throw std::invalid_argument("synapse_lanes must be in [1, 4096]; got " +
                                                std::to_string(synapse_lanes));
                if (column_lanes < 1 || kwta_lanes < column_lanes)
                    throw std::invalid_argument("column_lanes must be >= 1 and kwta_lanes >= column_lanes");
                py::array_t<std::uint64_t> cycles({rows, std::size_t(5)});
                std::uint64_t* out = cycles.mutable_data();
                {
                    py::gil_scoped_release release;
                    std::lock_guard<std::mutex> lock(s.mutex);
                    std::vector<std::uint32_t> win;
                    for (std::size_t r = 0; r < rows; ++r) {
                        s.step(data + r * s.sp.num_inputs, learn[r] != 0, win);
                        const htmhw::HdlCycles cy = htmhw::hdl_step_cycles(s.sp, learn[r] != 0, win, s.ws, synapse_lanes,
                                                                                 column_lanes, kwta_lanes);
                        const std::uint64_t row[5] = {cy.overlap, cy.kwta, cy.duty_boost, cy.permanence, cy.finish};
                        std::copy(row, row + 5, out + r * 5);
                    }
                }
                return cycles;
            },
            py::arg("inputs").noconvert(), py::arg("learn").noconvert(), py::arg("synapse_lanes"),
            py::arg("column_lanes") = 1, py::arg("kwta_lanes") = 1)
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
                    costs = htmhw::crossbar_run(s.sp, s.read(), data, learn, rows, d, a, p, s.ws);
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
                out["overlap_sum"] = column(&C::overlap_sum);
                out["winners"] = column(&C::winners);
                out["cycles_overlap"] = column(&C::cycles_overlap);
                out["cycles_kwta"] = column(&C::cycles_kwta);
                out["cycles_duty_boost"] = column(&C::cycles_duty_boost);
                out["cycles_permanence"] = column(&C::cycles_permanence);
                out["cycles_finish"] = column(&C::cycles_finish);
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
                s.step(data, learn, winners);
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
        .def("effective_connected_dense",
             [](const PyFixed& s) {
                 ObjectLock lock(s.mutex);
                 // What the overlap counts: the crossbar read's cells, or the connected bits.
                 return unpack_columns(s.sp, s.crossbar ? s.crossbar->effective_connected_bits.data()
                                                        : s.sp.connected_bits.data());
             })
        .def("potential_dense",
             [](const PyFixed& s) { ObjectLock lock(s.mutex); return dense<std::uint8_t>(s.sp, [](std::uint64_t) -> std::uint8_t { return 1; }); })
        .def("permanence_memory", [](const PyFixed& s) { ObjectLock lock(s.mutex); return to_numpy(perm_words(s.sp)); })
        .def("perm_offsets", [](const PyFixed& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.perm_offsets); })
        .def("potential_bits", [](const PyFixed& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.potential_bits); })
        .def("connected_bits", [](const PyFixed& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.connected_bits); })
        .def("boosted_overlaps_q", [](const PyFixed& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.boosted); })
        .def("boost_q", [](const PyFixed& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.boost); })
        .def("overlap_duty_q", [](const PyFixed& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.overlap_duty); })
        .def("active_duty_q", [](const PyFixed& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.active_duty); })
        .def("min_overlap_duty_q", [](const PyFixed& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.min_overlap_duty); })
        .def("boost_lut", [](const PyFixed& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.q.boost_lut); })
        .def("kwta_quotas",
             [](const PyFixed& s) { ObjectLock lock(s.mutex); return to_numpy(htmhw::sp_fixed_kwta_quotas(s.sp)); },
             "Per-column kWTA budget at the current inhibition radius (docs/datapath.md step 4; "
             "k for every column under global kWTA).")
        .def("set_column_permanences_q",
             [](PyFixed& s, std::int64_t column, const carray<std::uint32_t>& words) {
                 check_column(s.sp, column);
                 const auto c = static_cast<std::uint32_t>(column);
                 const auto n = s.sp.perm_offsets[c + 1] - s.sp.perm_offsets[c];
                 ObjectLock lock(s.mutex);
                 htmhw::sp_fixed_set_column(s.sp, c, to_vector<std::uint32_t>(words, "permanence words", n));
                 if (s.crossbar) htmhw::crossbar_read_follow(*s.crossbar, s.sp, &c, 1);
             },
             py::arg("column"), py::arg("words"))
        .def("get_state", [](const PyFixed& s) { ObjectLock lock(s.mutex); return get_state(s); })
        .def_static("from_state", &from_state, py::arg("state"));
}
