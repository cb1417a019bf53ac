// Self-organizing map (Kohonen map) and its top-K encoder: plain value types and
// pure functions over contiguous arrays. Specification: docs/som.md.
//
// Determinism contract: for the same inputs, parameters and seed every function
// here returns the same bits for any thread count and any SIMD level. Every
// float sum is computed in one fixed order (SIMD only runs across independent
// outputs; the build uses -ffp-contract=off and no FMA), parallel work is split by
// output (units or samples), never reduced per thread in thread-dependent order.
//
// Preconditions are checked: every function throws std::invalid_argument naming
// the parameter and its allowed range when they do not hold.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace htmhw {

enum class SomLattice : std::uint8_t { rect = 0, hex = 1 };
enum class SomTopology : std::uint8_t { planar = 0, toroidal = 1 };
enum class SomNeighborhood : std::uint8_t { gaussian = 0, bubble = 1 };
enum class SomDecay : std::uint8_t { linear = 0, exponential = 1 };

// Units are numbered row-major: unit u sits at row u / cols, column u % cols.
// rect: unit (r, c) at (x, y) = (c, r). hex: offset rows, odd rows shifted right
// by 0.5, row spacing sqrt(3)/2: (x, y) = (c + 0.5 (r & 1), r sqrt(3)/2), so the
// six neighbours of a unit are at distance exactly 1. toroidal: x wraps with
// period cols, y with period rows (hex rows times sqrt(3)/2; needs an even
// number of rows so that the row offsets line up across the seam).
struct SomGrid {
    std::uint32_t rows = 0;
    std::uint32_t cols = 0;
    SomLattice lattice = SomLattice::rect;
    SomTopology topology = SomTopology::planar;
    std::uint32_t num_units() const { return rows * cols; }
};

// Largest supported map (units) and input dimension.
constexpr std::uint32_t kSomMaxUnits = 1u << 20;
constexpr std::uint32_t kSomMaxDim = 1u << 24;
// Input values must be finite with |value| <= kSomMaxAbsInput (squared
// distances then stay finite in float32).
constexpr float kSomMaxAbsInput = 1e15f;

// Throws unless rows, cols >= 1, rows * cols <= kSomMaxUnits and (hex and
// toroidal) -> rows even.
void som_check_grid(const SomGrid& g);

// Squared grid distance between units a and b, exact: rect dx^2 + dy^2 with
// integer offsets; hex ((2 dx)^2 + 3 dy^2) / 4 with 2 dx and dy integers (the
// shortest image on a torus). Precondition: a, b < num_units.
double som_grid_distance2(const SomGrid& g, std::uint32_t a, std::uint32_t b);

// (x, y) of every unit (2 * num_units doubles), as described above.
std::vector<double> som_unit_coordinates(const SomGrid& g);

// Adjacency used by the topographic error, the U-matrix and the blob count:
// rect: the (up to) 8 units at grid distance <= sqrt(2) (the Moore
// neighbourhood); hex: the (up to) 6 units at distance 1. Toroidal maps wrap.
// A unit is never its own neighbour (even on 1- or 2-wide tori).
bool som_adjacent(const SomGrid& g, std::uint32_t a, std::uint32_t b);
// CSR adjacency lists (offsets num_units + 1, neighbours ascending).
void som_adjacency(const SomGrid& g, std::vector<std::uint32_t>& offsets, std::vector<std::uint32_t>& neighbors);

// Neighbourhood weight at squared grid distance d2 for radius r > 0:
// gaussian: exp(-d2 / (2 sigma^2)) with sigma = std_coeff * r, exactly 0 where
// d2 / (2 sigma^2) > 32 (exp(-32) ~ 1.3e-14); bubble: 1 if d2 <= r^2 else 0.
// exp is htmhw::det_expf (bit-identical everywhere).
float som_neighborhood_weight(SomNeighborhood h, double d2, double radius, double std_coeff);

// Weights h(v, u) of every pair as training uses them (units x units, row v):
// on rect grids the Gaussian is the product of the per-axis weights
// g(dx^2) g(dy^2) (each truncated as above; this is what makes the batch
// smoothing separable); otherwise som_neighborhood_weight of the squared grid
// distance. Precondition: at most 16384 units.
std::vector<float> som_neighborhood_matrix(const SomGrid& g, SomNeighborhood h, double radius, double std_coeff);

// Value of a decaying schedule at step t of T (t in [0, T)): linear
// start + (end - start) t / (T - 1); exponential start (end / start)^(t / (T - 1));
// T == 1 gives start. Preconditions: T >= 1, t < T; exponential needs start, end > 0.
double som_schedule(SomDecay decay, double start, double end, std::uint64_t t, std::uint64_t T);

// A map: the grid and the unit prototypes (num_units x dim, row-major).
struct SomMap {
    SomGrid grid;
    std::uint32_t dim = 0;
    std::vector<float> weights;
};

// Throws unless the grid is valid, dim in [1, kSomMaxDim] and the weights have
// num_units * dim finite entries.
void som_check_map(const SomMap& m);

