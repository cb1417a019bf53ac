// Cycle model of the Verilog reference (hdl_ref/rtl/sp_top.v): clock cycles of one
// step by phase, from the step's architectural facts (winners, weak columns, raise
// rounds) and the lane parameters. The formulas are in hdl_ref/README.md; tests compare them with the cycles
// the testbench counts in simulation, step by step. The block-RAM memories' read
// pipeline (addresses of the next cycle, the boost write one cycle behind) adds no
// cycle to any phase, so the formulas are those of the asynchronous-read reference.
#pragma once
#include <cstdint>
#include <vector>

#include "htmhw/datapath.hpp"

namespace htmhw {

// With N = column lanes, L = synapse lanes, K_L = kWTA lanes: B = ceil(C / N) groups,
// R = ceil(pool_max / L) rows per pool, W = ceil(C / K_L) kWTA words, S score bits.
// Local inhibition (N = K_L = 1; |N(c)| at the radius the step used, |N'(c)| at the
// radius after the step): the kWTA is sum_c (1 + |N(c)|); the duty phase adds a boost pass
// sum_c (1 + |N(c)| + D) when boostStrength > 0; at an update point the minimum-duty pass
// sum_c (1 + |N'(c)|) + 1 is charged to the step's finish.
struct HdlCycles {
    std::uint64_t overlap = 0;     // B * R + 1
    std::uint64_t kwta = 0;        // (S + 1) * W, + B marking cycles in inference steps
    std::uint64_t duty_boost = 0;  // B (learning steps; marking included)
    std::uint64_t permanence = 0;  // 1 + R * sum over groups of the group's passes (learning steps)
    std::uint64_t finish = 0;      // 1 (inference) or 2 (learning)
    std::uint64_t total() const { return overlap + kwta + duty_boost + permanence + finish; }
};

// Cycles of the step sp_fixed_compute just ran (winners and ws from that call) on
// sp_top with SYN_LANES = synapse_lanes, COLUMN_LANES = column_lanes and KWTA_LANES =
// kwta_lanes (each >= 1; local inhibition: column_lanes = kwta_lanes = 1, else
// std::invalid_argument).
HdlCycles hdl_step_cycles(const SpFixed& sp, bool learn, const std::vector<std::uint32_t>& winners,
                          const SpFixedWorkspace& ws, std::uint32_t synapse_lanes = 1,
                          std::uint32_t column_lanes = 1, std::uint32_t kwta_lanes = 1);

}  // namespace htmhw
