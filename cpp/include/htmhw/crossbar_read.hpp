// The crossbar read model (docs/crossbar.md "Non-idealities in the loop"): the SP's
// connected matrix as memristor cells read it. The datapath does not know about it: it
// counts the overlap over whichever connected matrix it is given (sp_fixed_compute's
// read_bits); this model keeps that matrix, effective_connected_bits, in step with the
// permanences the datapath writes.
//
// Every potential synapse is a cell with a normalized conductance g in [0, 1]
// (0 = 1/r_off, 1 = 1/r_on) and the level it was last programmed to,
// permanence_level(p, perm_max, levels). When learning changes the level by n, the
// controller applies n pulses: potentiation moves n steps along
//   ltp(x) = (1 - exp(-nu_p x / (L-1))) / (1 - exp(-nu_p))   (x / (L-1) if nu_p = 0),
// depression n steps back along ltd(x) = 1 - ltp_{nu_d}(L-1-x), both tabulated per level
// and interpolated linearly, starting from the pulse coordinate of the cell's present g
// (so unequal curves make the cell drift from its level); a learning write of n pulses
// adds c2c_sigma * sqrt(n) * z and clamps to [0, 1] (the initial programming, step 0, is
// program-and-verify: exact). The cell reads as connected when
// g * (1 + d2d_sigma * z_cell) >= ltp(conn_q / perm_max), the conductance the threshold
// permanence reaches from reset. z from Rng::normal12 (docs/rng.md). Stuck-at masks
// override the read. With levels = perm_max + 1, linear curves and no variation this is
// exactly the ideal read.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "htmhw/datapath.hpp"

namespace htmhw {

// Conductance level of an integer permanence p in [0, perm_max] on a device with
// `levels` levels: round-half-up(p * (levels - 1) / perm_max), exact integer arithmetic.
std::uint32_t permanence_level(std::uint32_t p, std::uint32_t perm_max, std::uint32_t levels);

// Normalized conductance (0 = 1/r_off, 1 = 1/r_on) of a level programmed by `level`
// pulses from reset: x = level / (levels - 1), (1 - exp(-nu x)) / (1 - exp(-nu)) (NeuroSim's
// nonlinear weight-update curve; x when nu = 0), float32 with det_expf.
float level_fraction(std::uint32_t level, std::uint32_t levels, float nonlinearity);
// Below this nonlinearity the curve is taken as linear: it differs from x by at most nu / 8
// of the range, while the float32 formula loses all precision (1 - exp(-nu) rounds to 0 for
// nu < 6e-8, giving 0/0).
constexpr double kLinearBelowNonlinearity = 1e-3;

// The cells' parameters.
struct CellModel {
    std::uint32_t levels = 0;       // conductance levels, 0 = ideal cells (they hold the connected bits), else [2, 65536]
    float nonlinearity_ltp = 0.0f;  // potentiation curve nu in [0, 20] (0 = linear)
    float nonlinearity_ltd = 0.0f;  // depression curve nu in [0, 20]
    float d2d_sigma = 0.0f;         // device-to-device sigma of a cell's conductance range, [0, 1]
    float c2c_sigma = 0.0f;         // cycle-to-cycle sigma per pulse (full range = 1), [0, 1]
    std::uint64_t seed = 0;
};
// Throws std::invalid_argument naming the field, the range and the value.
void validate(const CellModel& m);

struct CrossbarRead {
    CellModel model;
    // Stuck-at faults, columns x input_words each, bit i of column c's row = cell (input i,
    // column c); empty = none. Stuck on reads as connected, stuck off as not, whatever the
    // cell holds (stuck on also outside the potential pool).
    std::vector<std::uint64_t> stuck_on_bits, stuck_off_bits;
    // Cell state per potential synapse, in permanence order (empty with ideal cells): the
    // level last written and the normalized conductance the cell holds.
    std::vector<std::uint16_t> cell_level;
    std::vector<float> cell_conductance;
    // Derived from the model and the pooler (rebuilt on restore, not saved): each cell's
    // d2d gain, the conductance after n pulses along each curve, the sense reference.
    std::vector<float> cell_gain;
    std::vector<float> ltp_curve, ltd_curve;
    float sense_reference = 0.0f;
    // What the overlap counts (sp_fixed_compute's read_bits): columns x input_words, the
    // cells that read as connected, stuck-at cells applied.
    std::vector<std::uint64_t> effective_connected_bits;
};

// Cells of `model` programmed (program-and-verify: exactly) to sp's present permanences,
// with the stuck-at masks (two empty vectors = none; else columns x input_words words each,
// disjoint, zero past num_inputs). Throws std::invalid_argument naming what is wrong.
CrossbarRead crossbar_read_create(const SpFixed& sp, const CellModel& model, std::vector<std::uint64_t> stuck_on,
                                  std::vector<std::uint64_t> stuck_off);

// A saved read: the cell levels must match sp's permanences (cells are rewritten after every
// learning step) and the conductances lie in [0, 1]; "invalid saved state: ..." otherwise.
CrossbarRead crossbar_read_restore(const SpFixed& sp, const CellModel& model, std::vector<std::uint64_t> stuck_on,
                                   std::vector<std::uint64_t> stuck_off, std::vector<std::uint16_t> cell_level,
                                   std::vector<float> cell_conductance);

// After sp wrote the permanences of `columns` (a learning step's ws.written_columns, or
// sp_fixed_set_column): each cell whose level changed gets its write pulses, as learning
// step sp.iteration_learn_num, and the columns are read again.
void crossbar_read_follow(CrossbarRead& read, const SpFixed& sp, const std::uint32_t* columns, std::size_t n);

// After sp's constants were re-derived (sp_fixed_rebuild_and_check, e.g. a parameter
// change): the sense reference follows conn_q, then every column as crossbar_read_follow.
void crossbar_read_rederive(CrossbarRead& read, const SpFixed& sp);

// The connected matrix sp_fixed_compute / sp_fixed_infer count: the read's, or null (the
// contract's own connected bits) without one.
inline const std::uint64_t* read_bits_of(const CrossbarRead* read) {
    return read ? read->effective_connected_bits.data() : nullptr;
}

// One datapath step through `read` (null = the contract's read); the cells follow the
// step's writes.
void sp_fixed_step(SpFixed& sp, CrossbarRead* read, const std::uint8_t* input, bool learn, SpFixedWorkspace& ws,
                   std::vector<std::uint32_t>& winners);

}  // namespace htmhw
