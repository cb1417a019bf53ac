// Cycle model of the Verilog reference (hdl_ref/rtl/sp_top.v): clock cycles of one
// step by phase, from the step's architectural facts (winners, weak columns, raise
// rounds). The formulas are in hdl_ref/README.md; tests compare them with the cycles
// the testbench counts in simulation, step by step. The block-RAM memories' read
// pipeline (addresses of the next cycle, the boost write one cycle behind) adds no
// cycle to any phase, so the formulas are those of the asynchronous-read reference.
#pragma once
#include <cstdint>
#include <vector>

#include "htmhw/datapath.hpp"

namespace htmhw {

struct HdlCycles {
    std::uint64_t overlap = 0;     // sum_c ceil(pool_c / lanes) + C: lanes synapses per cycle, a finish cycle per column
    std::uint64_t kwta = 0;        // (score_bits + 2) * C
    std::uint64_t duty_boost = 0;  // C (learning steps)
    std::uint64_t permanence = 0;  // C + sum_c ceil(pool_c / lanes) x passes_c (learning steps)
    std::uint64_t finish = 0;      // 1 (inference) or 2 (learning)
    std::uint64_t total() const { return overlap + kwta + duty_boost + permanence + finish; }
};

// Cycles of the step sp_fixed_compute just ran (winners and ws from that call) on
// sp_top with SYN_LANES = synapse_lanes (>= 1).
HdlCycles hdl_step_cycles(const SpFixed& sp, bool learn, const std::vector<std::uint32_t>& winners,
                          const SpFixedWorkspace& ws, std::uint32_t synapse_lanes = 1);

}  // namespace htmhw
