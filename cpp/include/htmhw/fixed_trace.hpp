// A run of the fixed-point pooler recorded step by step: every step's outputs and, after
// each learning step, the state a testbench checks (docs/golden.md). Golden vectors and
// the trace API are built from it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "htmhw/crossbar_read.hpp"
#include "htmhw/datapath.hpp"

namespace htmhw {

struct FixedTrace {
    std::size_t steps = 0, learning_steps = 0;
    std::uint32_t columns = 0;
    std::uint32_t min_duty_columns = 0;  // 1 under global inhibition (one shared value), else columns
    // steps x columns
    std::vector<std::uint16_t> overlap;
    std::vector<std::uint32_t> boosted;
    std::vector<std::uint8_t> winners;  // 0/1
    // learning_steps x columns (min_overlap_duty: x min_duty_columns), after the step
    std::vector<std::uint16_t> overlap_duty, active_duty, min_overlap_duty;
    std::vector<std::uint32_t> boost;
    // Local inhibition only (empty under global inhibition): after each learning step, the
    // inhibition radius (learning_steps) and the kWTA quotas at it (learning_steps x columns,
    // sp_fixed_kwta_quotas): what the host writes to hdl_ref at an update point.
    std::vector<std::uint32_t> inhibition_radius, quota;
    // The columns each learning step wrote and their permanence words after it (pool order):
    // learning step l wrote written_column[written_offset[l] .. written_offset[l + 1]), whose
    // words are written_perm[written_perm_offset[l] .. written_perm_offset[l + 1]).
    std::vector<std::uint64_t> written_offset, written_perm_offset;
    std::vector<std::uint32_t> written_column;
    std::vector<std::uint16_t> written_perm;
};

// Runs rows steps (inputs: rows x num_inputs 0/1 bytes, learn: rows 0/1 flags) through
// `read` (null = the contract's read); sp advances.
FixedTrace sp_fixed_trace_batch(SpFixed& sp, CrossbarRead* read, const std::uint8_t* inputs,
                                const std::uint8_t* learn, std::size_t rows, SpFixedWorkspace& ws);

}  // namespace htmhw
