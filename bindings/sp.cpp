// Binding of the float reference spatial pooler. Converts and validates;
// all logic lives in cpp/.
#include <pybind11/stl.h>

#include <cmath>
#include <memory>
#include <mutex>

#include "common.hpp"
#include "htmhw/sp_float.hpp"
#include "pooler_common.hpp"
#include "sp_shared.hpp"

using htmhw::SpFloat;
using htmhw::SpParams;

namespace {

// One object, one compute at a time: concurrent calls on the same pooler from
// several Python threads are serialized (the GIL is released while computing).
struct PySp {
    using Workspace = htmhw::SpWorkspace;
    SpFloat sp;
    Workspace ws;
    mutable std::mutex mutex;  // one call at a time per object: ObjectLock (GIL held) or lock_guard (GIL released)

    void step(const std::uint8_t* input, bool learn, std::vector<std::uint32_t>& winners) {
        htmhw::sp_compute(sp, input, learn, ws, winners);
    }
    void infer(const std::uint8_t* input, Workspace& w, std::uint32_t* overlaps,
               std::vector<std::uint32_t>& winners) const {
        htmhw::sp_infer(sp, input, w, overlaps, winners);
    }
    void set_params(const SpParams& p, bool inhibition_changed) { sp = htmhw::sp_with_params(sp, p, inhibition_changed); }
};

template <class T, class F>
py::array_t<T> dense_rows(const SpFloat& sp, F value) {
    py::array_t<T> out({static_cast<py::ssize_t>(sp.num_columns), static_cast<py::ssize_t>(sp.num_inputs)});
    T* o = out.mutable_data();
    std::fill(o, o + out.size(), T(0));
    for (std::uint32_t c = 0; c < sp.num_columns; ++c)
        for (std::uint64_t k = sp.pool_offsets[c]; k < sp.pool_offsets[c + 1]; ++k)
            o[static_cast<std::size_t>(c) * sp.num_inputs + sp.pool_inputs[k]] = value(sp, k);
    return out;
}

std::vector<float> float_vector(const carray<float>& a, const char* name, std::size_t n, float lo, float hi) {
    auto v = to_vector<float>(a, name, n);
    for (float x : v)
        if (!(x >= lo && x <= hi))
            throw std::invalid_argument(std::string(name) + " values must be in [" + std::to_string(lo) + ", " +
                                        std::to_string(hi) + "]; got " + std::to_string(x));
    return v;
}

}  // namespace

