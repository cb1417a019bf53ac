#include "htmhw/crossbar_read.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "htmhw/check.hpp"
#include "htmhw/detmath.hpp"
#include "htmhw/rng.hpp"

namespace htmhw {

std::uint32_t permanence_level(std::uint32_t p, std::uint32_t perm_max, std::uint32_t levels) {
    if (perm_max == 0) fail_field("perm_max", ">= 1", perm_max);
    if (p > perm_max) fail_field("permanence", "in [0, perm_max]", p);
    const std::uint64_t num = static_cast<std::uint64_t>(p) * (levels - 1);
    return static_cast<std::uint32_t>((2 * num + perm_max) / (2 * static_cast<std::uint64_t>(perm_max)));
}

namespace {

bool curve_is_linear(double nonlinearity) { return nonlinearity < kLinearBelowNonlinearity; }

float curve_fraction(float x, float nonlinearity) {
    if (curve_is_linear(nonlinearity)) return x;
    return (1.0f - det_expf(-nonlinearity * x)) / (1.0f - det_expf(-nonlinearity));
}

}  // namespace

float level_fraction(std::uint32_t level, std::uint32_t levels, float nonlinearity) {
    return curve_fraction(static_cast<float>(level) / static_cast<float>(levels - 1), nonlinearity);
}

void validate(const CellModel& m) {
    if (m.levels != 0 && (m.levels < 2 || m.levels > 65536))
        fail_field("device levels", "0 (ideal read) or in [2, 65536]", m.levels);
    // Negated comparisons: NaN fails them.
    if (!(m.nonlinearity_ltp >= 0.0f && m.nonlinearity_ltp <= 20.0f))
        fail_field("nonlinearity_ltp", "in [0, 20]", m.nonlinearity_ltp);
    if (!(m.nonlinearity_ltd >= 0.0f && m.nonlinearity_ltd <= 20.0f))
        fail_field("nonlinearity_ltd", "in [0, 20]", m.nonlinearity_ltd);
    if (!(m.d2d_sigma >= 0.0f && m.d2d_sigma <= 1.0f)) fail_field("d2d_sigma", "in [0, 1]", m.d2d_sigma);
    if (!(m.c2c_sigma >= 0.0f && m.c2c_sigma <= 1.0f)) fail_field("c2c_sigma", "in [0, 1]", m.c2c_sigma);
}

namespace {

constexpr std::uint64_t kD2dTag = 0x6432645F6761696EULL;  // "d2d_gain"
constexpr std::uint64_t kC2cTag = 0x6332635F77726974ULL;  // "c2c_writ"

// The cell of (column, input): its index in a dense columns x inputs array, which keys
// its random draws (so they do not depend on the pool layout).
std::uint64_t cell_index(const SpFixed& sp, std::uint32_t column, std::uint32_t input) {
    return static_cast<std::uint64_t>(column) * sp.num_inputs + input;
}

float draw_cell_gain(const CellModel& m, std::uint64_t cell) {
    if (m.d2d_sigma == 0.0f) return 1.0f;
    Rng r(m.seed ^ kD2dTag, cell);
    return std::max(0.0f, 1.0f + m.d2d_sigma * static_cast<float>(r.normal12()));
}

// Error of an open-loop write of n pulses at learning step `step`. Step 0 is the initial
// programming, done with program-and-verify: no error.
float write_error(const CellModel& m, std::uint64_t cell, std::uint64_t step, std::uint32_t n) {
    if (m.c2c_sigma == 0.0f || n == 0 || step == 0) return 0.0f;
    Rng r(m.seed ^ kC2cTag ^ (step * 0x9E3779B97F4A7C15ULL), cell);
    return m.c2c_sigma * std::sqrt(static_cast<float>(n)) * static_cast<float>(r.normal12());
}

// Pulse coordinate of conductance g on a rising table (piecewise linear between levels).
float pulses_at(const std::vector<float>& table, float g) {
    const std::size_t top = table.size() - 1;
    if (g <= table[0]) return 0.0f;
    if (g >= table[top]) return static_cast<float>(top);
    const std::size_t hi = static_cast<std::size_t>(std::upper_bound(table.begin(), table.end(), g) - table.begin());
    const std::size_t lo = hi - 1;  // table[lo] <= g < table[hi]
    return static_cast<float>(lo) + (g - table[lo]) / (table[hi] - table[lo]);
}

// Conductance at a pulse coordinate (clamped to [0, levels - 1]).
float conductance_at(const std::vector<float>& table, float x) {
    const std::size_t top = table.size() - 1;
    if (x <= 0.0f) return table[0];
    if (x >= static_cast<float>(top)) return table[top];
    const std::size_t lo = static_cast<std::size_t>(x);
    const float frac = x - static_cast<float>(lo);
    return frac == 0.0f ? table[lo] : table[lo] + (table[lo + 1] - table[lo]) * frac;
}

// The write of a cell whose level moves from `from` to `to`: |to - from| pulses along
// the potentiation or the depression curve from its present conductance, plus the
// cycle-to-cycle error, clamped to the device range.
float write_cell(const CrossbarRead& r, float g, std::uint32_t from, std::uint32_t to, std::uint64_t cell,
                 std::uint64_t step) {
    const std::uint32_t n = to > from ? to - from : from - to;
    const auto& curve = to > from ? r.ltp_curve : r.ltd_curve;
    const float x = pulses_at(curve, g) + (to > from ? 1.0f : -1.0f) * static_cast<float>(n);
    const float out = conductance_at(curve, x) + write_error(r.model, cell, step, n);
    return std::min(1.0f, std::max(0.0f, out));
}

// Column c's effective row: with non-ideal cells, first writes the cells whose level
// changed (as learning step `step`), then reads them against the reference; with ideal
// cells, the connected bits. Stuck-at cells last.
void read_column(CrossbarRead& r, const SpFixed& sp, std::uint32_t c, std::uint64_t step) {
    const std::uint32_t words = sp.input_words;
    const std::size_t base = static_cast<std::size_t>(c) * words;
    std::uint64_t* out = r.effective_connected_bits.data() + base;
    if (r.model.levels == 0) {
        std::copy(sp.connected_bits.begin() + base, sp.connected_bits.begin() + base + words, out);
    } else {
        const std::uint64_t* pool = sp.potential_bits.data() + base;
        std::uint64_t k = sp.perm_offsets[c];
        for (std::uint32_t w = 0; w < words; ++w) {
            std::uint64_t bits_out = 0;
            for (std::uint64_t bits = pool[w]; bits; bits &= bits - 1, ++k) {
                const auto b = static_cast<std::uint32_t>(__builtin_ctzll(bits));
                const auto level = permanence_level(sp_fixed_perm(sp, k), sp.q.perm_max, r.model.levels);
                if (level != r.cell_level[k]) {
                    r.cell_conductance[k] = write_cell(r, r.cell_conductance[k], r.cell_level[k], level,
                                                       cell_index(sp, c, w * 64 + b), step);
                    r.cell_level[k] = static_cast<std::uint16_t>(level);
                }
                if (r.cell_conductance[k] * r.cell_gain[k] >= r.sense_reference) bits_out |= 1ULL << b;
            }
            out[w] = bits_out;
        }
    }
    if (!r.stuck_on_bits.empty())
        for (std::uint32_t w = 0; w < words; ++w)
            out[w] = (out[w] & ~r.stuck_off_bits[base + w]) | r.stuck_on_bits[base + w];
}

void set_reference(CrossbarRead& r, const SpFixed& sp) {
    // The conductance the threshold permanence reaches when programmed from reset.
    const float x = static_cast<float>(sp.q.conn_q) / static_cast<float>(sp.q.perm_max);
    r.sense_reference = curve_fraction(x, r.model.nonlinearity_ltp);
}

// Curves, reference and per-cell gains from the model (cells must be non-ideal).
void derive_cells(CrossbarRead& r, const SpFixed& sp) {
    const CellModel& m = r.model;
    r.ltp_curve.resize(m.levels);
    r.ltd_curve.resize(m.levels);
    for (std::uint32_t l = 0; l < m.levels; ++l) {
        r.ltp_curve[l] = level_fraction(l, m.levels, m.nonlinearity_ltp);
        // Depression mirrors the potentiation shape from the top of the range.
        r.ltd_curve[l] = curve_is_linear(m.nonlinearity_ltd)
                             ? level_fraction(l, m.levels, 0.0f)
                             : 1.0f - level_fraction(m.levels - 1 - l, m.levels, m.nonlinearity_ltd);
    }
    set_reference(r, sp);
    r.cell_gain.resize(sp.perm_offsets.back());
    for (std::uint32_t c = 0; c < sp.num_columns; ++c) {
        std::uint64_t k = sp.perm_offsets[c];
        const std::uint64_t* pool = sp.potential_bits.data() + static_cast<std::size_t>(c) * sp.input_words;
        for (std::uint32_t w = 0; w < sp.input_words; ++w)
            for (std::uint64_t bits = pool[w]; bits; bits &= bits - 1, ++k)
                r.cell_gain[k] =
                    draw_cell_gain(m, cell_index(sp, c, w * 64 + static_cast<std::uint32_t>(__builtin_ctzll(bits))));
    }
}

void check_stuck_masks(const SpFixed& sp, const std::vector<std::uint64_t>& on, const std::vector<std::uint64_t>& off) {
    if (on.empty() && off.empty()) return;
    const std::size_t n = static_cast<std::size_t>(sp.num_columns) * sp.input_words;
    if (on.size() != n || off.size() != n)
        fail_field("stuck-at masks", "columns x input_words = " + std::to_string(n) + " words each",
                   std::to_string(on.size()) + " and " + std::to_string(off.size()));
    const std::uint32_t tail = sp.num_inputs % 64;
    const std::uint64_t valid_last = tail ? (1ULL << tail) - 1 : ~0ULL;
    for (std::size_t k = 0; k < n; ++k) {
        if (on[k] & off[k]) throw std::invalid_argument("a cell cannot be stuck on and stuck off");
        if ((k % sp.input_words) == sp.input_words - 1 && ((on[k] | off[k]) & ~valid_last))
            throw std::invalid_argument("stuck-at masks have bits past num_inputs");
    }
}

CrossbarRead empty_read(const SpFixed& sp, const CellModel& model, std::vector<std::uint64_t> stuck_on,
                        std::vector<std::uint64_t> stuck_off) {
    validate(model);
    check_stuck_masks(sp, stuck_on, stuck_off);
    CrossbarRead r;
    r.model = model;
    r.stuck_on_bits = std::move(stuck_on);
    r.stuck_off_bits = std::move(stuck_off);
    r.effective_connected_bits.assign(static_cast<std::size_t>(sp.num_columns) * sp.input_words, 0);
    return r;
}

void read_all(CrossbarRead& r, const SpFixed& sp, std::uint64_t step) {
    for (std::uint32_t c = 0; c < sp.num_columns; ++c) read_column(r, sp, c, step);
}

}  // namespace

CrossbarRead crossbar_read_create(const SpFixed& sp, const CellModel& model, std::vector<std::uint64_t> stuck_on,
                                  std::vector<std::uint64_t> stuck_off) {
    CrossbarRead r = empty_read(sp, model, std::move(stuck_on), std::move(stuck_off));
    if (model.levels) {
        const std::uint64_t synapses = sp.perm_offsets.back();
        r.cell_level.assign(synapses, 0);  // every cell starts reset ...
        r.cell_conductance.assign(synapses, 0.0f);
        derive_cells(r, sp);
    }
    read_all(r, sp, 0);  // ... and is programmed to its level: write step 0
    return r;
}

CrossbarRead crossbar_read_restore(const SpFixed& sp, const CellModel& model, std::vector<std::uint64_t> stuck_on,
                                   std::vector<std::uint64_t> stuck_off, std::vector<std::uint16_t> cell_level,
                                   std::vector<float> cell_conductance) {
    CrossbarRead r = empty_read(sp, model, std::move(stuck_on), std::move(stuck_off));
    const std::uint64_t synapses = model.levels ? sp.perm_offsets.back() : 0;
    if (cell_level.size() != synapses || cell_conductance.size() != synapses)
        throw std::invalid_argument(
            "invalid saved state: the crossbar cell arrays must have one entry per potential synapse (" +
            std::to_string(synapses) + (model.levels ? ")" : ": the cells are ideal)"));
    for (std::uint64_t k = 0; k < synapses; ++k) {
        if (cell_level[k] != permanence_level(sp_fixed_perm(sp, k), sp.q.perm_max, model.levels))
            throw std::invalid_argument("invalid saved state: device cell level " + std::to_string(k) +
                                        " does not match its permanence");
        if (!(cell_conductance[k] >= 0.0f && cell_conductance[k] <= 1.0f))
            throw std::invalid_argument("invalid saved state: device cell conductance " + std::to_string(k) +
                                        " outside [0, 1]");
    }
    r.cell_level = std::move(cell_level);
    r.cell_conductance = std::move(cell_conductance);
    if (model.levels) derive_cells(r, sp);
    read_all(r, sp, sp.iteration_learn_num);  // levels match: nothing is written
    return r;
}

void crossbar_read_follow(CrossbarRead& read, const SpFixed& sp, const std::uint32_t* columns, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) read_column(read, sp, columns[i], sp.iteration_learn_num);
}

void crossbar_read_rederive(CrossbarRead& read, const SpFixed& sp) {
    if (read.model.levels) set_reference(read, sp);
    read_all(read, sp, sp.iteration_learn_num);
}

void sp_fixed_step(SpFixed& sp, CrossbarRead* read, const std::uint8_t* input, bool learn, SpFixedWorkspace& ws,
                   std::vector<std::uint32_t>& winners) {
    sp_fixed_compute(sp, input, learn, ws, winners, read_bits_of(read));
    if (read) crossbar_read_follow(*read, sp, ws.written_columns.data(), ws.written_columns.size());
}

}  // namespace htmhw
