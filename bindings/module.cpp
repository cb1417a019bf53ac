// The private extension module htmhw._core; one init_* per area.
#include "htmhw/parallel.hpp"
#include <pybind11/pybind11.h>

namespace py = pybind11;

void init_sp(py::module_& m);
void init_kwta(py::module_& m);
void init_datapath(py::module_& m);
void init_rng(py::module_& m);
void init_crossbar(py::module_& m);
void init_som(py::module_& m);
void init_sdr_search(py::module_& m);

#define HTMHW_STR_(x) #x
#define HTMHW_STR(x) HTMHW_STR_(x)

PYBIND11_MODULE(_core, m) {
    m.doc() = "htmhw C++ core (private; use the htmhw package)";
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const std::invalid_argument& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        }
    });
    init_sp(m);
    init_kwta(m);
    init_datapath(m);
    init_rng(m);
    init_crossbar(m);
    init_som(m);
    init_sdr_search(m);
    m.attr("__version__") = HTMHW_STR(HTMHW_VERSION);
    m.attr("MAX_THREADS") = htmhw::kMaxThreads;
}
