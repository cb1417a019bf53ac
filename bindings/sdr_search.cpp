// Binding of the reconstruction kernels (cpp/include/htmhw/sdr_search.hpp):
// packing SDRs, exact top-k nearest-SDR search, sums of selected rows.
// Converts and validates every precondition; all logic lives in cpp/.
#include <string>

#include "common.hpp"
#include "htmhw/sdr_search.hpp"

namespace {

// Checks a CSR structure (indptr int64, indices uint32) with every index < bound.
std::size_t check_csr(const carray<std::int64_t>& indptr, const carray<std::uint32_t>& indices, std::size_t bound,
                      const char* bound_name) {
    if (indptr.ndim() != 1 || indptr.size() < 1) throw std::invalid_argument("indptr must be a 1-D array with >= 1 entry");
    if (indices.ndim() != 1) throw std::invalid_argument("indices must be a 1-D array");
    const std::int64_t* p = indptr.data();
    const std::size_t n_rows = static_cast<std::size_t>(indptr.size()) - 1;
    if (p[0] != 0) throw std::invalid_argument("indptr[0] must be 0; got " + std::to_string(p[0]));
    for (std::size_t r = 0; r < n_rows; ++r)
        if (p[r + 1] < p[r]) throw std::invalid_argument("indptr must be non-decreasing (row " + std::to_string(r) + ")");
    if (p[n_rows] != static_cast<std::int64_t>(indices.size()))
        throw std::invalid_argument("indptr[-1] must equal len(indices) = " + std::to_string(indices.size()) +
                                    "; got " + std::to_string(p[n_rows]));
    const std::uint32_t* ix = indices.data();
    for (py::ssize_t k = 0; k < indices.size(); ++k)
        if (ix[k] >= bound)
            throw std::invalid_argument("indices must be < " + std::string(bound_name) + " = " + std::to_string(bound) +
                                        "; found " + std::to_string(ix[k]) + " at position " + std::to_string(k));
    return n_rows;
}

void check_packed(const carray<std::uint64_t>& a, const char* name) {
    if (a.ndim() != 2) throw std::invalid_argument(std::string(name) + " must be a 2-D uint64 array (rows x words)");
    if (a.shape(1) < 1) throw std::invalid_argument(std::string(name) + " must have at least one word per row");
}

void check_database_and_queries(const carray<std::uint64_t>& db, const carray<std::uint64_t>& queries) {
    check_packed(db, "database");
    check_packed(queries, "queries");
    if (db.shape(1) != queries.shape(1))
        throw std::invalid_argument("queries must have as many words per row as the database (" +
                                    std::to_string(db.shape(1)) + "); got " + std::to_string(queries.shape(1)));
}

}  // namespace

