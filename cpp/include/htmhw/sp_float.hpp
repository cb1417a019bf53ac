// Float reference spatial pooler with NuPIC 1.0 semantics (see docs/sp_float.md
// for every deviation). Plain value type + functions over flat arrays:
//   * potential pools in CSR form (pool_offsets / pool_inputs), inputs ascending;
//   * one float32 permanence per potential synapse, contiguous per column;
//   * connected synapses as a bit matrix (columns x input words), so an overlap is
//     AND + popcount over the words that a column's pool can touch.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "htmhw/topology.hpp"

namespace htmhw {

// Parameters, named as in NuPIC (snake_case). No defaults here: the Python
// layer owns the defaults (python/htmhw/_param_table.py), so they live in one place.
struct SpParams {
    Dims input_dimensions;
    Dims column_dimensions;
    std::uint32_t potential_radius = 0;
    double potential_pct = 0;
    bool global_inhibition = false;
    double local_area_density = 0;
    double num_active_columns_per_inh_area = 0;
    double stimulus_threshold = 0;
    double syn_perm_inactive_dec = 0;
    double syn_perm_active_inc = 0;
    double syn_perm_connected = 0;
    double min_pct_overlap_duty_cycle = 0;
    std::uint32_t duty_cycle_period = 0;
    double boost_strength = 0;
    std::uint64_t seed = 0;
    std::uint32_t sp_verbosity = 0;
    bool wrap_around = true;
    // htmhw extension: NuPIC 1.0 boosts only while learning (false); htm.core
    // also boosts during inference (true).
    bool boost_in_inference = false;
};

// Throws std::invalid_argument naming the parameter, the allowed range and the
// value received.
void validate(const SpParams& p);

// Parameters that only shape initialization (dimensions, potential pools, the seed):
// `params` must keep describing how a pooler was built (SpatialPooler(**params) rebuilds
// it), so they cannot change afterwards.
bool param_is_construction_only(const std::string& name);
// Parameters that set the inhibition density: changing one can leave no column able to
// win (check_some_column_can_win).
bool param_sets_inhibition(const std::string& name);

// Sizes a configuration implies, computed from the parameters alone (before allocating):
// potential synapses at their upper bound (every pool at round(field x potential_pct), field =
// product over input dimensions of min(size, 2 potential_radius + 1)) and the bytes of the
// connected-bit matrix (columns x ceil(inputs / 64) words).
struct SpSizeEstimate {
    double num_inputs = 0, num_columns = 0, potential_synapses = 0, connected_bytes = 0;
};
SpSizeEstimate sp_size_estimate(const SpParams& p);

// Largest model accepted (potential synapses); beyond it construction is refused
// before any allocation.
constexpr std::uint64_t kMaxPotentialSynapses = 1ULL << 31;
constexpr std::uint64_t kMaxColumns = 1ULL << 26;
constexpr std::uint64_t kMaxInputs = 1ULL << 26;

struct SpFloat {
    SpParams params;
    // Derived constants (NuPIC names in comments).
    Dims input_dims;   // input_dimensions padded with trailing 1s to the column rank
    Dims column_dims;  // column_dimensions padded likewise
    std::uint32_t num_inputs = 0, num_columns = 0;
    std::uint32_t input_words = 0;        // ceil(num_inputs / 64)
    float syn_perm_below_stimulus_inc = 0;  // synPermConnected / 10
    float syn_perm_trim_threshold = 0;      // synPermActiveInc / 2
    std::uint32_t update_period = 50;

    // Mutable learning state.
    std::uint32_t inhibition_radius = 0;
    std::uint64_t iteration_num = 0, iteration_learn_num = 0;

    std::vector<std::uint64_t> pool_offsets;  // num_columns + 1
    std::vector<std::uint32_t> pool_inputs;   // ascending within a column
    std::vector<float> permanences;           // parallel to pool_inputs
    std::vector<std::uint64_t> connected_bits;  // num_columns * input_words
    std::vector<std::uint32_t> word_lo, word_hi;  // words a column's pool touches
    std::vector<std::uint32_t> connected_counts;
    // Input-major view of the same synapses: for input i, slots
    // [input_offsets[i], input_offsets[i+1]) hold the column of each potential
    // synapse and whether it is connected (kept in step with connected_bits).
    std::vector<std::uint64_t> input_offsets;
    std::vector<std::uint32_t> input_major_columns;
    std::vector<std::uint8_t> input_major_connected;
    std::vector<std::uint32_t> synapse_to_input_major;  // parallel to pool_inputs
    std::uint64_t window_words_total = 0;
    bool scatter_enabled = false;  // derived from the structure; see build_input_major

