// Binding of the float reference spatial pooler. Converts and validates;
// all logic lives in cpp/.
#include <pybind11/stl.h>

#include <cmath>
#include <memory>
#include <mutex>

#include "common.hpp"
#include "sp_shared.hpp"
#include "htmhw/sp_float.hpp"

using htmhw::SpFloat;
using htmhw::SpParams;

namespace {

// One object, one compute at a time: concurrent calls on the same pooler from
// several Python threads are serialized (the GIL is released while computing).
struct PySp {
    SpFloat sp;
    htmhw::SpWorkspace ws;
    mutable std::mutex mutex;  // one call at a time per object: ObjectLock (GIL held) or lock_guard (GIL released)
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
    py::class_<PySp>(m, "SpatialPoolerFloat")
        .def(py::init([](const py::dict& params) {
                 auto obj = std::make_unique<PySp>();
                 SpParams p = params_from_dict(params);
                 {
                     py::gil_scoped_release release;
                     obj->sp = htmhw::sp_create(p);
                 }
                 return obj;
             }),
             py::arg("params"))
        .def_property_readonly("params", [](const PySp& s) { ObjectLock lock(s.mutex); return params_to_dict(s.sp.params); })
        .def("set_param",
             [](PySp& s, const std::string& name, py::object value) {
                 ObjectLock lock(s.mutex);
                 py::dict d = params_to_dict(s.sp.params);
                 if (!d.contains(name.c_str())) throw std::invalid_argument("unknown parameter " + name);
                 // These only shape initialization; params must keep describing how the
                 // pooler was built (SpatialPooler(**params) rebuilds the same pooler).
                 for (const char* init_only : {"input_dimensions", "column_dimensions", "potential_radius",
                                               "potential_pct", "seed"})
                     if (name == init_only)
                         throw std::invalid_argument(name + " only takes effect at construction; it cannot be changed");
                 d[name.c_str()] = value;
                 SpFloat copy = s.sp;
                 copy.params = params_from_dict(d);
                 htmhw::sp_rebuild_and_check(copy);
                 // A saved state's radius may have shrunk during learning; only a change of
                 // the inhibition parameters is checked against it.
                 if (name == "local_area_density" || name == "num_active_columns_per_inh_area" ||
                     name == "global_inhibition")
                     htmhw::check_some_column_can_win(copy.params, copy.inhibition_radius, copy.column_dims,
                                                      copy.num_columns);
                 s.sp = std::move(copy);
             })
        .def_property_readonly("connected_threshold",
                               [](const PySp& s) {
                                   ObjectLock lock(s.mutex);
                                   return htmhw::connected_threshold(s.sp);
                               })
        .def_property_readonly("num_inputs", [](const PySp& s) { ObjectLock lock(s.mutex); return s.sp.num_inputs; })
        .def_property_readonly("num_columns", [](const PySp& s) { ObjectLock lock(s.mutex); return s.sp.num_columns; })
        .def_property(
            "iteration_num", [](const PySp& s) { ObjectLock lock(s.mutex); return s.sp.iteration_num; },
            [](PySp& s, std::uint64_t v) { ObjectLock lock(s.mutex); s.sp.iteration_num = v; })
        .def_property(
            "iteration_learn_num", [](const PySp& s) { ObjectLock lock(s.mutex); return s.sp.iteration_learn_num; },
            [](PySp& s, std::uint64_t v) { ObjectLock lock(s.mutex); s.sp.iteration_learn_num = v; })
        .def_property(
            "inhibition_radius", [](const PySp& s) { ObjectLock lock(s.mutex); return s.sp.inhibition_radius; },
            [](PySp& s, std::uint32_t v) { ObjectLock lock(s.mutex); s.sp.inhibition_radius = v; })
        .def_property_readonly("update_period", [](const PySp& s) { ObjectLock lock(s.mutex); return s.sp.update_period; })
        .def_property_readonly("syn_perm_trim_threshold", [](const PySp& s) { ObjectLock lock(s.mutex); return s.sp.syn_perm_trim_threshold; })
        .def_property_readonly("syn_perm_below_stimulus_inc",
                               [](const PySp& s) { ObjectLock lock(s.mutex); return s.sp.syn_perm_below_stimulus_inc; })
        .def(
            "compute_batch",
            [](PySp& s, const carray<std::uint8_t>& x, bool learn) {
                std::size_t rows = 0;
                const std::uint8_t* data = check_input_matrix(x, s.sp, rows);
                std::vector<std::int64_t> indptr(rows + 1, 0);
                std::vector<std::uint32_t> indices, winners;
                {
                    py::gil_scoped_release release;
                    std::lock_guard<std::mutex> lock(s.mutex);
                    for (std::size_t r = 0; r < rows; ++r) {
                        htmhw::sp_compute(s.sp, data + r * s.sp.num_inputs, learn, s.ws, winners);
                        indices.insert(indices.end(), winners.begin(), winners.end());
                        indptr[r + 1] = static_cast<std::int64_t>(indices.size());
                    }
                }
                return py::make_tuple(to_numpy(indptr), to_numpy(indices));
            },
            py::arg("inputs").noconvert(), py::arg("learn"),
            "Compute every row of a (n, num_inputs) uint8 0/1 matrix in order, exactly as n compute "
            "calls; returns (indptr, indices) of the winners in CSR form.")
        .def(
            "infer_batch",
            [](const PySp& s, const carray<std::uint8_t>& x, int n_threads) {
                const unsigned threads = check_threads(n_threads);
                std::size_t rows = 0;
                const std::uint8_t* data = check_input_matrix(x, s.sp, rows);
                std::vector<std::vector<std::uint32_t>> per_row(rows);
                {
                    py::gil_scoped_release release;
                    std::lock_guard<std::mutex> lock(s.mutex);
                    parallel_for(rows, threads, [&](std::size_t begin, std::size_t end) {
                        htmhw::SpWorkspace ws;
                        std::vector<std::uint32_t> overlaps(s.sp.num_columns);
                        for (std::size_t r = begin; r < end; ++r)
                            htmhw::sp_infer(s.sp, data + r * s.sp.num_inputs, ws, overlaps.data(), per_row[r]);
                    });
                }
                return rows_to_csr(per_row);
            },
            py::arg("inputs").noconvert(), py::arg("n_threads") = 1,
            "Pure inference (learn=False winners) of every row on n_threads threads; changes no state, "
            "not even counters; identical results for any thread count.")
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
        .def("connected_counts", [](const PySp& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.connected_counts); })
        .def("overlaps", [](const PySp& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.overlaps); })
        .def("boosted_overlaps", [](const PySp& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.boosted_overlaps); })
        .def("boost_factors", [](const PySp& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.boost_factors); })
        .def("overlap_duty_cycles", [](const PySp& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.overlap_duty_cycles); })
        .def("active_duty_cycles", [](const PySp& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.active_duty_cycles); })
        .def("min_overlap_duty_cycles", [](const PySp& s) { ObjectLock lock(s.mutex); return to_numpy(s.sp.min_overlap_duty_cycles); })
        .def("set_boost_factors",
             [](PySp& s, const carray<float>& v) {
                 ObjectLock lock(s.mutex);
                 s.sp.boost_factors = float_vector(v, "boostFactors", s.sp.num_columns, 0.0f, 3.4e38f);
             })
        .def("set_overlap_duty_cycles",
             [](PySp& s, const carray<float>& v) {
                 ObjectLock lock(s.mutex);
                 s.sp.overlap_duty_cycles = float_vector(v, "overlapDutyCycles", s.sp.num_columns, 0.0f, 1.0f);
             })
        .def("set_active_duty_cycles",
             [](PySp& s, const carray<float>& v) {
                 ObjectLock lock(s.mutex);
                 s.sp.active_duty_cycles = float_vector(v, "activeDutyCycles", s.sp.num_columns, 0.0f, 1.0f);
             })
        .def("set_min_overlap_duty_cycles",
             [](PySp& s, const carray<float>& v) {
                 ObjectLock lock(s.mutex);
                 s.sp.min_overlap_duty_cycles = float_vector(v, "minOverlapDutyCycles", s.sp.num_columns, 0.0f, 1.0f);
             })
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
             })
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
             })
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
            auto vec = [&](const char* key, auto& out) {
                using T = typename std::decay_t<decltype(out)>::value_type;
                auto a = take<carray<T>>(d, key);
                if (a.ndim() != 1) throw std::invalid_argument(std::string("invalid saved state: ") + key + " must be 1-D");
                out.assign(a.data(), a.data() + a.size());
            };
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
        });
}
