#include "htmhw/hdl_cycles.hpp"

#include <algorithm>

namespace htmhw {

HdlCycles hdl_step_cycles(const SpFixed& sp, bool learn, const std::vector<std::uint32_t>& winners,
                          const SpFixedWorkspace& ws, std::uint32_t synapse_lanes, std::uint32_t column_lanes,
                          std::uint32_t kwta_lanes) {
    const std::uint64_t columns = sp.num_columns;
    const std::uint64_t syn = std::max<std::uint32_t>(1, synapse_lanes);
    const std::uint64_t lanes = std::max<std::uint32_t>(1, column_lanes);
    const std::uint64_t klanes = std::max<std::uint32_t>(1, kwta_lanes);
    const std::uint64_t score_bits = sp.q.overlap_bits + sp.hw.boost_int_bits + sp.hw.boosted_frac_bits;
    std::uint64_t pool_max = 1;
    for (std::uint32_t c = 0; c < sp.num_columns; ++c)
        pool_max = std::max<std::uint64_t>(pool_max, sp.perm_offsets[c + 1] - sp.perm_offsets[c]);
    const std::uint64_t groups = (columns + lanes - 1) / lanes;  // B
    const std::uint64_t rows = (pool_max + syn - 1) / syn;        // R: rows per pool (and per pass)
    const std::uint64_t words = (columns + klanes - 1) / klanes;  // W: kWTA words per pass
    HdlCycles t;
    t.overlap = groups * rows + 1;           // R rows per group, one write-behind cycle
    t.kwta = (score_bits + 1) * words;       // S search passes and the count pass
    if (!learn) {
        t.kwta += groups;                    // marking, one group per cycle
        t.finish = 1;
        return t;
    }
    t.duty_boost = groups;                   // marking and the duty update, one group per cycle
    t.finish = 2;
    // One selection cycle; then each group with a winner or a weak column takes R cycles
    // per pass, its lanes in lockstep: as many passes as its busiest column (a winner
    // adapt + raise rounds + trim, + 1 when also weak; a weak column 1).
    std::vector<std::uint64_t> passes(groups, 0);
    std::vector<std::uint8_t> weak(sp.num_columns, 0);
    for (std::uint32_t c : ws.bumped) weak[c] = 1;
    std::vector<std::uint8_t> won(sp.num_columns, 0);
    for (std::size_t i = 0; i < winners.size(); ++i) {
        const std::uint64_t rounds = i < ws.raise_rounds.size() ? ws.raise_rounds[i] : 0;
        const std::uint32_t c = winners[i];
        won[c] = 1;
        passes[c / lanes] = std::max<std::uint64_t>(passes[c / lanes], 2 + rounds + weak[c]);
    }
    for (std::uint32_t c : ws.bumped)
        if (!won[c]) passes[c / lanes] = std::max<std::uint64_t>(passes[c / lanes], 1);
    t.permanence = 1;
    for (std::uint64_t p : passes) t.permanence += rows * p;
    return t;
}

}  // namespace htmhw
