#include "htmhw/kwta.hpp"

#include <algorithm>
#include <cstdint>

namespace htmhw {

void kwta_global(const float* scores, std::size_t n, std::size_t k, float threshold,
                 std::vector<std::uint32_t>& winners, std::vector<std::uint32_t>& scratch) {
    winners.clear();
    if (k == 0) return;
    scratch.clear();
    for (std::size_t i = 0; i < n; ++i)
        if (scores[i] >= threshold) scratch.push_back(static_cast<std::uint32_t>(i));
    if (scratch.size() > k) {
        const auto better = [scores](std::uint32_t a, std::uint32_t b) {
            return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
        };
        std::nth_element(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(k - 1),
                         scratch.end(), better);
        scratch.resize(k);
        std::sort(scratch.begin(), scratch.end());
    }
    winners.assign(scratch.begin(), scratch.end());
}

void kwta_global_counts(const std::uint32_t* scores, std::size_t n, std::size_t k,
                        std::uint32_t threshold, std::vector<std::uint32_t>& winners,
                        std::vector<std::uint32_t>& histogram) {
    winners.clear();
    if (k == 0 || n == 0) return;
    std::uint32_t max_score = 0;
    for (std::size_t i = 0; i < n; ++i) max_score = std::max(max_score, scores[i]);
    if (max_score < threshold) return;
    histogram.assign(static_cast<std::size_t>(max_score) + 1, 0);
    for (std::size_t i = 0; i < n; ++i) ++histogram[scores[i]];
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
    winners.reserve(above + take_at_cut);
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t s = scores[i];
        if (s > cut) {
            winners.push_back(static_cast<std::uint32_t>(i));
        } else if (s == cut && take_at_cut > 0) {
            winners.push_back(static_cast<std::uint32_t>(i));
            --take_at_cut;
        }
    }
}

void kwta_local(const float* scores, const Dims& column_dims, std::uint32_t radius, bool wrap,
                double density, float threshold, std::vector<std::uint32_t>& winners) {
    const auto n = static_cast<std::size_t>(dims_product(column_dims));
    std::vector<std::uint8_t> active(n, 0);
    std::vector<std::uint32_t> nb;
    winners.clear();
    for (std::size_t c = 0; c < n; ++c) {
        const float s = scores[c];
        if (!(s >= threshold)) continue;
        neighborhood(static_cast<std::uint32_t>(c), radius, column_dims, wrap, nb);
        std::size_t beaten = 0;
        for (auto j : nb) {
            const float t = scores[j];
            if (t > s || (t == s && active[j])) ++beaten;
        }
        const auto quota = static_cast<std::size_t>(0.5 + density * static_cast<double>(nb.size()));
        if (beaten < quota) {
            active[c] = 1;
            winners.push_back(static_cast<std::uint32_t>(c));
        }
    }
}

}  // namespace htmhw
