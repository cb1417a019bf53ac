// Receptive-field accelerator of the docs/datapath.md datapath (global inhibition): the
// throughput design next to sp_top's small one, with the same host port, handshake and
// golden vectors. Microarchitecture and cycle formulas: hdl_ref/README.md, "sp_accel".
//
// Why it is fast: a column's potential pool lies inside the neighbourhood of its centre
// input (docs/rng.md step 1), a window of WINDOW input positions fixed by the geometry
// (dimensions, potential radius, wrap-around) and not by the seed. Each column keeps one
// connected bit per window position in flip-flops, and its window inputs are wires from
// the input register, so every column's overlap is one AND and one popcount, all columns
// in the same cycle: no input multiplexer per synapse. The pool itself stays programmable:
// the host writes, per synapse slot, its window position (selector 1) instead of the
// input index (htmhw.hw.hdl.window_positions computes them).
//
// Per step: the overlap of every column (1 cycle); boost multiply, COLUMN_LANES columns
// per cycle; the kWTA over all scores at once (one cycle per threshold bit); marking and
// duty cycles, COLUMN_LANES columns per cycle; the permanence update of the groups of
// PERM_LANES columns that hold a winner or a weak column, one pass over their whole pools
// per cycle. The window bits are rebuilt from the
// permanence memory (one column per cycle) at the first step after the host wrote a
// permanence, a window position or a pool size.
//
// Host port: as sp_top's (hdl_ref/README.md, "Host port"; selector map sp_host_map.vh),
// selector 1 taking the window position of a synapse slot's input, not its index.
`default_nettype none
module sp_accel #(
    parameter NUM_INPUTS = 16,                     // input vector bits I (= IN_DIM0 * IN_DIM1 * IN_DIM2)
    parameter NUM_COLUMNS = 8,                     // columns C (= COL_DIM0 * COL_DIM1 * COL_DIM2)
    parameter NUM_SYNAPSES = 64,                   // potential synapses Z (checked <= C * POOL_MAX)
    parameter POOL_MAX = 8,                        // largest potential pool (synapse slots per column)
    parameter IN_DIM0 = 16,                        // padded input dimensions, rank 3 (trailing 1s), row-major
    parameter IN_DIM1 = 1,
    parameter IN_DIM2 = 1,
    parameter COL_DIM0 = 8,                        // padded column dimensions, same rank
    parameter COL_DIM1 = 1,
    parameter COL_DIM2 = 1,
    parameter POTENTIAL_RADIUS = 16,               // min(potentialRadius, I)
    parameter WRAP_AROUND = 1,                     // 1: windows wrap around the input's edges
    parameter PERM_BITS = 8,                       // permanence bits P
    parameter OVERLAP_BITS = 4,                    // the derived B_o (manifest constants.overlap_bits)
    parameter BOOST_INT_BITS = 3,                  // boost factor integer bits B_i
    parameter BOOST_FRAC_BITS = 8,                 // boost factor fraction bits B_f
    parameter BOOSTED_FRAC_BITS = 4,               // boosted overlap fraction bits B_b
    parameter DUTY_BITS = 16,                      // duty-cycle bits D
    parameter LUT_BITS = 10,                       // boost LUT address bits A (2^A entries)
    parameter CONN_Q = 51,                         // connected permanence threshold
    parameter INC_Q = 26,                          // permanence increment
    parameter DEC_Q = 3,                           // permanence decrement
    parameter BUMP_Q = 5,                          // weak-column / raise bump
    parameter TRIM_Q = 13,                         // trim threshold
    parameter STIMULUS = 1,                        // stimulus threshold theta (synapses)
    parameter K = 2,                               // winners per step k
    parameter TARGET_Q = 16384,                    // target density in duty units
    parameter MIN_PCT_Q = 6554,                    // minPctOverlapDutyCycle * 2^16
    parameter DUTY_SHIFT_MAX = 6,                  // duty-cycle shift cap s_max
    parameter UPDATE_PERIOD = 50,                  // minimum-duty update period
    parameter BOOST_UPDATE = 1,                    // 1: boostStrength > 0 (boosts are updated)
    parameter BOOST_IN_INFERENCE = 0,              // 1: inference steps boost the overlaps too
    parameter COLUMN_LANES = 1,                    // columns per cycle in the boost, marking and duty phases (a power of two)
    parameter PERM_LANES = 1,                      // columns per permanence word and pass (a power of two)
    // Derived (do not set): window positions per column.
    parameter WINDOW = ((2 * POTENTIAL_RADIUS + 1 < IN_DIM0) ? 2 * POTENTIAL_RADIUS + 1 : IN_DIM0) *
                       ((2 * POTENTIAL_RADIUS + 1 < IN_DIM1) ? 2 * POTENTIAL_RADIUS + 1 : IN_DIM1) *
                       ((2 * POTENTIAL_RADIUS + 1 < IN_DIM2) ? 2 * POTENTIAL_RADIUS + 1 : IN_DIM2)
) (
    input  wire                  clk,
    input  wire                  rst,
    // step handshake
    input  wire                  start,
    input  wire                  learn,
    input  wire [NUM_INPUTS-1:0] in_vec,
    output wire                  busy,
    output wire                  done,
    output reg  [2:0]            phase,   // 0 idle, 1 overlap (rebuild, boost), 2 kWTA, 3 duty/boost, 4 permanence, 5 finish
    output wire [NUM_COLUMNS-1:0] winners,
    // host port
    input  wire                  host_we,
    input  wire [3:0]            host_sel,
    input  wire [31:0]           host_addr,
    input  wire [63:0]           host_wdata,
    output reg  [63:0]           host_rdata
);
    localparam N = COLUMN_LANES;
    localparam C = NUM_COLUMNS;
    localparam W = WINDOW;
    localparam GROUPS = (C + N - 1) / N;                              // B
    localparam NP = PERM_LANES;
    localparam PGROUPS = (C + NP - 1) / NP;                           // permanence groups
    localparam PG_BITS = $clog2(PGROUPS);                             // >= 1 (PGROUPS >= 2)
    localparam PG2 = 1 << PG_BITS;                                    // PGROUPS rounded up to a power of two
    localparam PSLICE_BITS = (NP > 1) ? $clog2(NP) : 1;
    localparam MASK_BITS = (GROUPS * N > PGROUPS * NP) ? GROUPS * N : PGROUPS * NP;   // padded column masks
    localparam COLUMN_BITS = (C > 1) ? $clog2(C) : 1;
    localparam GROUP_BITS = (GROUPS > 1) ? $clog2(GROUPS) : 1;
    localparam LANE_BITS = (N > 1) ? $clog2(N) : 1;
    localparam SLOT_BITS = (POOL_MAX > 1) ? $clog2(POOL_MAX) : 1;    // host slot field
    localparam SIZE_BITS = $clog2(POOL_MAX + 1);                     // holds 0 .. POOL_MAX
    localparam POS_BITS = (W > 1) ? $clog2(W) : 1;                   // a window position
    localparam COUNT_BITS = $clog2(C + 1);
    localparam WCOUNT_BITS = $clog2(W + 1);
    localparam KWTA_LANES = C;                                       // every score in one kWTA word
    localparam BOOST_BITS = BOOST_INT_BITS + BOOST_FRAC_BITS;
    localparam SCORE_BITS = OVERLAP_BITS + BOOST_INT_BITS + BOOSTED_FRAC_BITS;
    localparam SHIFT_BITS = 7;
    localparam [COLUMN_BITS-1:0] LAST_PGROUP = PGROUPS - 1;
    localparam [COLUMN_BITS-1:0] LAST_GROUP = GROUPS - 1;
    localparam [63:0] STIMULUS_SCORE = STIMULUS * (2 ** BOOSTED_FRAC_BITS);
    localparam [SIZE_BITS:0] STIMULUS_COUNT = STIMULUS;
    localparam [1:0] MODE_ADAPT = 2'd0, MODE_RAISE = 2'd1, MODE_TRIM = 2'd2, MODE_WEAK = 2'd3;
    localparam [3:0] S_IDLE = 4'd0, S_REBUILD = 4'd1, S_OVL = 4'd2, S_BOOST = 4'd3, S_KWTA = 4'd4, S_MARK = 4'd5,
                     S_DUTY = 4'd6, S_PSEL = 4'd7, S_PASS = 4'd8, S_MIN = 4'd9, S_DONE = 4'd10, S_SETTLE = 4'd11;
`include "sp_host_map.vh"

    // Elaboration-time checks (a failing one names itself and the instance path).
    generate
        if (IN_DIM0 * IN_DIM1 * IN_DIM2 != NUM_INPUTS || COL_DIM0 * COL_DIM1 * COL_DIM2 != NUM_COLUMNS) begin : check_dims
            sp_accel_error_IN_DIM_and_COL_DIM_products_must_equal_NUM_INPUTS_and_NUM_COLUMNS error ();
        end
        if (N < 1 || (N & (N - 1)) != 0 || GROUPS < 2) begin : check_column_lanes
            sp_accel_error_COLUMN_LANES_must_be_a_power_of_two_leaving_2_groups error ();
        end
        if (NP < 1 || (NP & (NP - 1)) != 0 || PGROUPS < 2) begin : check_perm_lanes
            sp_accel_error_PERM_LANES_must_be_a_power_of_two_leaving_2_groups error ();
        end
        if (POOL_MAX < 1 || POOL_MAX > W || NUM_SYNAPSES > C * POOL_MAX) begin : check_pool
            sp_accel_error_POOL_MAX_must_be_in_1_to_WINDOW_and_hold_NUM_SYNAPSES error ();
        end
        if (K < 1 || K > C) begin : check_k
            sp_accel_error_K_must_be_in_1_to_NUM_COLUMNS error ();
        end
    endgenerate

    reg [3:0]              state, state_d;   // state_d, col_d: the values at the next clock edge
    reg [COLUMN_BITS-1:0]  col, col_d;       // current permanence group (rebuild, permanence) or column group (boost, duty)
    reg [NUM_INPUTS-1:0]   x;
    reg                    learn_step;
    reg                    stale;            // the window bits must be rebuilt (host wrote the pools)
    reg [63:0]             iteration;
    reg [31:0]             period_phase;     // iteration mod UPDATE_PERIOD
    reg [DUTY_BITS-1:0]    min_duty;
    reg [DUTY_BITS-1:0]    max_overlap_duty;
    reg                    boost_write;      // write the LUT words read in the previous cycle to boost_mem[boost_col]
    reg [COLUMN_BITS-1:0]  boost_col;
    // The duty phase's second stage, one cycle behind the first (marking, overlap duty):
    // active duty, boost-LUT address and the running maximum overlap duty of group lag_col.
    reg                    duty_lag;
    reg [COLUMN_BITS-1:0]  lag_col;
    reg [N-1:0]            lag_win;          // the group's winners, as marked in the first stage
    reg [N-1:0]            lag_valid;
    reg [N*DUTY_BITS-1:0]  lag_overlap_duty; // the group's updated overlap duties
    reg [MASK_BITS-1:0]    winners_all;      // winner mask, padded to whole groups
    reg [MASK_BITS-1:0]    weak_all;         // weak columns (v < m) of this learning step
    reg [COUNT_BITS-1:0]   ties_won;
    reg [2*NP-1:0]         lane_mode;        // per permanence lane: mode of the pass
    reg [NP-1:0]           lane_on;          // per permanence lane: the column takes this pass
    reg [3:0]              host_sel_q;       // host_sel of the read whose data is in the read registers
    reg [LANE_BITS-1:0]    host_lane_q;
    reg [31:0]             host_slot_q;      // slot within a permanence word
    reg [PSLICE_BITS-1:0]  host_plane_q;     // column within a permanence word
    reg [COLUMN_BITS-1:0]  host_col_q;

    assign busy = (state != S_IDLE);
    assign done = (state == S_DONE);
    assign winners = winners_all[C-1:0];
    wire host_write = host_we && !busy && !start;
    wire host_next = (state_d == S_IDLE);

    // Host address fields.
    wire [COLUMN_BITS-1:0] h_col = host_addr[COLUMN_BITS-1:0];
    wire [COLUMN_BITS-1:0] h_group = h_col / N;
    wire [LANE_BITS-1:0]   h_lane = h_col % N;
    wire [COLUMN_BITS-1:0] hs_col = host_addr[SLOT_BITS +: COLUMN_BITS];
    wire [SLOT_BITS-1:0]   hs_slot = host_addr[SLOT_BITS-1:0];

    // Per-synapse memories, one permanence group (PERM_LANES columns) per word: slot t of
    // lane j at slice j * POOL_MAX + t. Pool sizes: one group per word, a slice per lane.
    wire [NP*POOL_MAX*PERM_BITS-1:0] perm_rdata, perm_next;
    wire [NP*POOL_MAX*POS_BITS-1:0]  pos_rdata;
    wire [NP*SIZE_BITS-1:0]          size_rdata;
    wire [COLUMN_BITS-1:0] h_pgroup = (host_sel == H_POOL_SIZE ? h_col : hs_col) / NP;
    wire [31:0]            h_plane = (host_sel == H_POOL_SIZE ? h_col : hs_col) % NP;
    wire [31:0]            hs_index = h_plane * POOL_MAX + hs_slot;
    wire [COLUMN_BITS-1:0] syn_raddr = host_next ? h_pgroup : col_d;
    wire [COLUMN_BITS-1:0] syn_waddr = busy ? col : h_pgroup;
    localparam SYN_SLICE_BITS = (NP * POOL_MAX > 1) ? $clog2(NP * POOL_MAX) : 1;
    // BYPASS: the next pass over the same group rereads the word written at the same edge.
    sp_ram #(.WIDTH(NP*POOL_MAX*PERM_BITS), .DEPTH(PGROUPS), .SLICES(NP*POOL_MAX), .BYPASS(1)) perm_mem (
        .clk(clk), .we(state == S_PASS), .waddr(syn_waddr), .wdata(perm_next),
        .hwe(host_write && host_sel == H_PERM), .hslice(hs_index[SYN_SLICE_BITS-1:0]),
        .hdata(host_wdata[PERM_BITS-1:0]), .raddr(syn_raddr), .rdata(perm_rdata));
    sp_ram #(.WIDTH(NP*POOL_MAX*POS_BITS), .DEPTH(PGROUPS), .SLICES(NP*POOL_MAX)) pos_mem (
        .clk(clk), .we(1'b0), .waddr(syn_waddr), .wdata({NP*POOL_MAX*POS_BITS{1'b0}}),
        .hwe(host_write && host_sel == H_POOL_INPUT), .hslice(hs_index[SYN_SLICE_BITS-1:0]),
        .hdata(host_wdata[POS_BITS-1:0]), .raddr(syn_raddr), .rdata(pos_rdata));
    sp_ram #(.WIDTH(NP*SIZE_BITS), .DEPTH(PGROUPS), .SLICES(NP)) size_mem (
        .clk(clk), .we(1'b0), .waddr(syn_waddr), .wdata({NP*SIZE_BITS{1'b0}}),
        .hwe(host_write && host_sel == H_POOL_SIZE), .hslice(h_plane[PSLICE_BITS-1:0]),
        .hdata(host_wdata[SIZE_BITS-1:0]), .raddr(syn_raddr), .rdata(size_rdata));

    // Window inputs and connected window bits of every column; overlaps of all columns at once.
    wire [C*W-1:0]            x_window;      // column c's window inputs at [c*W +: W]
    wire [C*W-1:0]            x_window_wired;
    // x_window_wired is wired one bit per assign; read through this one assign, because
    // Icarus otherwise rebuilds the whole C*W-bit vector for each of its ~C*W readers at
    // each bit's change (13x slower simulation; no difference in hardware).
    assign x_window = x_window_wired;
    wire [C*W-1:0]            conn_window;   // column c's connected window bits
    wire [C*OVERLAP_BITS-1:0] overlap_now;
    reg  [GROUPS*N*OVERLAP_BITS-1:0] overlap_all;   // registered in S_OVL, padded to whole groups
    wire                      window_we = (state == S_REBUILD) || (state == S_PASS);
    wire [NP*W-1:0]           window_next;   // the current group's connected window bits after this cycle
    // They reach the columns' window bits one cycle later (the path from the permanence
    // word through the update and the scatter was the longest); S_SETTLE waits for the
    // last rebuilt group, and a step's last pass lands during S_MIN.
    reg                       window_lag;
    reg  [COLUMN_BITS-1:0]    window_col;
    reg  [NP*W-1:0]           window_bits;
    always @(posedge clk) begin
        window_lag <= !rst && window_we;
        window_col <= col;
        window_bits <= window_next;
    end
    localparam [WCOUNT_BITS:0] OVERLAP_MAX = (1 << OVERLAP_BITS) - 1;
    // The window (docs/rng.md step 1), as constant arithmetic (yosys and Verilator elaborate
    // it fast; a constant function called per position takes them minutes at C*W = 12,544).
    // Per dimension the centre is m = min(i - 1, floor(i (2x + 1) / (2n))); position p along
    // it is input coordinate lo + p with lo = max(0, m - r), valid while <= min(i - 1, m + r),
    // or (m - r + p) mod i with wrap-around; positions are row-major over
    // SPAN_d = min(2r + 1, i_d) per dimension, the order of the candidates.
    localparam integer R = POTENTIAL_RADIUS;
    localparam integer SPAN1 = (2 * R + 1 < IN_DIM1) ? 2 * R + 1 : IN_DIM1;
    localparam integer SPAN2 = (2 * R + 1 < IN_DIM2) ? 2 * R + 1 : IN_DIM2;
    genvar g, t;
    generate
        for (g = 0; g < C; g = g + 1) begin : column
            localparam integer X0 = g / (COL_DIM1 * COL_DIM2), X1 = (g / COL_DIM2) % COL_DIM1, X2 = g % COL_DIM2;
            localparam integer MR0 = (IN_DIM0 * (2 * X0 + 1)) / (2 * COL_DIM0);
            localparam integer MR1 = (IN_DIM1 * (2 * X1 + 1)) / (2 * COL_DIM1);
            localparam integer MR2 = (IN_DIM2 * (2 * X2 + 1)) / (2 * COL_DIM2);
            localparam integer M0 = (MR0 < IN_DIM0 - 1) ? MR0 : IN_DIM0 - 1;
            localparam integer M1 = (MR1 < IN_DIM1 - 1) ? MR1 : IN_DIM1 - 1;
            localparam integer M2 = (MR2 < IN_DIM2 - 1) ? MR2 : IN_DIM2 - 1;
            localparam integer LO0 = WRAP_AROUND ? M0 - R : ((M0 - R > 0) ? M0 - R : 0);
            localparam integer LO1 = WRAP_AROUND ? M1 - R : ((M1 - R > 0) ? M1 - R : 0);
            localparam integer LO2 = WRAP_AROUND ? M2 - R : ((M2 - R > 0) ? M2 - R : 0);
            localparam integer HI0 = (M0 + R < IN_DIM0 - 1) ? M0 + R : IN_DIM0 - 1;
            localparam integer HI1 = (M1 + R < IN_DIM1 - 1) ? M1 + R : IN_DIM1 - 1;
            localparam integer HI2 = (M2 + R < IN_DIM2 - 1) ? M2 + R : IN_DIM2 - 1;
            for (t = 0; t < W; t = t + 1) begin : position
                localparam integer V0 = LO0 + t / (SPAN1 * SPAN2), V1 = LO1 + (t / SPAN2) % SPAN1, V2 = LO2 + t % SPAN2;
                // ((v mod i) + i) mod i: the remainder of a negative v is not negative.
                localparam integer C0 = WRAP_AROUND ? ((V0 % IN_DIM0) + IN_DIM0) % IN_DIM0 : V0;
                localparam integer C1 = WRAP_AROUND ? ((V1 % IN_DIM1) + IN_DIM1) % IN_DIM1 : V1;
                localparam integer C2 = WRAP_AROUND ? ((V2 % IN_DIM2) + IN_DIM2) % IN_DIM2 : V2;
                localparam integer CUT = !WRAP_AROUND && (C0 > HI0 || C1 > HI1 || C2 > HI2);
                if (CUT) begin : cut
                    assign x_window_wired[g*W+t] = 1'b0;
                end else begin : wired
                    assign x_window_wired[g*W+t] = x[(C0 * IN_DIM1 + C1) * IN_DIM2 + C2];
                end
            end
            reg [W-1:0] connected;
            always @(posedge clk) if (window_lag && window_col == g / NP) connected <= window_bits[(g % NP)*W +: W];
            assign conn_window[g*W +: W] = connected;
            wire [WCOUNT_BITS-1:0] count;
            sp_popcount #(.N(W)) overlap_count (.bits(connected & x_window[g*W +: W]), .count(count));
            wire [WCOUNT_BITS:0] count_wide = count;
            assign overlap_now[g*OVERLAP_BITS +: OVERLAP_BITS] =
                (count_wide > OVERLAP_MAX) ? OVERLAP_MAX[OVERLAP_BITS-1:0] : count_wide[OVERLAP_BITS-1:0];
        end
    endgenerate

    // Lanes of the current group that are real columns (the last group may be partial).
    wire [N-1:0] lane_valid;
    generate
        for (g = 0; g < N; g = g + 1) begin : valid_lane
            assign lane_valid[g] = ({{32{1'b0}}, col} * N + g) < C;
        end
    endgenerate

    // Per-group memories (group g: columns g*N .. g*N+N-1).
    wire [N*SCORE_BITS-1:0]   score, score_rdata;
    wire [N*BOOST_BITS-1:0]   boost_rdata, lut_rdata;
    wire [N*DUTY_BITS-1:0]    overlap_duty_rdata, active_duty_rdata, overlap_duty_next, active_duty_next;
    wire [N*LUT_BITS-1:0]     lut_addr;
    // Selections by a run-time group or column index are one-hot AND-OR trees: a part-select
    // at a non-power-of-two stride (col * N * B_o, (col * N_p + j) * W) becomes a barrel
    // shifter over the whole vector in yosys (W = 49: 14 stages of 12,544 multiplexers per
    // lane), which kept synthesis of mnist-256 running for 50 minutes without finishing.
    // Each selected bit is one reduction over the choices (a balanced OR tree): a loop of
    // `x = x | ...` is a chain as deep as the choices, and the WebAssembly yosys's abc9
    // recursion runs out of stack on such chains at mnist-256 size.
    wire [N*OVERLAP_BITS-1:0] group_overlap;
    wire [OVERLAP_BITS-1:0]   host_overlap;
    wire [GROUPS-1:0]         group_onehot;
    wire [C-1:0]              host_onehot;
    genvar sb, sq;
    generate
        for (sq = 0; sq < GROUPS; sq = sq + 1) begin : group_select
            assign group_onehot[sq] = (col == sq);
        end
        for (sq = 0; sq < C; sq = sq + 1) begin : host_select
            assign host_onehot[sq] = (host_col_q == sq);
        end
        for (sb = 0; sb < N*OVERLAP_BITS; sb = sb + 1) begin : group_bit
            wire [GROUPS-1:0] choices;
            for (sq = 0; sq < GROUPS; sq = sq + 1) begin : choice
                assign choices[sq] = overlap_all[sq*N*OVERLAP_BITS + sb];
            end
            assign group_overlap[sb] = |(group_onehot & choices);
        end
        for (sb = 0; sb < OVERLAP_BITS; sb = sb + 1) begin : host_bit
            wire [C-1:0] choices;
            for (sq = 0; sq < C; sq = sq + 1) begin : choice
                assign choices[sq] = overlap_all[sq*OVERLAP_BITS + sb];
            end
            assign host_overlap[sb] = |(host_onehot & choices);
        end
    endgenerate
    wire duty_step = (state == S_DUTY);
    wire [COLUMN_BITS-1:0] group_raddr = host_next ? h_group : col_d;
    wire [COLUMN_BITS-1:0] group_waddr = busy ? col : h_group;
    sp_ram #(.WIDTH(N*SCORE_BITS), .DEPTH(GROUPS), .SLICES(N)) boosted_mem (
        .clk(clk), .we(state == S_BOOST), .waddr(col[GROUP_BITS-1:0]), .wdata(score), .hwe(1'b0), .hslice(h_lane),
        .hdata({SCORE_BITS{1'b0}}), .raddr(group_raddr[GROUP_BITS-1:0]), .rdata(score_rdata));
    // Written one cycle behind the LUT reads of the duty phase's second stage (the last
    // group: in the cycle after S_PSEL, S_PASS or S_MIN, which do not read it).
    sp_ram #(.WIDTH(N*BOOST_BITS), .DEPTH(GROUPS), .SLICES(N)) boost_mem (
        .clk(clk), .we(busy && boost_write), .waddr(busy ? boost_col[GROUP_BITS-1:0] : h_group[GROUP_BITS-1:0]),
        .wdata(lut_rdata), .hwe(host_write && host_sel == H_BOOST), .hslice(h_lane),
        .hdata(host_wdata[BOOST_BITS-1:0]), .raddr(group_raddr[GROUP_BITS-1:0]), .rdata(boost_rdata));
    sp_ram #(.WIDTH(N*DUTY_BITS), .DEPTH(GROUPS), .SLICES(N)) overlap_duty_mem (
        .clk(clk), .we(duty_step), .waddr(group_waddr[GROUP_BITS-1:0]), .wdata(overlap_duty_next),
        .hwe(host_write && host_sel == H_OVERLAP_DUTY), .hslice(h_lane), .hdata(host_wdata[DUTY_BITS-1:0]),
        .raddr(group_raddr[GROUP_BITS-1:0]), .rdata(overlap_duty_rdata));
    // Read for the second stage: the group being marked now, so its word arrives with it.
    sp_ram #(.WIDTH(N*DUTY_BITS), .DEPTH(GROUPS), .SLICES(N)) active_duty_mem (
        .clk(clk), .we(duty_lag), .waddr(busy ? lag_col[GROUP_BITS-1:0] : h_group[GROUP_BITS-1:0]), .wdata(active_duty_next),
        .hwe(host_write && host_sel == H_ACTIVE_DUTY), .hslice(h_lane), .hdata(host_wdata[DUTY_BITS-1:0]),
        .raddr(duty_step ? col[GROUP_BITS-1:0] : group_raddr[GROUP_BITS-1:0]), .rdata(active_duty_rdata));
    // One boost LUT per column lane; the host writes all copies and reads copy 0.
    generate
        for (g = 0; g < N; g = g + 1) begin : lut
            sp_ram #(.WIDTH(BOOST_BITS), .DEPTH(1 << LUT_BITS)) lut_mem (
                .clk(clk), .we(1'b0), .waddr(host_addr[LUT_BITS-1:0]), .wdata({BOOST_BITS{1'b0}}),
                .hwe(host_write && host_sel == H_LUT), .hslice(1'b0), .hdata(host_wdata[BOOST_BITS-1:0]),
                .raddr(busy ? lut_addr[g*LUT_BITS +: LUT_BITS] : host_addr[LUT_BITS-1:0]),
                .rdata(lut_rdata[g*BOOST_BITS +: BOOST_BITS]));
        end
    endgenerate

    // Duty shift min(floor(log2(iteration)), DUTY_SHIFT_MAX), registered (iteration changes
    // only at start or by the host, many cycles before the duty phase).
    localparam [SHIFT_BITS-1:0] SHIFT_CAP = DUTY_SHIFT_MAX;
    wire shift_at_cap = |(iteration >> SHIFT_CAP);
    reg [SHIFT_BITS-1:0] log2_low;
    integer i;
    always @* begin
        log2_low = {SHIFT_BITS{1'b0}};
        for (i = 0; i < 64; i = i + 1)
            if (i < SHIFT_CAP && iteration[i]) log2_low = i[SHIFT_BITS-1:0];
    end
    reg [SHIFT_BITS-1:0] duty_shift;
    always @(posedge clk) duty_shift <= shift_at_cap ? SHIFT_CAP : log2_low;

    // kWTA over every score at once (one word): a threshold bit per cycle.
    wire [GROUPS*N*SCORE_BITS-1:0] score_all;
    // Staged one group per S_BOOST cycle, each group's register enabled by its own compare
    // (not a part-select write at a run-time offset: a barrel shifter in yosys).
    generate
        for (g = 0; g < GROUPS; g = g + 1) begin : stage
            reg [N*SCORE_BITS-1:0] scores;
            always @(posedge clk) if (state == S_BOOST && col == g) scores <= score;
            assign score_all[g*N*SCORE_BITS +: N*SCORE_BITS] = scores;
        end
    endgenerate
    wire [SCORE_BITS-1:0] threshold;
    wire [COUNT_BITS-1:0] greater;
    wire kwta_busy, kwta_done;
    wire kwta_word, kwta_word_next;
    sp_kwta #(.NUM_COLUMNS(C), .SCORE_BITS(SCORE_BITS), .K(K), .LANES(KWTA_LANES)) kwta (
        .clk(clk), .rst(rst), .start(state == S_BOOST && col == LAST_GROUP), .word(kwta_word),
        .word_next(kwta_word_next), .scores(score_all[C*SCORE_BITS-1:0]), .threshold(threshold), .greater(greater),
        .busy(kwta_busy), .done(kwta_done));
    wire [N-1:0] mark_win;
    wire [COUNT_BITS-1:0] ties_next;
    sp_kwta_mark #(.LANES(N), .SCORE_BITS(SCORE_BITS), .K(K), .STIMULUS_SCORE(STIMULUS_SCORE),
                   .COUNT_BITS(COUNT_BITS)) mark (
        .scores(score_rdata), .valid(lane_valid), .threshold(threshold), .greater(greater), .ties_in(ties_won),
        .win(mark_win), .ties_out(ties_next));

    // Column-lane datapaths of the boost and duty phases.
    wire [N-1:0] weak_now;       // duty phase: v' < m
    generate
        for (g = 0; g < N; g = g + 1) begin : column_lane
            sp_boost_mul #(.OVERLAP_BITS(OVERLAP_BITS), .BOOST_INT_BITS(BOOST_INT_BITS), .BOOST_FRAC_BITS(BOOST_FRAC_BITS),
                           .BOOSTED_FRAC_BITS(BOOSTED_FRAC_BITS)) boost_mul (
                .overlap(group_overlap[g*OVERLAP_BITS +: OVERLAP_BITS]), .boost(boost_rdata[g*BOOST_BITS +: BOOST_BITS]),
                .boost_on(learn_step || BOOST_IN_INFERENCE != 0), .boosted(score[g*SCORE_BITS +: SCORE_BITS]));
            // Its two halves are independent: the overlap half updates this cycle's group
            // (first stage), the active half and the LUT address group lag_col (second).
            sp_duty_update #(.DUTY_BITS(DUTY_BITS), .LUT_BITS(LUT_BITS), .TARGET_Q(TARGET_Q), .SHIFT_BITS(SHIFT_BITS)) duty_update (
                .overlap_duty(overlap_duty_rdata[g*DUTY_BITS +: DUTY_BITS]),
                .active_duty(active_duty_rdata[g*DUTY_BITS +: DUTY_BITS]),
                .overlap_nonzero(group_overlap[g*OVERLAP_BITS +: OVERLAP_BITS] != 0), .winner(lag_win[g]),
                .shift(duty_shift), .overlap_duty_next(overlap_duty_next[g*DUTY_BITS +: DUTY_BITS]),
                .active_duty_next(active_duty_next[g*DUTY_BITS +: DUTY_BITS]),
                .lut_addr(lut_addr[g*LUT_BITS +: LUT_BITS]));
            // A weak column has v < m: v as this step's duty update gives it, m not yet updated.
            assign weak_now[g] = lane_valid[g] && (overlap_duty_next[g*DUTY_BITS +: DUTY_BITS] < min_duty);
        end
    endgenerate

    // Permanence pass over the whole pools of the current group's columns (one cycle), and
    // their connected window bits after it (also used to rebuild them from the memory).
    wire [NP*POOL_MAX*PERM_BITS-1:0] window_perms = (state == S_PASS) ? perm_next : perm_rdata;
    wire [NP-1:0] lane_valid_p;
    wire [NP*($clog2(POOL_MAX+1)+1)-1:0] conn_after;
    localparam CB = $clog2(POOL_MAX+1) + 1;
    genvar j, cg;
    generate
        for (j = 0; j < NP; j = j + 1) begin : perm_lane
            assign lane_valid_p[j] = ({{32{1'b0}}, col} * NP + j) < C;
            // This lane's column's window: a balanced multiplexer tree over the groups,
            // indexed by col (heap: leaves at PG2 + group, node n picks child 2n + b with
            // b the bit of col at n's level, the MSB at the root). Verilator 5.006 got the
            // one-hot AND-OR form of this selection wrong at 256 groups (Icarus did not).
            wire [2*PG2*W-1:0] x_tree;
            for (cg = 0; cg < PG2; cg = cg + 1) begin : leaf
                if (cg * NP + j < C) begin : real_column
                    assign x_tree[(PG2 + cg)*W +: W] = x_window[(cg*NP + j)*W +: W];
                end else begin : padding
                    assign x_tree[(PG2 + cg)*W +: W] = {W{1'b0}};
                end
            end
            for (cg = 1; cg < PG2; cg = cg + 1) begin : node
                localparam integer LEVEL_BIT = PG_BITS - $clog2(cg + 1);
                assign x_tree[cg*W +: W] = col[LEVEL_BIT] ? x_tree[(2*cg + 1)*W +: W] : x_tree[2*cg*W +: W];
            end
            assign x_tree[0 +: W] = {W{1'b0}};
            wire [W-1:0] x_col = x_tree[W +: W];
            wire [SIZE_BITS-1:0] size = size_rdata[j*SIZE_BITS +: SIZE_BITS];
            wire [POOL_MAX-1:0] slot_valid, slot_connected;
            for (t = 0; t < POOL_MAX; t = t + 1) begin : slot
                wire [POS_BITS-1:0] pos = pos_rdata[(j*POOL_MAX+t)*POS_BITS +: POS_BITS];
                wire [PERM_BITS-1:0] p = perm_rdata[(j*POOL_MAX+t)*PERM_BITS +: PERM_BITS];
                wire [PERM_BITS-1:0] p_new;
                wire connected_unused;
                assign slot_valid[t] = lane_valid_p[j] && (t < size);
                sp_perm_update #(.PERM_BITS(PERM_BITS), .CONN_Q(CONN_Q), .INC_Q(INC_Q), .DEC_Q(DEC_Q), .BUMP_Q(BUMP_Q),
                                 .TRIM_Q(TRIM_Q)) perm_update (
                    .mode(lane_mode[2*j +: 2]), .perm_in(p), .input_bit(x_col[pos]), .perm_out(p_new),
                    .connected(connected_unused));
                assign perm_next[(j*POOL_MAX+t)*PERM_BITS +: PERM_BITS] = (lane_on[j] && slot_valid[t]) ? p_new : p;
                assign slot_connected[t] = slot_valid[t] &&
                                           (window_perms[(j*POOL_MAX+t)*PERM_BITS +: PERM_BITS] >= CONN_Q);
            end
            // Window bit t is set when a connected slot lies at t: one reduction over the slots.
            for (t = 0; t < W; t = t + 1) begin : scatter
                wire [POOL_MAX-1:0] hits;
                for (cg = 0; cg < POOL_MAX; cg = cg + 1) begin : slot_hit
                    assign hits[cg] = slot_connected[cg] && (pos_rdata[(j*POOL_MAX+cg)*POS_BITS +: POS_BITS] == t);
                end
                assign window_next[j*W+t] = |hits;
            end
            wire [$clog2(POOL_MAX+1)-1:0] count;
            sp_popcount #(.N(POOL_MAX)) conn_count (.bits(slot_connected), .count(count));
            assign conn_after[j*CB +: CB] = count;
        end
    endgenerate

    // Lane modes after the pass of this cycle; the group is done when no lane takes another.
    reg [2*NP-1:0] mode_after;
    reg [NP-1:0]   on_after;
    integer jj;
    always @* begin
        for (jj = 0; jj < NP; jj = jj + 1) begin
            mode_after[2*jj +: 2] = lane_mode[2*jj +: 2];
            on_after[jj] = lane_on[jj];
            if (lane_on[jj]) begin
                case (lane_mode[2*jj +: 2])
                    MODE_ADAPT, MODE_RAISE:
                        mode_after[2*jj +: 2] = (conn_after[jj*CB +: CB] < STIMULUS_COUNT) ? MODE_RAISE : MODE_TRIM;
                    MODE_TRIM: begin
                        mode_after[2*jj +: 2] = MODE_WEAK;
                        on_after[jj] = weak_all[col*NP + jj];
                    end
                    default: on_after[jj] = 1'b0;   // MODE_WEAK: done
                endcase
            end
        end
    end
    wire more = (on_after != {NP{1'b0}});
    // Permanence groups with a winner or a weak column: the first one, and the first one
    // after the current group.
    wire [PGROUPS*NP-1:0] col_active = winners_all[PGROUPS*NP-1:0] | weak_all[PGROUPS*NP-1:0];
    wire [PGROUPS-1:0] group_active, later_active;
    generate
        for (g = 0; g < PGROUPS; g = g + 1) begin : later
            assign group_active[g] = |col_active[g*NP +: NP];
            assign later_active[g] = group_active[g] && (g > col);
        end
    endgenerate
    localparam PGROUP_BITS = $clog2(PGROUPS);
    wire [PGROUP_BITS-1:0] next_group, first_group;
    wire has_next, has_first;
    sp_first_set #(.N(PGROUPS)) next_active (.bits(later_active), .found(has_next), .index(next_group));
    sp_first_set #(.N(PGROUPS)) first_active (.bits(group_active), .found(has_first), .index(first_group));
    // {on, mode} per lane of a group entering the permanence phase: winners adapt first,
    // weak columns (only) bump; the others take no pass.
    integer ji;
    reg [3*NP-1:0] init_first, init_next;
    always @* begin
        for (ji = 0; ji < NP; ji = ji + 1) begin
            init_first[2*ji +: 2] = winners_all[first_group*NP + ji] ? MODE_ADAPT : MODE_WEAK;
            init_first[2*NP + ji] = winners_all[first_group*NP + ji] || weak_all[first_group*NP + ji];
            init_next[2*ji +: 2] = winners_all[next_group*NP + ji] ? MODE_ADAPT : MODE_WEAK;
            init_next[2*NP + ji] = winners_all[next_group*NP + ji] || weak_all[next_group*NP + ji];
        end
    end

    // Control: state and column/group of the next cycle.
    always @* begin
        state_d = state;
        col_d = col;
        case (state)
            S_IDLE: if (start) begin
                state_d = stale ? S_REBUILD : S_OVL;
                col_d = {COLUMN_BITS{1'b0}};
            end
            S_REBUILD: begin
                if (col == LAST_PGROUP) begin
                    state_d = S_SETTLE;
                    col_d = {COLUMN_BITS{1'b0}};
                end else begin
                    col_d = col + 1'b1;
                end
            end
            S_SETTLE: state_d = S_OVL;
            S_OVL: state_d = S_BOOST;
            S_BOOST: begin
                if (col == LAST_GROUP) begin
                    state_d = S_KWTA;
                    col_d = {COLUMN_BITS{1'b0}};
                end else begin
                    col_d = col + 1'b1;
                end
            end
            S_KWTA: if (kwta_done) state_d = learn_step ? S_DUTY : S_MARK;
            S_MARK, S_DUTY: begin
                if (col == LAST_GROUP) begin
                    col_d = {COLUMN_BITS{1'b0}};
                    state_d = (state == S_DUTY) ? S_PSEL : S_DONE;
                end else begin
                    col_d = col + 1'b1;
                end
            end
            S_PSEL: begin
                if (has_first) begin
                    state_d = S_PASS;
                    col_d = first_group;
                end else begin
                    state_d = S_MIN;
                end
            end
            S_PASS: if (!more) begin
                if (has_next) col_d = next_group;
                else state_d = S_MIN;
            end
            S_MIN: state_d = S_DONE;
            default: state_d = S_IDLE;  // S_DONE
        endcase
    end

    // The largest overlap duty so far: the running maximum and this group's valid lanes
    // (invalid lanes as 0, which no maximum of unsigned values can exceed).
    wire [(N+1)*DUTY_BITS-1:0] duty_candidates;
    generate
        for (g = 0; g < N; g = g + 1) begin : duty_candidate
            assign duty_candidates[g*DUTY_BITS +: DUTY_BITS] =
                lag_valid[g] ? lag_overlap_duty[g*DUTY_BITS +: DUTY_BITS] : {DUTY_BITS{1'b0}};
        end
    endgenerate
    assign duty_candidates[N*DUTY_BITS +: DUTY_BITS] = max_overlap_duty;
    wire [DUTY_BITS-1:0] group_max_duty;
    sp_max #(.N(N + 1), .WIDTH(DUTY_BITS)) group_max (.values(duty_candidates), .max(group_max_duty));
    wire [DUTY_BITS+16:0] min_duty_product = MIN_PCT_Q * max_overlap_duty;

    always @(posedge clk) begin
        host_sel_q <= host_sel;
        host_lane_q <= h_lane;
        host_slot_q <= hs_index;
        host_plane_q <= h_plane[PSLICE_BITS-1:0];
        host_col_q <= h_col;
        if (rst) begin
            state <= S_IDLE;
            stale <= 1'b1;
            iteration <= 64'd0;
            period_phase <= 32'd0;
            min_duty <= {DUTY_BITS{1'b0}};
            winners_all <= {MASK_BITS{1'b0}};
            weak_all <= {MASK_BITS{1'b0}};
            boost_write <= 1'b0;
            duty_lag <= 1'b0;
        end else begin
            state <= state_d;
            col <= col_d;
            duty_lag <= duty_step;
            lag_col <= col;
            lag_win <= mark_win;
            lag_valid <= lane_valid;
            lag_overlap_duty <= overlap_duty_next;
            if (duty_lag) max_overlap_duty <= group_max_duty;
            boost_write <= duty_lag && (BOOST_UPDATE != 0);
            boost_col <= lag_col;
            case (state)
                S_IDLE: begin
                    if (host_write && (host_sel == H_PERM || host_sel == H_POOL_INPUT || host_sel == H_POOL_SIZE))
                        stale <= 1'b1;
                    if (host_write && host_sel == H_MIN_DUTY) min_duty <= host_wdata[DUTY_BITS-1:0];
                    if (host_write && host_sel == H_ITERATION) iteration <= host_wdata;
                    if (host_write && host_sel == H_PERIOD_PHASE) period_phase <= host_wdata[31:0];
                    if (start) begin
                        x <= in_vec;
                        learn_step <= learn;
                        iteration <= iteration + 64'd1;
                        period_phase <= (period_phase == UPDATE_PERIOD - 1) ? 32'd0 : period_phase + 32'd1;
                    end
                end
                S_REBUILD: if (col == LAST_PGROUP) stale <= 1'b0;
                S_OVL: overlap_all[C*OVERLAP_BITS-1:0] <= overlap_now;
                S_KWTA: begin
                    ties_won <= {COUNT_BITS{1'b0}};
                    max_overlap_duty <= {DUTY_BITS{1'b0}};
                    // Columns that neither win nor are weak take no pass (cleared before marking).
                    weak_all <= {MASK_BITS{1'b0}};
                end
                S_MARK: begin
                    winners_all[col*N +: N] <= mark_win;
                    ties_won <= ties_next;
                end
                S_DUTY: begin
                    winners_all[col*N +: N] <= mark_win;
                    weak_all[col*N +: N] <= weak_now;
                    ties_won <= ties_next;
                end
                S_PSEL: {lane_on, lane_mode} <= init_first;
                S_PASS: {lane_on, lane_mode} <= more ? {on_after, mode_after} : init_next;
                S_MIN: if (period_phase == 32'd0) min_duty <= min_duty_product[DUTY_BITS+15:16];
                default: ;
            endcase
        end
    end

    // (Equality tests, not a case: yosys would turn a constant case into a ROM.)
    always @* begin
        phase = 3'd5;                                          // S_MIN, S_DONE
        if (state == S_IDLE) phase = 3'd0;
        if (state == S_REBUILD || state == S_SETTLE || state == S_OVL || state == S_BOOST) phase = 3'd1;
        if (state == S_KWTA || state == S_MARK) phase = 3'd2;
        if (state == S_DUTY) phase = 3'd3;
        if (state == S_PSEL || state == S_PASS) phase = 3'd4;
    end

    // Host reads: the data of the address and selector given in the previous cycle.
    always @* begin
        case (host_sel_q)
            H_PERM: host_rdata = {{(64-PERM_BITS){1'b0}}, perm_rdata[host_slot_q*PERM_BITS +: PERM_BITS]};
            H_POOL_INPUT: host_rdata = {{(64-POS_BITS){1'b0}}, pos_rdata[host_slot_q*POS_BITS +: POS_BITS]};
            H_POOL_SIZE: host_rdata = {{(64-SIZE_BITS){1'b0}}, size_rdata[host_plane_q*SIZE_BITS +: SIZE_BITS]};
            H_OVERLAP_DUTY: host_rdata = {{(64-DUTY_BITS){1'b0}}, overlap_duty_rdata[host_lane_q*DUTY_BITS +: DUTY_BITS]};
            H_ACTIVE_DUTY: host_rdata = {{(64-DUTY_BITS){1'b0}}, active_duty_rdata[host_lane_q*DUTY_BITS +: DUTY_BITS]};
            H_MIN_DUTY: host_rdata = {{(64-DUTY_BITS){1'b0}}, min_duty};
            H_BOOST: host_rdata = {{(64-BOOST_BITS){1'b0}}, boost_rdata[host_lane_q*BOOST_BITS +: BOOST_BITS]};
            H_LUT: host_rdata = {{(64-BOOST_BITS){1'b0}}, lut_rdata[BOOST_BITS-1:0]};
            H_ITERATION: host_rdata = iteration;
            H_PERIOD_PHASE: host_rdata = {32'd0, period_phase};
            H_OVERLAP: host_rdata = {{(64-OVERLAP_BITS){1'b0}}, host_overlap};
            H_BOOSTED: host_rdata = {{(64-SCORE_BITS){1'b0}}, score_rdata[host_lane_q*SCORE_BITS +: SCORE_BITS]};
            default: host_rdata = 64'd0;
        endcase
    end
endmodule
`default_nettype wire
