#include "htmhw/kwta.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace htmhw {

namespace {

// Order-preserving map of a float to an unsigned key (-0.0 and +0.0 equal).
inline std::uint32_t float_key(float f) {
    f += 0.0f;  // -0.0 -> +0.0
    std::uint32_t b;
    std::memcpy(&b, &f, sizeof b);
    return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

}  // namespace

void kwta_global(const float* scores, std::size_t n, std::size_t k, float threshold,
                 std::vector<std::uint32_t>& winners, std::vector<std::uint32_t>& scratch) {
    winners.clear();
    if (k == 0) return;
    // Eligible columns, ascending, and their keys (scratch = [indices | keys | work]).
    scratch.resize(3 * n);
    std::uint32_t* idx = scratch.data();
    std::uint32_t* key = idx + n;
    std::uint32_t* work = key + n;
    std::size_t m = 0;
    // Branch-free compaction: about half the columns pass, so a branch would
    // mispredict constantly.
    for (std::size_t i = 0; i < n; ++i) {
        idx[m] = static_cast<std::uint32_t>(i);
        key[m] = float_key(scores[i]);
        m += scores[i] >= threshold;
    }
    if (m <= k) {
        winners.assign(idx, idx + m);
        return;
    }
    // Radix select of the k-th largest key (11 + 11 + 10 bits), narrowing the
    // candidate list to the chosen bucket at each level.
    const int shifts[3] = {21, 10, 0};
    const int widths[3] = {11, 11, 10};
    std::uint32_t hist[2048];
    const std::uint32_t* cand = key;
    std::size_t cand_n = m, above = 0;
    std::uint32_t cut = 0;
    for (int level = 0; level < 3; ++level) {
        const std::uint32_t bins = 1u << widths[level];
        std::fill(hist, hist + bins, 0u);
        for (std::size_t i = 0; i < cand_n; ++i) ++hist[(cand[i] >> shifts[level]) & (bins - 1)];
        std::uint32_t b = bins;
        while (b-- > 0) {
            if (above + hist[b] >= k) break;
            above += hist[b];
        }
        cut |= b << shifts[level];
        std::size_t next_n = 0;
        for (std::size_t i = 0; i < cand_n; ++i) {
            const std::uint32_t v = cand[i];
            work[next_n] = v;
            next_n += ((v >> shifts[level]) & (bins - 1)) == b;
        }
        cand = work;
        cand_n = next_n;
    }
    // `cut` is the k-th largest key and `above` keys are larger.
    std::size_t take_at_cut = k - above;
    winners.resize(k + 1);  // one slot of slack for the unconditional store
    std::uint32_t* out = winners.data();
    std::size_t taken = 0;
    for (std::size_t i = 0; i < m; ++i) {
        const bool at_cut = key[i] == cut && take_at_cut > 0;
        out[taken] = idx[i];
        taken += (key[i] > cut) | at_cut;
        take_at_cut -= at_cut;
    }
    winners.resize(taken);
}

void kwta_global_counts(const std::uint32_t* scores, std::size_t n, std::size_t k,
                        std::uint32_t threshold, std::vector<std::uint32_t>& winners,
                        std::vector<std::uint32_t>& histogram) {
    winners.clear();
    if (k == 0 || n == 0) return;
    // Histogram grown on demand: scores are small integers (overlaps), so this
    // is one pass without a separate search for the maximum.
    std::uint32_t max_score = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t s = scores[i];
        if (s >= histogram.size()) histogram.resize(static_cast<std::size_t>(s) + 1, 0);
        ++histogram[s];
        max_score = std::max(max_score, s);
    }
    if (max_score < threshold) {
        std::fill(histogram.begin(), histogram.end(), 0u);
        return;
    }
    // Find the cut score: every column above it wins, and the first
    // `take_at_cut` columns (by index) with exactly the cut score win too.
    std::size_t above = 0;
    std::uint32_t cut = max_score;
    for (;;) {
        if (above + histogram[cut] >= k || cut == threshold) break;
        above += histogram[cut];
        --cut;
    }
    std::size_t take_at_cut = std::min<std::size_t>(histogram[cut], k - above);
    std::fill(histogram.begin(), histogram.begin() + max_score + 1, 0u);  // all zero for the next call
    const std::size_t total = above + take_at_cut;
    winners.resize(total + 1);  // one slot of slack for the unconditional store
    std::uint32_t* out = winners.data();
    std::size_t taken = 0;
    for (std::size_t i = 0; i < n && taken < total; ++i) {
        const std::uint32_t s = scores[i];
        const bool at_cut = s == cut && take_at_cut > 0;
        out[taken] = static_cast<std::uint32_t>(i);
        taken += (s > cut) | at_cut;
        take_at_cut -= at_cut;
    }
    winners.resize(taken);
}

void kwta_local(const float* scores, const Dims& column_dims, std::uint32_t radius, bool wrap,
                double density, float threshold, std::vector<std::uint32_t>& winners) {
    const auto n = static_cast<std::size_t>(dims_product(column_dims));
    std::vector<std::uint8_t> active(n, 0);
    winners.clear();
    // Neighbourhood size per column: the product of the clipped/wrapped interval lengths.
    std::uint32_t coords[16];
    for (std::size_t c = 0; c < n; ++c) {
        const float s = scores[c];
        if (!(s >= threshold)) continue;
        unravel_index(c, column_dims, coords);
        double size = 1;
        for (std::size_t d = 0; d < column_dims.size(); ++d) {
            const std::int64_t x = coords[d], r = radius, dim = column_dims[d];
            const std::int64_t len = wrap ? std::min<std::int64_t>(2 * r + 1, dim)
                                          : std::min<std::int64_t>(dim - 1, x + r) - std::max<std::int64_t>(0, x - r) + 1;
            size *= static_cast<double>(len);
        }
        const auto quota = static_cast<std::size_t>(0.5 + density * size);
        // Stop counting as soon as the column has lost.
        std::size_t beaten = 0;
        for_each_neighbor(static_cast<std::uint32_t>(c), radius, column_dims, wrap, [&](std::uint32_t j) {
            const float t = scores[j];
            beaten += (t > s || (t == s && active[j]));
            return beaten < quota;
        });
        if (beaten < quota) {
            active[c] = 1;
            winners.push_back(static_cast<std::uint32_t>(c));
        }
    }
}

}  // namespace htmhw