// Throws unless x holds n * dim finite values with |value| <= kSomMaxAbsInput;
// name names the argument in the message.
void som_check_inputs(const float* x, std::size_t n, std::uint32_t dim, const char* name);

// Initialization. pca: units spread over the plane of the first two principal
// components of the data (computed by 30 rounds of subspace iteration on at most
// 4096 evenly strided samples, from start vectors drawn from Rng(seed, 0)); the
// longer grid axis follows the first component, coordinates spanning +-2
// standard deviations. sample: unit u is a training sample chosen by a partial
// Fisher-Yates shuffle with Rng(seed, 0) (with replacement when n < units).
enum class SomInit : std::uint8_t { pca = 0, sample = 1 };
SomMap som_init(const SomGrid& g, const float* x, std::size_t n, std::uint32_t dim, SomInit init,
                std::uint64_t seed, unsigned threads);

struct SomTrainParams {
    SomNeighborhood neighborhood = SomNeighborhood::gaussian;
    std::uint32_t n_epochs = 10;
    double radius_start = 1.0;       // > 0
    double radius_end = 1.0;         // > 0
    SomDecay radius_decay = SomDecay::linear;
    double learning_rate_start = 0.5;  // online only, in (0, 1]
    double learning_rate_end = 0.01;   // online only, in (0, 1]
    SomDecay learning_rate_decay = SomDecay::linear;
    double std_coeff = 0.5;          // gaussian sigma = std_coeff * radius, > 0
    std::uint64_t seed = 0;          // online sample order
    // Train only epochs [epoch_begin, epoch_end) of the n_epochs schedule (epoch_end 0: n_epochs):
    // consecutive ranges give the same prototypes as one call, so a caller can report progress.
    std::uint32_t epoch_begin = 0, epoch_end = 0;
};
void som_check_train_params(const SomTrainParams& p);

// Batch training: per epoch e (radius r_e from the schedule over n_epochs),
// every sample's best-matching unit b(x) (argmin |w|^2 - 2 x.w, ties to the lower
// unit), then w_v = sum_u h(v, u) S_u / sum_u h(v, u) N_u where S_u, N_u are the
// sum and count of the samples whose BMU is u; units with a zero denominator
// keep their prototype. Gaussian smoothing on rect grids is separable (rows, then
// columns); otherwise the dense sum over units.
void som_train_batch(SomMap& m, const float* x, std::size_t n, const SomTrainParams& p, unsigned threads);

// Online training: for epoch e, the samples in the order of a Fisher-Yates
// permutation drawn from Rng(seed, e + 1); step t (of T = n_epochs * n) updates
// w_v += lr_t h(v, b) (x - w_v), with b the unit nearest to x (direct squared
// distance, ties to the lower unit). Sequential by nature: it runs on one
// thread (threads is validated, then ignored).
void som_train_online(SomMap& m, const float* x, std::size_t n, const SomTrainParams& p, unsigned threads);

// Top-K encoder: per sample the k units nearest to x, ranked by the float32
// expanded form |w|^2 - 2 x.w (+|x|^2), ties to the lower unit index. units and
// distances have n * k entries (row-major); distances are Euclidean, recomputed
// directly from x - w for the selected units. Precondition: 1 <= k <= units.
void som_topk(const SomMap& m, const float* x, std::size_t n, std::uint32_t k, unsigned threads,
              std::uint32_t* units, float* distances);

// Spatial dispersion of each row of k active units (n * k entries, each < units):
// mean grid distance over the k (k - 1) / 2 pairs (0 for k == 1), and the number
// of connected groups under som_adjacent. Repeated units count once for blobs.
void som_dispersion(const SomGrid& g, const std::uint32_t* units, std::size_t n, std::uint32_t k, unsigned threads,
                    double* mean_pairwise, std::uint32_t* blobs);

// Building blocks, exposed for tests.
// Smoothing num[v] = sum_u h(v, u) S[u] (S: units x dim), den[v] = sum_u h(v, u) N[u].
void som_smooth(const SomGrid& g, SomNeighborhood h, double radius, double std_coeff, const float* sums,
                const float* counts, std::uint32_t dim, unsigned threads, float* num, float* den);

// Kernel selection (tests): 0 portable, 1 AVX2, 2 AVX-512; the highest the CPU
// supports is the default. Results never depend on it. Returns the level in use.
int som_set_simd_level(int max_level);
int som_simd_level();
// Force the cross-term path: 0 automatic (per sample by density; the prefilter
// for top-K only from 192 dimensions), 1 always sparse, 2 always dense with the
// prefilter wherever it can run, 3 always dense without the prefilter (docs/som.md,
// "Prefilter"; it runs on dense samples at SIMD level 2 with AVX-512BW). Results
// never depend on it.
void som_set_cross_path(int path);
// Whether the dense prefilter runs at the current SIMD level (it needs AVX-512BW).
bool som_prefilter_available();

}  // namespace htmhw
