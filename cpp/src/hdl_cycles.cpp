#include "htmhw/hdl_cycles.hpp"

#include <algorithm>
#include <stdexcept>

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
    const bool local = !sp.params.global_inhibition;
    if (local && (lanes != 1 || klanes != 1))
        throw std::invalid_argument("local inhibition in hdl_ref needs column_lanes = 1 and kwta_lanes = 1");
    // Local inhibition: serial passes over the columns, each a head cycle (the column's own
    // word) and one cycle per neighbour, at the radius the step used (ws.step_radius).
    std::uint64_t sweep = 0;  // sum over c of (1 + |N(c)|)
    if (local)
        for (std::uint32_t c = 0; c < sp.num_columns; ++c)
            sweep += 1 + sp_fixed_neighborhood_size(sp, c, ws.step_radius);
    t.kwta = local ? sweep : (score_bits + 1) * words;  // local: one pass; global: S search passes and the count pass
    if (!learn) {
        if (!local) t.kwta += groups;        // marking, one group per cycle
        t.finish = 1;
        return t;
    }
    t.duty_boost = groups;                   // marking and the duty update, one group per cycle
    t.finish = 2;
    if (local) {
        // The boost-target pass: D division cycles per column after its neighbourhood sum.
        if (sp.params.boost_strength > 0.0) t.duty_boost += sweep + columns * sp.hw.duty_bits;
        // At an update point the host writes the new radius and starts the minimum-duty
        // pass (a pass at the new radius, then the done cycle), charged to this step.
        if (sp.iteration_num % sp.update_period == 0) {
            t.finish += 1;
            for (std::uint32_t c = 0; c < sp.num_columns; ++c)
                t.finish += 1 + sp_fixed_neighborhood_size(sp, c, sp.inhibition_radius);
        }
    }
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
