// Conversion helpers shared by the binding files: numpy in/out with explicit
// dtype, shape and contiguity checks (no silent reinterpretation).
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace py = pybind11;

template <class T>
using carray = py::array_t<T, py::array::c_style>;

template <class T>
py::array_t<T> to_numpy(const std::vector<T>& v) {
    py::array_t<T> out(static_cast<py::ssize_t>(v.size()));
    if (!v.empty()) std::copy(v.begin(), v.end(), out.mutable_data());
    return out;
}

template <class T>
std::vector<T> to_vector(const carray<T>& a, const char* name, std::size_t expected_size) {
    if (a.ndim() != 1 || static_cast<std::size_t>(a.size()) != expected_size)
        throw std::invalid_argument(std::string(name) + " must be a 1-D array of length " +
                                    std::to_string(expected_size) + "; got shape with " +
                                    std::to_string(a.size()) + " elements");
    return std::vector<T>(a.data(), a.data() + a.size());
}

inline void check_binary(const std::uint8_t* p, std::size_t n, const char* name) {
    for (std::size_t i = 0; i < n; ++i)
        if (p[i] > 1)
            throw std::invalid_argument(std::string(name) + " must be binary (0 or 1); found " +
                                        std::to_string(p[i]) + " at flat index " + std::to_string(i));
}

#include <mutex>

#include "htmhw/parallel.hpp"

// The per-object lock of the stateful bindings (poolers), taken by calls that hold the GIL.
// If another thread holds it (it is computing with the GIL released), wait with the GIL
// released too: that thread may need the GIL back before it can unlock, so waiting while
// holding the GIL could deadlock. Calls that release the GIL first take the mutex directly.
class ObjectLock {
  public:
    explicit ObjectLock(std::mutex& m) : lock_(m, std::defer_lock) {
        if (!lock_.try_lock()) {
            py::gil_scoped_release release;
            lock_.lock();
        }
    }

  private:
    std::unique_lock<std::mutex> lock_;
};

using htmhw::parallel_for;

inline unsigned check_threads(int threads) { return htmhw::checked_threads(threads); }

// CSR (indptr, indices) from per-row winner lists, in row order.
inline py::tuple rows_to_csr(const std::vector<std::vector<std::uint32_t>>& per_row) {
    std::vector<std::int64_t> indptr(per_row.size() + 1, 0);
    std::size_t total = 0;
    for (std::size_t r = 0; r < per_row.size(); ++r) indptr[r + 1] = static_cast<std::int64_t>(total += per_row[r].size());
    std::vector<std::uint32_t> indices;
    indices.reserve(total);
    for (const auto& w : per_row) indices.insert(indices.end(), w.begin(), w.end());
    return py::make_tuple(to_numpy(indptr), to_numpy(indices));
}