void init_sdr_search(py::module_& m) {
    m.def(
        "sdr_pack",
        [](const carray<std::int64_t>& indptr, const carray<std::uint32_t>& indices, std::int64_t width) {
            if (width < 1 || width > (std::int64_t{1} << 32))
                throw std::invalid_argument("width must be in [1, 2**32]; got " + std::to_string(width));
            const std::size_t n = check_csr(indptr, indices, static_cast<std::size_t>(width), "width");
            const std::size_t words = htmhw::sdr_words(static_cast<std::size_t>(width));
            py::array_t<std::uint64_t> out({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(words)});
            std::uint64_t* o = out.mutable_data();
            {
                py::gil_scoped_release release;
                htmhw::sdr_pack_csr(indptr.data(), indices.data(), n, static_cast<std::size_t>(width), o);
            }
            return out;
        },
        py::arg("indptr").noconvert(), py::arg("indices").noconvert(), py::arg("width"),
        "Pack CSR rows of active-bit indices into (n, ceil(width/64)) uint64 words (bit i: word i//64, bit i%64).");
    m.def(
        "sdr_topk",
        [](const carray<std::uint64_t>& db, const carray<std::uint64_t>& queries, std::int64_t k, int n_threads) {
            const unsigned threads = check_threads(n_threads);
            check_database_and_queries(db, queries);
            const auto n_db = static_cast<std::size_t>(db.shape(0));
            if (n_db < 1) throw std::invalid_argument("the database must hold at least one SDR");
            if (n_db > 0xFFFFFFFFull) throw std::invalid_argument("the database must hold fewer than 2**32 SDRs");
            if (k < 1 || static_cast<std::size_t>(k) > n_db)
                throw std::invalid_argument("k must be in [1, " + std::to_string(n_db) + "] (the database size); got " +
                                            std::to_string(k));
            const auto n_q = static_cast<std::size_t>(queries.shape(0));
            const auto words = static_cast<std::size_t>(db.shape(1));
            const auto kk = static_cast<std::size_t>(k);
            py::array_t<std::uint32_t> index({static_cast<py::ssize_t>(n_q), static_cast<py::ssize_t>(kk)});
            py::array_t<std::uint32_t> overlap({static_cast<py::ssize_t>(n_q), static_cast<py::ssize_t>(kk)});
            std::uint32_t* oi = index.mutable_data();
            std::uint32_t* oo = overlap.mutable_data();
            const std::uint64_t* d = db.data();
            const std::uint64_t* q = queries.data();
            {
                py::gil_scoped_release release;
                parallel_for(n_q, threads, [&](std::size_t begin, std::size_t end) {
                    htmhw::sdr_topk(d, n_db, q, begin, end, words, kk, oi, oo);
                });
            }
            return py::make_tuple(index, overlap);
        },
        py::arg("database").noconvert(), py::arg("queries").noconvert(), py::arg("k"), py::arg("n_threads") = 1,
        "Exact top-k database rows by overlap (popcount of AND) for every query row; overlaps descending, "
        "ties to the lower database index; returns (indices, overlaps), each (n_queries, k) uint32. "
        "Identical results for any n_threads.");
    m.def(
        "sdr_overlaps",
        [](const carray<std::uint64_t>& db, const carray<std::uint64_t>& queries, int n_threads) {
            const unsigned threads = check_threads(n_threads);
            check_database_and_queries(db, queries);
            const auto n_db = static_cast<std::size_t>(db.shape(0));
            const auto n_q = static_cast<std::size_t>(queries.shape(0));
            const auto words = static_cast<std::size_t>(db.shape(1));
            py::array_t<std::uint32_t> out({static_cast<py::ssize_t>(n_q), static_cast<py::ssize_t>(n_db)});
            std::uint32_t* o = out.mutable_data();
            const std::uint64_t* d = db.data();
            const std::uint64_t* q = queries.data();
            {
                py::gil_scoped_release release;
                parallel_for(n_q, threads, [&](std::size_t begin, std::size_t end) {
                    htmhw::sdr_overlaps(d, n_db, q, begin, end, words, o + begin * n_db);
                });
            }
            return out;
        },
        py::arg("database").noconvert(), py::arg("queries").noconvert(), py::arg("n_threads") = 1,
        "All pairwise overlaps: (n_queries, n_database) uint32, out[q, r] = popcount(database[r] & queries[q]).");
    m.def(
        "sum_selected_rows",
        [](const carray<std::int64_t>& indptr, const carray<std::uint32_t>& indices, py::object weights,
           const carray<float>& values, int n_threads) {
            const unsigned threads = check_threads(n_threads);
            if (values.ndim() != 2) throw std::invalid_argument("values must be a 2-D float32 array");
            const auto n_values = static_cast<std::size_t>(values.shape(0));
            const auto dim = static_cast<std::size_t>(values.shape(1));
            const std::size_t n = check_csr(indptr, indices, n_values, "the number of rows of values");
            carray<float> w;
            const float* wp = nullptr;
            if (!weights.is_none()) {
                if (!py::isinstance<carray<float>>(weights))
                    throw std::invalid_argument("weights must be None or a C-contiguous 1-D float32 array");
                w = weights.cast<carray<float>>();
                if (w.ndim() != 1 || w.size() != indices.size())
                    throw std::invalid_argument("weights must be 1-D with one entry per index (" +
                                                std::to_string(indices.size()) + ")");
                wp = w.data();
            }
            py::array_t<float> out({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(dim)});
            float* o = out.mutable_data();
            const std::int64_t* p = indptr.data();
            const std::uint32_t* ix = indices.data();
            const float* v = values.data();
            {
                py::gil_scoped_release release;
                parallel_for(n, threads, [&](std::size_t begin, std::size_t end) {
                    htmhw::sum_selected_rows(p, ix, wp, begin, end, v, dim, o);
                });
            }
            return out;
        },
        py::arg("indptr").noconvert(), py::arg("indices").noconvert(), py::arg("weights"),
        py::arg("values").noconvert(), py::arg("n_threads") = 1,
        "out[r] = sum_k weights[k] * values[indices[k]] over row r's CSR entries (float32, CSR order); "
        "identical results for any n_threads.");
}