    std::vector<float> overlap_duty_cycles, active_duty_cycles, min_overlap_duty_cycles;
    std::vector<float> boost_factors;
    // Results of the last compute (NuPIC's getOverlaps / getBoostedOverlaps).
    std::vector<std::uint32_t> overlaps;
    std::vector<float> boosted_overlaps;
};

// Builds and initializes a pooler (potential pools and permanences from the
// project PRNG, see docs/rng.md). Validates params first.
SpFloat sp_create(const SpParams& params);

// Scratch memory for one compute; one per thread.
struct SpWorkspace {
    std::vector<std::uint64_t> input_bits;
    std::vector<std::uint32_t> active_inputs;
    std::vector<std::uint32_t> scratch, histogram;
    std::vector<float> deltas;  // per input: +inc or -dec
    std::vector<std::uint32_t> neighborhood;
    std::vector<std::uint8_t> active_mask;
    std::vector<float> scores;
};

// Packs a dense 0/1 byte vector (length num_inputs) into words and the list of
// active indices. Precondition: every byte is 0 or 1.
void pack_input(const std::uint8_t* input, std::uint32_t num_inputs, SpWorkspace& ws);
void pack_input(const std::uint8_t* input, std::uint32_t num_inputs, std::vector<std::uint64_t>& bits,
                std::vector<std::uint32_t>& active);

// Overlap of every column with a packed input (bits and active index list) (count of connected synapses on
// active inputs). Const: safe to call from several threads on one pooler.
void compute_overlaps(const SpFloat& sp, const std::uint64_t* input_bits,
                      const std::vector<std::uint32_t>& active_inputs, std::uint32_t* out);

// One NuPIC compute step on a dense 0/1 input; winners in ascending order.
void sp_compute(SpFloat& sp, const std::uint8_t* input, bool learn, SpWorkspace& ws,
                std::vector<std::uint32_t>& winners);

// Inference only (no state change; boosting only with boost_in_inference, as
// compute with learn=False),
// const so that it can run on several threads.
void sp_infer(const SpFloat& sp, const std::uint8_t* input, SpWorkspace& ws,
              std::uint32_t* overlaps_out, std::vector<std::uint32_t>& winners);

// Number of winners for global inhibition and the density used by inhibition
// and by the global boost target (NuPIC's _inhibitColumns / _updateBoostFactorsGlobal).
double inhibition_density(const SpFloat& sp);
double inhibition_density(const SpParams& p, std::uint32_t inhibition_radius, std::uint32_t num_columns);

// Throws std::invalid_argument (naming the inhibition parameter in use and the minimum it
// needs) when no column can win at this inhibition radius: global (or radius > the largest
// column dimension) with int(density * num_columns) == 0, or local with
// int(0.5 + density * n) == 0 for the largest neighbourhood n = prod_d min(2r + 1, dim_d).
// column_dims padded to the common rank. Checked at construction and when a setter changes
// local_area_density, num_active_columns_per_inh_area or global_inhibition; the radius
// recomputed during learning is not checked (docs/datapath.md, step 4).
void check_some_column_can_win(const SpParams& p, std::uint32_t inhibition_radius, const Dims& column_dims,
                               std::uint32_t num_columns);

// Recompute a column's connected bits and count from its permanences after
// NuPIC's _updatePermanencesForColumn (optionally raising to the stimulus
// threshold first, then trimming and clipping).
void update_column_permanences(SpFloat& sp, std::uint32_t column, bool raise_to_threshold);

// Replace a column's potential pool (ascending, unique input indices).
// Permanences of inputs that stay in the pool are kept; new ones start at 0.
void set_potential_pool(SpFloat& sp, std::uint32_t column, const std::vector<std::uint32_t>& inputs);

void update_inhibition_radius(SpFloat& sp);

// Re-derives everything that is a function of the stored state (connected bits,
// counts, windows, derived constants) and checks every field for consistency;
// used after loading a saved state. Throws std::invalid_argument naming the field.
void sp_rebuild_and_check(SpFloat& sp);

// sp with its parameters replaced by `params` (construction-only ones unchanged), rebuilt
// and checked by `rebuild_and_check` (sp_rebuild_and_check, sp_fixed_rebuild_and_check); sp
// itself is left alone when that throws. With inhibition_changed the new density is checked
// against the present radius (a saved state's radius may have shrunk during learning, so it
// is not checked otherwise). One definition for both poolers.
template <class Pooler, class RebuildAndCheck>
Pooler pooler_with_params(const Pooler& sp, const SpParams& params, bool inhibition_changed,
                          RebuildAndCheck rebuild_and_check) {
    Pooler copy = sp;
    copy.params = params;
    rebuild_and_check(copy);
    if (inhibition_changed)
        check_some_column_can_win(copy.params, copy.inhibition_radius, copy.column_dims, copy.num_columns);
    return copy;
}

// pooler_with_params for the float pooler.
SpFloat sp_with_params(const SpFloat& sp, const SpParams& params, bool inhibition_changed);

// A synapse is connected when its float32 permanence >= this (NuPIC: syn_perm_connected -
// PERMANENCE_EPSILON, compared in float32).
float connected_threshold(const SpFloat& sp);

}  // namespace htmhw
