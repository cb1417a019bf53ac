#include "htmhw/hdl_cycles.hpp"

#include <algorithm>

namespace htmhw {

HdlCycles hdl_step_cycles(const SpFixed& sp, bool learn, const std::vector<std::uint32_t>& winners,
                          const SpFixedWorkspace& ws, std::uint32_t synapse_lanes) {
    const std::uint64_t columns = sp.num_columns;
    const std::uint64_t lanes = std::max<std::uint32_t>(1, synapse_lanes);
    const std::uint64_t score_bits = sp.q.overlap_bits + sp.hw.boost_int_bits + sp.hw.boosted_frac_bits;
    // Cycles of one pass over column c's pool.
    auto pool = [&](std::uint32_t c) { return (sp.perm_offsets[c + 1] - sp.perm_offsets[c] + lanes - 1) / lanes; };
    HdlCycles t;
    t.overlap = columns;
    for (std::uint32_t c = 0; c < sp.num_columns; ++c) t.overlap += pool(c);
    t.kwta = (score_bits + 2) * columns;
    if (!learn) {
        t.finish = 1;
        return t;
    }
    t.duty_boost = columns;
    t.finish = 2;
    // One decision cycle per column, then whole-row passes: a winner takes adapt +
    // raise rounds + trim, a weak column one bump-and-trim pass; empty pools take none.
    t.permanence = columns;
    for (std::size_t i = 0; i < winners.size(); ++i) {
        const std::uint64_t rounds = i < ws.raise_rounds.size() ? ws.raise_rounds[i] : 0;
        t.permanence += pool(winners[i]) * (2 + rounds);
    }
    for (std::uint32_t c : ws.bumped) t.permanence += pool(c);
    return t;
}

}  // namespace htmhw
