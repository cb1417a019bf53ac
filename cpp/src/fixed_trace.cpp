#include "htmhw/fixed_trace.hpp"

#include <algorithm>

namespace htmhw {

FixedTrace sp_fixed_trace_batch(SpFixed& sp, CrossbarRead* read, const std::uint8_t* inputs,
                                const std::uint8_t* learn, std::size_t rows, SpFixedWorkspace& ws) {
    FixedTrace t;
    const std::size_t C = sp.num_columns;
    t.steps = rows;
    t.columns = sp.num_columns;
    t.min_duty_columns = sp.params.global_inhibition ? 1 : sp.num_columns;
    for (std::size_t r = 0; r < rows; ++r) t.learning_steps += learn[r] != 0;
    const std::size_t L = t.learning_steps, Cm = t.min_duty_columns;
    t.overlap.resize(rows * C);
    t.boosted.resize(rows * C);
    t.winners.assign(rows * C, 0);
    t.overlap_duty.resize(L * C);
    t.active_duty.resize(L * C);
    t.min_overlap_duty.resize(L * Cm);
    t.boost.resize(L * C);
    t.written_offset.assign(1, 0);
    t.written_perm_offset.assign(1, 0);
    std::vector<std::uint32_t> win;
    std::size_t l = 0;
    for (std::size_t r = 0; r < rows; ++r) {
        sp_fixed_step(sp, read, inputs + r * sp.num_inputs, learn[r] != 0, ws, win);
        std::copy(sp.overlaps.begin(), sp.overlaps.end(), t.overlap.begin() + r * C);  // < 2^16: B_o <= 16
        std::copy(sp.boosted.begin(), sp.boosted.end(), t.boosted.begin() + r * C);
        for (std::uint32_t c : win) t.winners[r * C + c] = 1;
        if (!learn[r]) continue;
        std::copy(sp.overlap_duty.begin(), sp.overlap_duty.end(), t.overlap_duty.begin() + l * C);
        std::copy(sp.active_duty.begin(), sp.active_duty.end(), t.active_duty.begin() + l * C);
        std::copy(sp.min_overlap_duty.begin(), sp.min_overlap_duty.begin() + Cm, t.min_overlap_duty.begin() + l * Cm);
        std::copy(sp.boost.begin(), sp.boost.end(), t.boost.begin() + l * C);
        if (!sp.params.global_inhibition) {
            t.inhibition_radius.push_back(sp.inhibition_radius);
            const std::vector<std::uint32_t> q = sp_fixed_kwta_quotas(sp);
            t.quota.insert(t.quota.end(), q.begin(), q.end());
        }
        for (std::uint32_t c : ws.written_columns) {
            t.written_column.push_back(c);
            for (std::uint64_t k = sp.perm_offsets[c]; k < sp.perm_offsets[c + 1]; ++k)
                t.written_perm.push_back(static_cast<std::uint16_t>(sp_fixed_perm(sp, k)));
        }
        t.written_offset.push_back(t.written_column.size());
        t.written_perm_offset.push_back(t.written_perm.size());
        ++l;
    }
    return t;
}

}  // namespace htmhw
