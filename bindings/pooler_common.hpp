// The part of the Python surface the float and the fixed-point poolers share, bound once.
// Py is the binding's object (PySp, PyFixed): it holds `sp` (the core state), `ws` and
// `mutex`, and provides
//   void step(const std::uint8_t* input, bool learn, std::vector<std::uint32_t>& winners);
//   void infer(const std::uint8_t* input, Workspace& ws, std::uint32_t* overlaps,
//              std::vector<std::uint32_t>& winners) const;     // thread-safe, no state change
//   void set_params(const htmhw::SpParams& p, bool inhibition_changed);
#pragma once
#include <mutex>
#include <string>
#include <vector>

#include "common.hpp"
#include "htmhw/sp_float.hpp"
#include "sp_shared.hpp"

// A property of one field of the core state (`Py::sp`), read (and, with `writable`, written)
// under the object's lock.
template <class Py, class T>
void def_locked_field(py::class_<Py>& cls, const char* name, T decltype(Py::sp)::*field, bool writable) {
    auto get = [field](const Py& s) {
        ObjectLock lock(s.mutex);
        return s.sp.*field;
    };
    if (writable)
        cls.def_property(name, get, [field](Py& s, T v) {
            ObjectLock lock(s.mutex);
            s.sp.*field = v;
        });
    else
        cls.def_property_readonly(name, get);
}

template <class Py>
void bind_pooler_common(py::class_<Py>& cls) {
    using Workspace = typename Py::Workspace;
    using Core = decltype(Py::sp);
    def_locked_field(cls, "num_inputs", &Core::num_inputs, false);
    def_locked_field(cls, "num_columns", &Core::num_columns, false);
    def_locked_field(cls, "iteration_num", &Core::iteration_num, true);
    def_locked_field(cls, "iteration_learn_num", &Core::iteration_learn_num, true);
    def_locked_field(cls, "inhibition_radius", &Core::inhibition_radius, true);
    cls.def_property_readonly("params",
                              [](const Py& s) {
                                  ObjectLock lock(s.mutex);
                                  return params_to_dict(s.sp.params);
                              })
        .def(
            "set_param",
            [](Py& s, const std::string& name, py::object value) {
                ObjectLock lock(s.mutex);
                py::dict d = params_to_dict(s.sp.params);
                if (!d.contains(name.c_str())) throw std::invalid_argument("unknown parameter " + name);
                if (htmhw::param_is_construction_only(name))
                    throw std::invalid_argument(name + " only takes effect at construction; it cannot be changed");
                d[name.c_str()] = value;
                s.set_params(params_from_dict(d), htmhw::param_sets_inhibition(name));
            },
            py::arg("name"), py::arg("value"))
        .def(
            "compute_batch",
            [](Py& s, const carray<std::uint8_t>& x, bool learn) {
                std::size_t rows = 0;
                const std::uint8_t* data = check_input_matrix(x, s.sp, rows);
                std::vector<std::vector<std::uint32_t>> per_row(rows);
                {
                    py::gil_scoped_release release;
                    std::lock_guard<std::mutex> lock(s.mutex);
                    for (std::size_t r = 0; r < rows; ++r) s.step(data + r * s.sp.num_inputs, learn, per_row[r]);
                }
                return rows_to_csr(per_row);
            },
            py::arg("inputs").noconvert(), py::arg("learn"),
            "Compute every row of a (n, num_inputs) uint8 0/1 matrix in order, exactly as n compute "
            "calls; returns (indptr, indices) of the winners in CSR form.")
        .def(
            "infer_batch",
            [](const Py& s, const carray<std::uint8_t>& x, int n_threads) {
                const unsigned threads = check_threads(n_threads);
                std::size_t rows = 0;
                const std::uint8_t* data = check_input_matrix(x, s.sp, rows);
                std::vector<std::vector<std::uint32_t>> per_row(rows);
                {
                    py::gil_scoped_release release;
                    std::lock_guard<std::mutex> lock(s.mutex);
                    parallel_for(rows, threads, [&](std::size_t begin, std::size_t end) {
                        Workspace ws;
                        std::vector<std::uint32_t> overlaps(s.sp.num_columns);
                        for (std::size_t r = begin; r < end; ++r)
                            s.infer(data + r * s.sp.num_inputs, ws, overlaps.data(), per_row[r]);
                    });
                }
                return rows_to_csr(per_row);
            },
            py::arg("inputs").noconvert(), py::arg("n_threads") = 1,
            "Pure inference (learn=False winners) of every row on n_threads threads; changes no state, "
            "not even counters; identical results for any thread count.")
        .def("connected_counts",
             [](const Py& s) {
                 ObjectLock lock(s.mutex);
                 return to_numpy(s.sp.connected_counts);
             })
        .def("overlaps", [](const Py& s) {
            ObjectLock lock(s.mutex);
            return to_numpy(s.sp.overlaps);
        });
}