void init_sp(py::module_& m) {
    m.def(
        "sp_size_estimate",
        [](const py::dict& params) {
            const auto e = htmhw::sp_size_estimate(params_from_dict(params));
            py::dict d;
            d["num_inputs"] = e.num_inputs;
            d["num_columns"] = e.num_columns;
            d["potential_synapses"] = e.potential_synapses;
            d["connected_bytes"] = e.connected_bytes;
            return d;
        },
        py::arg("params"),
        "Sizes a configuration implies, from the parameters alone (upper bound of the potential synapses, "
        "bytes of the connected-bit matrix); nothing is allocated.");
    py::class_<PySp> cls(m, "SpatialPoolerFloat");
    cls.def(py::init([](const py::dict& params) {
            auto obj = std::make_unique<PySp>();
            SpParams p = params_from_dict(params);
            {
                py::gil_scoped_release release;
                obj->sp = htmhw::sp_create(p);
            }
            return obj;
        }),
        py::arg("params"));
    bind_pooler_common(cls);
    cls.def_property_readonly("connected_threshold",
                               [](const PySp& s) {
                                   ObjectLock lock(s.mutex);
                                   return htmhw::connected_threshold(s.sp);
                               })
        .def_property_readonly("update_period", [](const PySp& s) { ObjectLock lock(s.mutex); return s.sp.update_period; })
        .def_property_readonly("syn_perm_trim_threshold", [](const PySp& s) { ObjectLock lock(s.mutex); return s.sp.syn_perm_trim_threshold; })
        .def_property_readonly("syn_perm_below_stimulus_inc",
                               [](const PySp& s) { ObjectLock lock(s.mutex); return s.sp.syn_perm_below_stimulus_inc; })
        .def("connected_dense",
             [](const PySp& s) {
                 ObjectLock lock(s.mutex);
                 const float threshold = htmhw::connected_threshold(s.sp);
                 return dense_rows<std::uint8_t>(s.sp, [threshold](const SpFloat& sp, std::uint64_t k) -> std::uint8_t {
                     return sp.permanences[k] >= threshold ? 1 : 0;
                 });
             })
        .def("permanences_dense",
             [](const PySp& s) {
                 ObjectLock lock(s.mutex);
                 return dense_rows<float>(s.sp, [](const SpFloat& sp, std::uint64_t k) { return sp.permanences[k]; });
             })
        .def("potential_dense",
             [](const PySp& s) {
                 ObjectLock lock(s.mutex);
                 return dense_rows<std::uint8_t>(s.sp, [](const SpFloat&, std::uint64_t) -> std::uint8_t { return 1; });
             })
        .def("pool_offsets", [](const PySp& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.pool_offsets); })
        .def("pool_inputs", [](const PySp& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.pool_inputs); })
        .def("permanences", [](const PySp& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.permanences); })
        .def("boosted_overlaps", [](const PySp& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.boosted_overlaps); })
        .def("boost_factors", [](const PySp& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.boost_factors); })
        .def("overlap_duty_cycles", [](const PySp& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.overlap_duty_cycles); })
        .def("active_duty_cycles", [](const PySp& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.active_duty_cycles); })
        .def("min_overlap_duty_cycles", [](const PySp& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.min_overlap_duty_cycles); })
        .def("set_boost_factors",
             [](PySp& s, const carray<float>& v) {
                 ObjectLock lock(s.mutex);
                 s.sp.boost_factors = float_vector(v, "boostFactors", s.sp.num_columns, 0.0f, 3.4e38f);
             }, py::arg("boost_factors"))
        .def("set_overlap_duty_cycles",
             [](PySp& s, const carray<float>& v) {
                 ObjectLock lock(s.mutex);
                 s.sp.overlap_duty_cycles = float_vector(v, "overlapDutyCycles", s.sp.num_columns, 0.0f, 1.0f);
             }, py::arg("overlap_duty_cycles"))
        .def("set_active_duty_cycles",
             [](PySp& s, const carray<float>& v) {
                 ObjectLock lock(s.mutex);
                 s.sp.active_duty_cycles = float_vector(v, "activeDutyCycles", s.sp.num_columns, 0.0f, 1.0f);
             }, py::arg("active_duty_cycles"))
        .def("set_min_overlap_duty_cycles",
             [](PySp& s, const carray<float>& v) {
                 ObjectLock lock(s.mutex);
                 s.sp.min_overlap_duty_cycles = float_vector(v, "minOverlapDutyCycles", s.sp.num_columns, 0.0f, 1.0f);
             }, py::arg("min_overlap_duty_cycles"))
        .def("set_column_permanences",
             [](PySp& s, std::int64_t column, const carray<float>& row) {
                 ObjectLock lock(s.mutex);
                 check_column(s.sp, column);
                 const auto c = static_cast<std::uint32_t>(column);
                 auto v = to_vector<float>(row, "permanence", s.sp.num_inputs);
                 std::vector<std::uint8_t> in_pool(s.sp.num_inputs, 0);
                 for (auto k = s.sp.pool_offsets[c]; k < s.sp.pool_offsets[c + 1]; ++k) in_pool[s.sp.pool_inputs[k]] = 1;
                 for (std::uint32_t i = 0; i < s.sp.num_inputs; ++i) {
                     if (std::isnan(v[i])) throw std::invalid_argument("permanence must not contain NaN");
                     if (!in_pool[i] && v[i] != 0.0f)
                         throw std::invalid_argument("permanence must be 0 outside the column's potential pool (input " +
                                                     std::to_string(i) + " is not in it)");
                 }
                 for (auto k = s.sp.pool_offsets[c]; k < s.sp.pool_offsets[c + 1]; ++k)
                     s.sp.permanences[k] = v[s.sp.pool_inputs[k]];
                 htmhw::update_column_permanences(s.sp, c, false);
             }, py::arg("column"), py::arg("permanence"))
        .def("set_column_potential",
             [](PySp& s, std::int64_t column, const carray<std::uint8_t>& row) {
                 ObjectLock lock(s.mutex);
                 check_column(s.sp, column);
                 auto v = to_vector<std::uint8_t>(row, "potential", s.sp.num_inputs);
                 check_binary(v.data(), v.size(), "potential");
                 std::vector<std::uint32_t> inputs;
                 for (std::uint32_t i = 0; i < s.sp.num_inputs; ++i)
                     if (v[i]) inputs.push_back(i);
                 htmhw::set_potential_pool(s.sp, static_cast<std::uint32_t>(column), inputs);
             }, py::arg("column"), py::arg("potential"))
        .def("get_state",
             [](const PySp& s) {
                 ObjectLock lock(s.mutex);
                 py::dict d;
                 d["params"] = params_to_dict(s.sp.params);
                 d["iteration_num"] = s.sp.iteration_num;
                 d["iteration_learn_num"] = s.sp.iteration_learn_num;
                 d["inhibition_radius"] = s.sp.inhibition_radius;
                 d["pool_offsets"] = to_numpy(s.sp.pool_offsets);
                 d["pool_inputs"] = to_numpy(s.sp.pool_inputs);
                 d["permanences"] = to_numpy(s.sp.permanences);
                 d["overlap_duty_cycles"] = to_numpy(s.sp.overlap_duty_cycles);
                 d["active_duty_cycles"] = to_numpy(s.sp.active_duty_cycles);
                 d["min_overlap_duty_cycles"] = to_numpy(s.sp.min_overlap_duty_cycles);
                 d["boost_factors"] = to_numpy(s.sp.boost_factors);
                 d["overlaps"] = to_numpy(s.sp.overlaps);
                 d["boosted_overlaps"] = to_numpy(s.sp.boosted_overlaps);
                 return d;
             })
        .def_static("from_state", [](const py::dict& d) {
            auto obj = std::make_unique<PySp>();
            SpFloat& sp = obj->sp;
            sp.params = params_from_dict(d["params"].cast<py::dict>());
            sp.iteration_num = take<std::uint64_t>(d, "iteration_num");
            sp.iteration_learn_num = take<std::uint64_t>(d, "iteration_learn_num");
            sp.inhibition_radius = take<std::uint32_t>(d, "inhibition_radius");
            auto vec = [&](const char* key, auto& out) { load_vec(d, key, out); };
            vec("pool_offsets", sp.pool_offsets);
            vec("pool_inputs", sp.pool_inputs);
            vec("permanences", sp.permanences);
            vec("overlap_duty_cycles", sp.overlap_duty_cycles);
            vec("active_duty_cycles", sp.active_duty_cycles);
            vec("min_overlap_duty_cycles", sp.min_overlap_duty_cycles);
            vec("boost_factors", sp.boost_factors);
            vec("overlaps", sp.overlaps);
            vec("boosted_overlaps", sp.boosted_overlaps);
            htmhw::sp_rebuild_and_check(sp);
            return obj;
        }, py::arg("state"));
}
