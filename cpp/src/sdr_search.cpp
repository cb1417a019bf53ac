#include "htmhw/sdr_search.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

namespace htmhw {

void sdr_pack_csr(const std::int64_t* indptr, const std::uint32_t* indices, std::size_t n_rows, std::size_t width,
                  std::uint64_t* out) {
    const std::size_t words = sdr_words(width);
    std::memset(out, 0, n_rows * words * sizeof(std::uint64_t));
    for (std::size_t r = 0; r < n_rows; ++r) {
        std::uint64_t* row = out + r * words;
        for (std::int64_t k = indptr[r]; k < indptr[r + 1]; ++k) row[indices[k] >> 6] |= 1ULL << (indices[k] & 63);
    }
}

namespace {

// Sorted top-k list of one query: overlaps descending, equal overlaps in
// insertion (= ascending database index) order. Sentinel overlap -1 < any real one.
struct TopK {
    std::int64_t* ov;
    std::uint32_t* idx;
    std::size_t k;

    void offer(std::int64_t o, std::uint32_t r) {
        if (o <= ov[k - 1]) return;  // not strictly better than the current k-th: later index loses ties
        std::size_t p = k - 1;
        while (p > 0 && ov[p - 1] < o) {
            ov[p] = ov[p - 1];
            idx[p] = idx[p - 1];
            --p;
        }
        ov[p] = o;
        idx[p] = r;
    }
};

// B queries against every database row; the database row is read once per block.
template <int B, class Popcount>
inline __attribute__((always_inline)) void topk_block(const std::uint64_t* db, std::size_t n_db,
                                                     const std::uint64_t* const* q, std::size_t words,
                                                     TopK* lists, Popcount popcount) {
    for (std::size_t r = 0; r < n_db; ++r) {
        const std::uint64_t* row = db + r * words;
        std::uint64_t sum[B] = {};
        for (std::size_t w = 0; w < words; ++w) {
            const std::uint64_t x = row[w];
            for (int b = 0; b < B; ++b) sum[b] += popcount(x & q[b][w]);
        }
        for (int b = 0; b < B; ++b) lists[b].offer(static_cast<std::int64_t>(sum[b]), static_cast<std::uint32_t>(r));
    }
}

constexpr int kBlock = 4;

template <class Popcount>
inline __attribute__((always_inline)) void topk_body(const std::uint64_t* db, std::size_t n_db,
                                                    const std::uint64_t* queries, std::size_t q_begin,
                                                    std::size_t q_end, std::size_t words, std::size_t k,
                                                    std::uint32_t* out_index, std::uint32_t* out_overlap,
                                                    Popcount popcount) {
    std::vector<std::int64_t> ov(kBlock * k);
    std::vector<std::uint32_t> idx(kBlock * k);
    for (std::size_t q0 = q_begin; q0 < q_end; q0 += kBlock) {
        const std::size_t nb = std::min<std::size_t>(kBlock, q_end - q0);
        std::fill(ov.begin(), ov.end(), -1);
        std::fill(idx.begin(), idx.end(), 0u);
        TopK lists[kBlock];
        const std::uint64_t* q[kBlock];
        for (std::size_t b = 0; b < static_cast<std::size_t>(kBlock); ++b) {
            lists[b] = TopK{ov.data() + b * k, idx.data() + b * k, k};
            q[b] = queries + (q0 + std::min(b, nb - 1)) * words;
        }
        if (nb == kBlock)
            topk_block<kBlock>(db, n_db, q, words, lists, popcount);
        else
            for (std::size_t b = 0; b < nb; ++b) topk_block<1>(db, n_db, q + b, words, lists + b, popcount);
        for (std::size_t b = 0; b < nb; ++b)
            for (std::size_t j = 0; j < k; ++j) {
                out_index[(q0 + b) * k + j] = lists[b].idx[j];
                out_overlap[(q0 + b) * k + j] = static_cast<std::uint32_t>(lists[b].ov[j]);
            }
    }
}

template <class Popcount>
inline __attribute__((always_inline)) void overlaps_body(const std::uint64_t* db, std::size_t n_db,
                                                        const std::uint64_t* queries, std::size_t q_begin,
                                                        std::size_t q_end, std::size_t words, std::uint32_t* out,
                                                        Popcount popcount) {
    for (std::size_t q0 = q_begin; q0 < q_end; q0 += kBlock) {
        const std::size_t nb = std::min<std::size_t>(kBlock, q_end - q0);
        const std::uint64_t* q[kBlock];
        for (std::size_t b = 0; b < static_cast<std::size_t>(kBlock); ++b) q[b] = queries + (q0 + std::min(b, nb - 1)) * words;
        for (std::size_t r = 0; r < n_db; ++r) {
            const std::uint64_t* row = db + r * words;
            std::uint64_t sum[kBlock] = {};
            for (std::size_t w = 0; w < words; ++w) {
                const std::uint64_t x = row[w];
                for (int b = 0; b < kBlock; ++b) sum[b] += popcount(x & q[b][w]);
            }
            for (std::size_t b = 0; b < nb; ++b)
                out[(q0 + b - q_begin) * n_db + r] = static_cast<std::uint32_t>(sum[b]);
        }
    }
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define HTMHW_SDR_X86_DISPATCH 1
__attribute__((target("popcnt"))) void overlaps_popcnt(const std::uint64_t* db, std::size_t n_db,
                                                       const std::uint64_t* queries, std::size_t q_begin,
                                                       std::size_t q_end, std::size_t words, std::uint32_t* out) {
    overlaps_body(db, n_db, queries, q_begin, q_end, words, out, [](std::uint64_t x) __attribute__((target("popcnt"))) {
        return static_cast<std::uint64_t>(__builtin_popcountll(x));
    });
}
__attribute__((target("popcnt"))) void topk_popcnt(const std::uint64_t* db, std::size_t n_db,
                                                   const std::uint64_t* queries, std::size_t q_begin,
                                                   std::size_t q_end, std::size_t words, std::size_t k,
                                                   std::uint32_t* out_index, std::uint32_t* out_overlap) {
    topk_body(db, n_db, queries, q_begin, q_end, words, k, out_index, out_overlap,
              [](std::uint64_t x) __attribute__((target("popcnt"))) {
                  return static_cast<std::uint64_t>(__builtin_popcountll(x));
              });
}
const bool kSdrHavePopcnt = __builtin_cpu_supports("popcnt");
#endif

}  // namespace

void sdr_topk(const std::uint64_t* db, std::size_t n_db, const std::uint64_t* queries, std::size_t q_begin,
              std::size_t q_end, std::size_t words, std::size_t k, std::uint32_t* out_index,
              std::uint32_t* out_overlap) {
#ifdef HTMHW_SDR_X86_DISPATCH
    if (kSdrHavePopcnt) return topk_popcnt(db, n_db, queries, q_begin, q_end, words, k, out_index, out_overlap);
#endif
    topk_body(db, n_db, queries, q_begin, q_end, words, k, out_index, out_overlap,
              [](std::uint64_t x) { return static_cast<std::uint64_t>(__builtin_popcountll(x)); });
}

void sdr_overlaps(const std::uint64_t* db, std::size_t n_db, const std::uint64_t* queries, std::size_t q_begin,
                  std::size_t q_end, std::size_t words, std::uint32_t* out) {
#ifdef HTMHW_SDR_X86_DISPATCH
    if (kSdrHavePopcnt) return overlaps_popcnt(db, n_db, queries, q_begin, q_end, words, out);
#endif
    overlaps_body(db, n_db, queries, q_begin, q_end, words, out,
                  [](std::uint64_t x) { return static_cast<std::uint64_t>(__builtin_popcountll(x)); });
}

void sum_selected_rows(const std::int64_t* indptr, const std::uint32_t* indices, const float* weights,
                       std::size_t r_begin, std::size_t r_end, const float* values, std::size_t dim, float* out) {
    for (std::size_t r = r_begin; r < r_end; ++r) {
        float* o = out + r * dim;
        std::fill(o, o + dim, 0.0f);
        for (std::int64_t k = indptr[r]; k < indptr[r + 1]; ++k) {
            const float* v = values + static_cast<std::size_t>(indices[k]) * dim;
            if (weights == nullptr) {
                for (std::size_t j = 0; j < dim; ++j) o[j] += v[j];
            } else {
                const float w = weights[k];
                for (std::size_t j = 0; j < dim; ++j) o[j] += w * v[j];
            }
        }
    }
}

}  // namespace htmhw
