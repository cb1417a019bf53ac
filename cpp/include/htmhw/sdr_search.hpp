// Exact nearest-SDR search over bit-packed SDRs, and sums of matrix rows
// selected by SDRs (the reconstruction kernels of htmhw.reconstruct).
//
// Packed layout: an SDR of `width` bits is `words = ceil(width / 64)` uint64
// words, bit i in word i / 64 at bit position i % 64; unused high bits of the
// last word are zero. A batch is row-major (row r at words * r).
#pragma once
#include <cstddef>
#include <cstdint>

namespace htmhw {

// Number of 64-bit words of a packed SDR of `width` bits.
inline std::size_t sdr_words(std::size_t width) { return (width + 63) / 64; }

// Packs CSR rows into `out` (n_rows x sdr_words(width) words, overwritten).
// Preconditions: indptr has n_rows + 1 non-decreasing entries starting at 0;
// every indices[k] < width (duplicates are allowed and set the bit once).
void sdr_pack_csr(const std::int64_t* indptr, const std::uint32_t* indices, std::size_t n_rows,
                  std::size_t width, std::uint64_t* out);

// For each query q in [q_begin, q_end): the k database rows with the largest
// overlap popcount(db[r] & query[q]), in order of decreasing overlap; among
// equal overlaps the lower database index comes first (so the result is
// unique). Writes out_index[q * k + j] and out_overlap[q * k + j].
// Preconditions: 1 <= k <= n_db; db is n_db x words, queries has at least
// q_end rows of `words` words. Results for a query depend on nothing but
// that query and the database, so any split of the queries over threads gives
// identical output. POPCNT is used when the CPU has it (run-time dispatch).
void sdr_topk(const std::uint64_t* db, std::size_t n_db, const std::uint64_t* queries, std::size_t q_begin,
              std::size_t q_end, std::size_t words, std::size_t k, std::uint32_t* out_index,
              std::uint32_t* out_overlap);

// All pairwise overlaps: out[(q - q_begin) * n_db + r] = popcount(db[r] & queries[q])
// for q in [q_begin, q_end), r in [0, n_db). Same preconditions and dispatch as sdr_topk.
void sdr_overlaps(const std::uint64_t* db, std::size_t n_db, const std::uint64_t* queries, std::size_t q_begin,
                  std::size_t q_end, std::size_t words, std::uint32_t* out);

// out[r] = sum over k in [indptr[r], indptr[r+1]) of weights[k] * values[indices[k], :]
// for r in [r_begin, r_end): values is (n_values x dim) row-major float32, out
// is (n_rows x dim), each of those rows fully overwritten; weights (one per
// CSR entry) may be null, meaning all 1.
// Rows are summed in CSR order with float32 adds, so the result does not
// depend on the thread split. Preconditions: indptr non-decreasing, every
// index < n_values.
void sum_selected_rows(const std::int64_t* indptr, const std::uint32_t* indices, const float* weights,
                       std::size_t r_begin, std::size_t r_end, const float* values, std::size_t dim, float* out);

}  // namespace htmhw
