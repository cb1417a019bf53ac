// Bit-accurate fixed-point spatial pooler: the hardware model. Every operation,
// width, rounding and overflow mode is specified in docs/datapath.md; this is
// its one implementation.
//
// Layout (per column, contiguous):
//   * potential pool as a bit matrix (columns x input words);
//   * one permanence word per potential synapse, in ascending input order
//     (uint8_t when permanence_bits <= 8, else uint16_t): the input of the k-th
//     word is the k-th set bit of the column's potential row;
//   * connected synapses as a bit matrix (columns x input words), and the same
//     bits input-major (inputs x column words), kept equal to it, so that the
//     overlap of a sparse input reads only the active inputs' rows.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "htmhw/sp_float.hpp"

namespace htmhw {

// The fixed-point widths (docs/datapath.md). Defaults are python/htmhw/_param_table.py's
// HW_FIELDS (tests/test_param_table.py holds them equal); the ranges are written once, in
// validate() (datapath.cpp), which the same test probes at every bound.
struct HwConfig {
    std::uint32_t permanence_bits = 8;
    std::uint32_t overlap_bits = 0;  // 0 = derived from the largest pool
    std::uint32_t boost_int_bits = 3;
    std::uint32_t boost_frac_bits = 8;
    std::uint32_t boosted_frac_bits = 4;
    std::uint32_t duty_bits = 16;
    std::uint32_t boost_lut_bits = 10;
};

// Throws std::invalid_argument naming the field, the allowed range and the value (check.hpp).
void validate(const HwConfig& hw);

// Integer constants derived once from the float parameters (docs/datapath.md,
// "Parameter mapping").
struct HwConstants {
    std::uint32_t perm_max = 0;      // M = 2^P - 1
    std::uint32_t conn_q = 0, inc_q = 0, dec_q = 0, bump_q = 0, trim_q = 0;
    std::uint32_t stimulus = 0;      // theta = ceil(stimulusThreshold)
    std::uint32_t overlap_bits = 0;  // resolved B_o
    std::uint32_t overlap_max = 0;   // 2^B_o - 1
    std::uint32_t duty_one = 0;      // S = 2^D - 1
    std::uint32_t duty_shift_max = 0;
    std::uint32_t target_q = 0;      // global boost target
    std::uint32_t min_pct_q = 0;     // UQ0.16
    std::uint32_t boost_one = 0;     // 2^B_f
    std::vector<std::uint32_t> boost_lut;  // 2^A entries, UQ B_i.B_f
};

struct SpFixed {
    SpParams params;
    HwConfig hw;
    HwConstants q;
    Dims input_dims, column_dims;  // padded to equal rank
    std::uint32_t num_inputs = 0, num_columns = 0, input_words = 0;
    std::uint32_t update_period = 50;

    std::uint32_t inhibition_radius = 0;
    std::uint64_t iteration_num = 0, iteration_learn_num = 0;

    std::vector<std::uint64_t> potential_bits;  // num_columns * input_words
    std::vector<std::uint64_t> connected_bits;  // num_columns * input_words
    std::vector<std::uint64_t> connected_by_input;  // num_inputs * column_words (transpose of connected_bits)
    std::uint32_t column_words = 0;               // (num_columns + 63) / 64
    std::vector<std::uint32_t> word_lo, word_hi;  // words a column's pool touches
    std::uint64_t window_words = 0;               // sum of word_hi - word_lo: column-major overlap cost
    std::uint32_t largest_pool = 0;
    std::vector<std::uint64_t> perm_offsets;    // num_columns + 1
    std::vector<std::uint8_t> perm8;            // permanence_bits <= 8
    std::vector<std::uint16_t> perm16;          // permanence_bits > 8
    std::vector<std::uint32_t> connected_counts;

    std::vector<std::uint16_t> overlap_duty, active_duty, min_overlap_duty;  // D bits
    std::vector<std::uint32_t> boost;                                        // UQ B_i.B_f
    // Last step (NuPIC's getOverlaps / getBoostedOverlaps), integers.
    std::vector<std::uint32_t> overlaps, boosted;
};

// Builds and initializes (docs/datapath.md "Initialization"). Validates both.
SpFixed sp_fixed_create(const SpParams& params, const HwConfig& hw);

struct SpFixedWorkspace {
    std::vector<std::uint64_t> input_bits;
    std::vector<std::uint32_t> active_inputs;
    std::vector<std::uint32_t> histogram;
    std::vector<std::uint64_t> stream;  // per-column bit stream (activity / connected)
    std::vector<std::uint32_t> flipped;  // inputs whose connected bit changed in the column being written
    std::vector<std::uint32_t> neighborhood;
    std::vector<std::uint8_t> active_mask;
    std::vector<std::uint32_t> scores;   // inference-only boosted scores
    std::vector<const std::uint64_t*> rows;  // input-major overlap: active inputs' rows, padded with `zeros`
    std::vector<std::uint64_t> zeros, planes, select_masks;
    std::vector<std::uint32_t> positions;  // scratch of the x86 bit-position lists
    std::vector<std::uint32_t> bumped;   // weak columns bumped in the last learning step
    std::vector<std::uint32_t> raise_rounds;  // per winner of the last learning step: raise-loop rounds
    std::uint32_t step_radius = 0;  // the inhibition radius the last step used (its update point changes it after)
    // The columns whose permanences the last learning step wrote (winners and bumped columns,
    // ascending, each once; empty after an inference step): what a read model outside the
    // contract (crossbar_read.hpp) must follow.
    std::vector<std::uint32_t> written_columns;
    bool portable_kernels = false;       // force the portable (non-SIMD) kernels; same results
};

// One step (docs/datapath.md "One step, in order"); winners ascending.
// read_bits: the connected matrix the overlap counts (columns x input_words), when it is
// not the contract's own connected_bits (a crossbar read, crossbar_read.hpp); null = the
// contract. Learning always updates the contract's permanences and connected bits; the
// caller brings read_bits up to date for ws.written_columns before the next step.
void sp_fixed_compute(SpFixed& sp, const std::uint8_t* input, bool learn, SpFixedWorkspace& ws,
                      std::vector<std::uint32_t>& winners, const std::uint64_t* read_bits = nullptr);

// Inference without any state change (= compute with learn=False, minus the
// counter); const so it can run on several threads. overlaps_out: num_columns.
void sp_fixed_infer(const SpFixed& sp, const std::uint8_t* input, SpFixedWorkspace& ws, std::uint32_t* overlaps_out,
                    std::vector<std::uint32_t>& winners, const std::uint64_t* read_bits = nullptr);

// Winners per step under global inhibition (docs/datapath.md step 4): int(density x columns).
std::uint64_t sp_fixed_global_winners(const SpFixed& sp);

// Per-column kWTA budget at the pooler's current inhibition radius (docs/datapath.md step 4):
// quota_c = int(0.5 + density * |N(c)|) under local kWTA; under global kWTA (global
// inhibition, or a radius past the largest column dimension) k = int(density * C) for every
// column, with which the local rule over neighbourhoods that hold every column selects
// exactly the global winners (hdl_ref/README.md, "Local inhibition").
std::vector<std::uint32_t> sp_fixed_kwta_quotas(const SpFixed& sp);

// |N(c)| at inhibition radius r: the product of the interval lengths (docs/datapath.md).
std::uint64_t sp_fixed_neighborhood_size(const SpFixed& sp, std::uint32_t column, std::uint32_t radius);

// Permanence word k of the flat memory, whatever the storage width.
inline std::uint32_t sp_fixed_perm(const SpFixed& sp, std::uint64_t k) {
    return sp.hw.permanence_bits <= 8 ? sp.perm8[k] : sp.perm16[k];
}

// Re-derives constants, windows, connected bits and counts from the stored
// state and checks every field (after loading or after setting state).
// Throws std::invalid_argument naming the field.
void sp_fixed_rebuild_and_check(SpFixed& sp);

// sp with its parameters replaced by `params`, rebuilt and checked, as sp_with_params.
SpFixed sp_fixed_with_params(const SpFixed& sp, const SpParams& params, bool inhibition_changed);

// Sets one column's permanence words (pool order), then trims and refreshes
// its connected bits (no raise), as NuPIC's setPermanence.
void sp_fixed_set_column(SpFixed& sp, std::uint32_t column, const std::vector<std::uint32_t>& words);

}  // namespace htmhw
