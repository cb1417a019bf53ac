// Spatial-pooler datapath of docs/datapath.md (global or local inhibition), one input step per
// start/done handshake. Microarchitecture, lane parameters and cycle counts:
// hdl_ref/README.md.
//
// Columns are processed in groups of COLUMN_LANES consecutive columns (group g: columns
// g*COLUMN_LANES ..), every per-column memory word holding one group; a column's pool is
// stored in ROWS rows of SYN_LANES synapse slots (padded to POOL_MAX slots), so one
// memory word holds one row of every column of a group and one cycle reads or updates
// COLUMN_LANES * SYN_LANES synapses. The kWTA compares KWTA_LANES scores per cycle.
//
// Host port (only while idle): write or read the memories and registers selected by
// host_sel. A register write takes effect at the clock edge, a memory write (one column's
// word or one synapse slot) at the next one (read-modify-write, sp_ram): the host may not
// write, nor start a step, in the cycle after a write. A read's data (host_rdata) is there
// in the cycle after host_sel and host_addr were given. Addresses: per-column selectors
// take the column c; per-synapse selectors take (c << SLOT_BITS) | s for slot s (the s-th
// synapse of column c's pool in ascending input order), SLOT_BITS = max(1, clog2(POOL_MAX)).
// Selector map: sp_host_map.vh (H_*), generated from htmhw.hw.hostmap.HOST_SELECTORS.
`default_nettype none
module sp_top #(
    parameter NUM_INPUTS = 16,                     // input vector bits I
    parameter NUM_COLUMNS = 8,                     // columns C (>= 2 * COLUMN_LANES)
    parameter NUM_SYNAPSES = 64,                   // potential synapses Z (sum of the pool sizes; checked <= C * POOL_MAX)
    parameter POOL_MAX = 8,                        // largest potential pool (synapse slots per column)
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
    parameter COLUMN_LANES = 1,                    // columns per group, processed together (a power of two)
    parameter SYN_LANES = 1,                       // synapse slots per row: ROWS = ceil(POOL_MAX / SYN_LANES) rows per column
    parameter KWTA_LANES = 1,                      // scores compared per kWTA cycle (COLUMN_LANES times a power of two)
    parameter LOCAL_INHIBITION = 0,                // 1: local inhibition (sp_local; COLUMN_LANES = KWTA_LANES = 1)
    parameter WRAP_AROUND = 0,                     // 1: neighbourhoods wrap around (local inhibition)
    parameter COL_DIM0 = NUM_COLUMNS,              // padded column dimensions, row-major (local inhibition)
    parameter COL_DIM1 = 1,                        // (1 when the columns have fewer dimensions)
    parameter COL_DIM2 = 1                         // (the fastest-varying; 1 when fewer dimensions)
) (
    input  wire                  clk,
    input  wire                  rst,
    // step handshake
    input  wire                  start,
    input  wire                  learn,
    input  wire [NUM_INPUTS-1:0] in_vec,
    output wire                  busy,
    output wire                  done,
    output reg  [2:0]            phase,   // 0 idle, 1 overlap, 2 kWTA, 3 duty/boost, 4 permanence, 5 finish
    output wire [NUM_COLUMNS-1:0] winners,
    // host port
    input  wire                  host_we,
    input  wire [3:0]            host_sel,
    input  wire [31:0]           host_addr,
    input  wire [63:0]           host_wdata,
    output reg  [63:0]           host_rdata
);
    localparam N = COLUMN_LANES;
    localparam L = SYN_LANES;
    localparam GROUPS = (NUM_COLUMNS + N - 1) / N;                   // B
    localparam ROWS = (POOL_MAX + L - 1) / L;                        // R
    localparam KWTA_WORDS = (NUM_COLUMNS + KWTA_LANES - 1) / KWTA_LANES;  // W
    localparam GROUPS_PER_WORD = KWTA_LANES / N;                     // groups staged per kWTA word
    localparam GROUP_BITS = $clog2(GROUPS);                          // GROUPS >= 2
    localparam SYN_ADDR_BITS = $clog2(GROUPS * ROWS);                // per-synapse memory rows
    localparam SYN_SLICE_BITS = (N * L > 1) ? $clog2(N * L) : 1;     // slot within a row word
    localparam KWTA_WORD_BITS = (KWTA_WORDS > 1) ? $clog2(KWTA_WORDS) : 1;
    localparam ROW_BITS = (ROWS > 1) ? $clog2(ROWS) : 1;
    localparam LANE_BITS = (N > 1) ? $clog2(N) : 1;
    localparam SLOT_BITS = (POOL_MAX > 1) ? $clog2(POOL_MAX) : 1;    // host slot field
    localparam SIZE_BITS = $clog2(POOL_MAX + 1);                     // holds 0 .. POOL_MAX
    localparam INPUT_BITS = (NUM_INPUTS > 1) ? $clog2(NUM_INPUTS) : 1; // holds 0 .. I-1
    localparam COLUMN_BITS = (NUM_COLUMNS > 1) ? $clog2(NUM_COLUMNS) : 1;
    localparam COUNT_BITS = $clog2(NUM_COLUMNS + 1);                 // holds 0 .. C
    localparam BOOST_BITS = BOOST_INT_BITS + BOOST_FRAC_BITS;
    localparam SCORE_BITS = OVERLAP_BITS + BOOST_INT_BITS + BOOSTED_FRAC_BITS;
    localparam SHIFT_BITS = 7;
    localparam [GROUP_BITS-1:0] LAST_GROUP = GROUPS - 1;
    localparam [ROW_BITS-1:0] LAST_ROW = ROWS - 1;
    localparam [63:0] STIMULUS_SCORE = STIMULUS * (2 ** BOOSTED_FRAC_BITS);
    localparam [SIZE_BITS:0] STIMULUS_COUNT = STIMULUS;
    localparam [1:0] MODE_ADAPT = 2'd0, MODE_RAISE = 2'd1, MODE_TRIM = 2'd2, MODE_WEAK = 2'd3;
    localparam [3:0] S_IDLE = 4'd0, S_OVL = 4'd1, S_OTAIL = 4'd2, S_KWTA = 4'd3, S_MARK = 4'd4, S_DUTY = 4'd5,
                     S_PSEL = 4'd6, S_PASS = 4'd7, S_MIN = 4'd8, S_DONE = 4'd9,
                     S_LKWTA = 4'd10, S_LBOOST = 4'd11, S_LMIN = 4'd12;   // sp_local's passes
`include "sp_host_map.vh"
    localparam LOCAL = (LOCAL_INHIBITION != 0);

    // Elaboration-time checks (a failing one names itself and the instance path).
    generate
        if (GROUPS < 2) begin : check_groups
            sp_top_error_NUM_COLUMNS_must_be_at_least_2_COLUMN_LANES error ();
        end
        if (N < 1 || (N & (N - 1)) != 0) begin : check_column_lanes
            sp_top_error_COLUMN_LANES_must_be_a_power_of_two error ();
        end
        if (KWTA_LANES < N || KWTA_LANES % N != 0 || (GROUPS_PER_WORD & (GROUPS_PER_WORD - 1)) != 0) begin : check_kwta_lanes
            sp_top_error_KWTA_LANES_must_be_COLUMN_LANES_times_a_power_of_two error ();
        end
        if (L < 1 || POOL_MAX < 1 || NUM_SYNAPSES > NUM_COLUMNS * POOL_MAX) begin : check_pool
            sp_top_error_SYN_LANES_and_POOL_MAX_must_be_positive_and_hold_NUM_SYNAPSES error ();
        end
        if (K < 1 || K > NUM_COLUMNS) begin : check_k
            sp_top_error_K_must_be_in_1_to_NUM_COLUMNS error ();
        end
        if (LOCAL && (N != 1 || KWTA_LANES != 1)) begin : check_local_lanes
            sp_top_error_LOCAL_INHIBITION_needs_COLUMN_LANES_1_and_KWTA_LANES_1 error ();
        end
    endgenerate

    reg [3:0]              state, state_d;   // state_d, col_d, row_d: the values at the next clock edge
    reg [GROUP_BITS-1:0]   col, col_d;       // current group
    reg [ROW_BITS-1:0]     row, row_d;       // current row of the group's pools
    reg [NUM_INPUTS-1:0]   x;
    reg                    learn_step;
    reg [63:0]             iteration;
    reg [31:0]             period_phase;     // iteration mod UPDATE_PERIOD
    reg [DUTY_BITS-1:0]    min_duty;
    reg [DUTY_BITS-1:0]    max_overlap_duty;
    reg                    boost_write;      // write the LUT words read in the previous cycle to boost_mem[boost_col]
    reg [GROUP_BITS-1:0]   boost_col;
    reg                    fin;              // the overlap counts of group fin_group are complete (write-behind)
    reg [GROUP_BITS-1:0]   fin_group;
    reg [GROUPS*N-1:0]     winners_all;      // winner mask, padded to whole groups
    reg [GROUPS*N-1:0]     weak_all;         // weak columns (v < m) of this learning step
    reg [GROUPS-1:0]       group_active;     // a group with a winner or a weak column (permanence phase)
    reg [COUNT_BITS-1:0]   ties_won;
    reg [N*OVERLAP_BITS-1:0] overlap_acc;    // per lane: overlap count of the group so far
    reg [N*(SIZE_BITS+1)-1:0] conn_acc;      // per lane: connected synapses of the pass so far
    reg [2*N-1:0]          lane_mode;        // per lane: permanence mode of the pass
    reg [N-1:0]            lane_on;          // per lane: the column takes this pass
    reg [3:0]              host_sel_q;       // host_sel of the read whose data is in the read registers
    reg [LANE_BITS-1:0]    host_lane_q;
    reg [31:0]             host_slice_q;

    assign busy = (state != S_IDLE);
    assign done = (state == S_DONE);
    assign winners = winners_all[NUM_COLUMNS-1:0];
    wire host_write = host_we && !busy && !start;
    // Every memory is read synchronously: the address given in a cycle is that of the next
    // cycle's data. The datapath reads at the next cycle's group and row (col_d, row_d;
    // the kWTA's word_next), so each cycle sees the words of its own col and row. While
    // idle, the memories read at the host address.
    wire host_next = (state_d == S_IDLE);
    // sp_local's passes read the per-column memories at its addresses (N = 1: a group is a column).
    wire local_d = (state_d == S_LKWTA || state_d == S_LBOOST || state_d == S_LMIN);
    wire local_run = (state == S_LKWTA || state == S_LBOOST || state == S_LMIN);
    wire [COLUMN_BITS-1:0] local_addr_next, local_col_next, local_col;
    wire local_last, local_win_we, local_win, local_min_we, local_lut_read;
    wire [DUTY_BITS-1:0] local_min_value;
    wire [LUT_BITS-1:0] local_lut_addr;

    // Host address fields.
    wire [COLUMN_BITS-1:0] h_col = host_addr[COLUMN_BITS-1:0];
    wire [GROUP_BITS-1:0]  h_group = h_col / N;
    wire [LANE_BITS-1:0]   h_lane = h_col % N;
    wire [COLUMN_BITS-1:0] hs_col = host_addr[SLOT_BITS +: COLUMN_BITS];
    wire [SLOT_BITS-1:0]   hs_slot = host_addr[SLOT_BITS-1:0];
    wire [GROUP_BITS-1:0]  hs_group = hs_col / N;
    wire [31:0]            hs_lane = hs_col % N;
    wire [31:0]            hs_row = hs_slot / L;
    wire [31:0]            hs_index = hs_lane * L + hs_slot % L;   // slot within the memory word
    wire [31:0]            hs_mem_row = hs_group * ROWS + hs_row;

    wire [31:0] syn_raddr = host_next ? hs_mem_row : col_d * ROWS + row_d;
    wire [31:0] syn_waddr = busy ? col * ROWS + row : hs_mem_row;
    wire [GROUP_BITS-1:0] col_raddr = host_next ? h_group : (local_d ? local_addr_next[GROUP_BITS-1:0] : col_d);
    wire [GROUP_BITS-1:0] col_waddr = busy ? col : h_group;

    // Lanes of the current group that are real columns (the last group may be partial).
    wire [N-1:0] lane_valid;
    genvar g, t;
    generate
        for (g = 0; g < N; g = g + 1) begin : valid_lane
            assign lane_valid[g] = ({{32{1'b0}}, col} * N + g) < NUM_COLUMNS;
        end
    endgenerate

    // Per-synapse memories: word (group, row) holds slots row*L .. row*L+L-1 of the N columns.
    wire [N*L*PERM_BITS-1:0]  perm_rdata, perm_next;
    wire [N*L*INPUT_BITS-1:0] input_rdata;
    wire [N*SIZE_BITS-1:0]    size_rdata;
    // BYPASS: with ROWS = 1 a pass rereads the word it writes in the same cycle (the next
    // pass over the group starts at the same row).
    sp_ram #(.WIDTH(N*L*PERM_BITS), .DEPTH(GROUPS*ROWS), .SLICES(N*L), .BYPASS(1)) perm_mem (
        .clk(clk), .we(state == S_PASS), .waddr(syn_waddr[SYN_ADDR_BITS-1:0]), .wdata(perm_next),
        .hwe(host_write && host_sel == H_PERM), .hslice(hs_index[SYN_SLICE_BITS-1:0]), .hdata(host_wdata[PERM_BITS-1:0]),
        .raddr(syn_raddr[SYN_ADDR_BITS-1:0]), .rdata(perm_rdata));
    sp_ram #(.WIDTH(N*L*INPUT_BITS), .DEPTH(GROUPS*ROWS), .SLICES(N*L)) pool_input_mem (
        .clk(clk), .we(1'b0), .waddr(syn_waddr[SYN_ADDR_BITS-1:0]), .wdata({N*L*INPUT_BITS{1'b0}}),
        .hwe(host_write && host_sel == H_POOL_INPUT), .hslice(hs_index[SYN_SLICE_BITS-1:0]),
        .hdata(host_wdata[INPUT_BITS-1:0]), .raddr(syn_raddr[SYN_ADDR_BITS-1:0]), .rdata(input_rdata));
    sp_ram #(.WIDTH(N*SIZE_BITS), .DEPTH(GROUPS), .SLICES(N)) pool_size_mem (
        .clk(clk), .we(1'b0), .waddr(h_group), .wdata({N*SIZE_BITS{1'b0}}),
        .hwe(host_write && host_sel == H_POOL_SIZE), .hslice(h_lane), .hdata(host_wdata[SIZE_BITS-1:0]),
        .raddr(col_raddr), .rdata(size_rdata));

    // Input bit and validity of every slot of the current row.
    wire [N*L-1:0] x_bits, slot_valid;
    generate
        for (g = 0; g < N; g = g + 1) begin : slot_lane
            for (t = 0; t < L; t = t + 1) begin : slot
                assign x_bits[g*L+t] = x[input_rdata[(g*L+t)*INPUT_BITS +: INPUT_BITS]];
                assign slot_valid[g*L+t] = lane_valid[g] &&
                    (({{32{1'b0}}, row} * L + t) < {{32{1'b0}}, size_rdata[g*SIZE_BITS +: SIZE_BITS]});
            end
        end
    endgenerate

    // Per-column memories, one group per word.
    wire [N*OVERLAP_BITS-1:0] overlap_rdata;
    wire [N*SCORE_BITS-1:0]   score, score_rdata;
    wire [N*BOOST_BITS-1:0]   boost_rdata, lut_rdata;
    wire [N*DUTY_BITS-1:0]    overlap_duty_rdata, active_duty_rdata, overlap_duty_next, active_duty_next;
    wire [N*LUT_BITS-1:0]     lut_addr;
    wire duty_step = (state == S_DUTY);
    sp_ram #(.WIDTH(N*OVERLAP_BITS), .DEPTH(GROUPS), .SLICES(N)) overlap_mem (
        .clk(clk), .we(fin), .waddr(fin_group), .wdata(overlap_acc), .hwe(1'b0), .hslice(h_lane),
        .hdata({OVERLAP_BITS{1'b0}}), .raddr(col_raddr), .rdata(overlap_rdata));
    sp_ram #(.WIDTH(N*SCORE_BITS), .DEPTH(GROUPS), .SLICES(N)) boosted_mem (
        .clk(clk), .we(fin), .waddr(fin_group), .wdata(score), .hwe(1'b0), .hslice(h_lane),
        .hdata({SCORE_BITS{1'b0}}), .raddr(col_raddr), .rdata(score_rdata));
    // The boosts of group g are read in the cycle after g's last row (fin), so the read
    // address is the current group. They are written one cycle behind the duty phase's
    // LUT reads (for the last group: the permanence phase's first cycle).
    sp_ram #(.WIDTH(N*BOOST_BITS), .DEPTH(GROUPS), .SLICES(N)) boost_mem (
        .clk(clk), .we(busy && boost_write), .waddr(busy ? boost_col : h_group), .wdata(lut_rdata),
        .hwe(host_write && host_sel == H_BOOST), .hslice(h_lane), .hdata(host_wdata[BOOST_BITS-1:0]),
        .raddr(host_next ? h_group : col), .rdata(boost_rdata));
    sp_ram #(.WIDTH(N*DUTY_BITS), .DEPTH(GROUPS), .SLICES(N)) overlap_duty_mem (
        .clk(clk), .we(duty_step), .waddr(col_waddr), .wdata(overlap_duty_next),
        .hwe(host_write && host_sel == H_OVERLAP_DUTY), .hslice(h_lane), .hdata(host_wdata[DUTY_BITS-1:0]),
        .raddr(col_raddr), .rdata(overlap_duty_rdata));
    sp_ram #(.WIDTH(N*DUTY_BITS), .DEPTH(GROUPS), .SLICES(N)) active_duty_mem (
        .clk(clk), .we(duty_step), .waddr(col_waddr), .wdata(active_duty_next),
        .hwe(host_write && host_sel == H_ACTIVE_DUTY), .hslice(h_lane), .hdata(host_wdata[DUTY_BITS-1:0]),
        .raddr(col_raddr), .rdata(active_duty_rdata));
    // One boost LUT per column lane (each lane reads its own entry per cycle); the host
    // writes all copies and reads copy 0.
    generate
        for (g = 0; g < N; g = g + 1) begin : lut
            sp_ram #(.WIDTH(BOOST_BITS), .DEPTH(1 << LUT_BITS)) lut_mem (
                .clk(clk), .we(1'b0), .waddr(host_addr[LUT_BITS-1:0]), .wdata({BOOST_BITS{1'b0}}),
                .hwe(host_write && host_sel == H_LUT), .hslice(1'b0), .hdata(host_wdata[BOOST_BITS-1:0]),
                .raddr(busy ? (LOCAL ? local_lut_addr : lut_addr[g*LUT_BITS +: LUT_BITS]) : host_addr[LUT_BITS-1:0]),
                .rdata(lut_rdata[g*BOOST_BITS +: BOOST_BITS]));
        end
    endgenerate

    // Duty shift min(floor(log2(iteration)), DUTY_SHIFT_MAX), iteration >= 1 during a step:
    // DUTY_SHIFT_MAX when a bit from DUTY_SHIFT_MAX up is set (an OR tree), else the highest
    // set bit below it. Registered: iteration changes only at `start` (or by the host while
    // idle), many cycles before the duty phase.
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

    // kWTA threshold search over KWTA_LANES scores per cycle. The scores of each word are
    // staged as the overlap phase completes its groups (GROUPS_PER_WORD groups per word);
    // with one word (KWTA_LANES >= C) the staging register is the kWTA's input.
    wire [KWTA_WORD_BITS-1:0] kwta_word, kwta_word_next;
    wire [SCORE_BITS-1:0] threshold;
    wire [COUNT_BITS-1:0] greater;
    wire kwta_busy, kwta_done;
    reg  [KWTA_LANES*SCORE_BITS-1:0] stage;
    wire [KWTA_LANES*SCORE_BITS-1:0] kwta_scores;
    wire [31:0] stage_pos = fin_group % GROUPS_PER_WORD;
    wire [31:0] stage_word = fin_group / GROUPS_PER_WORD;
    reg  [KWTA_LANES*SCORE_BITS-1:0] stage_next;
    always @* begin
        stage_next = stage;
        stage_next[stage_pos*N*SCORE_BITS +: N*SCORE_BITS] = score;
    end
    always @(posedge clk) if (fin) stage <= stage_next;
    generate
        if (KWTA_WORDS == 1) begin : kwta_staged
            assign kwta_scores = stage;
        end else begin : kwta_memory
            sp_ram #(.WIDTH(KWTA_LANES*SCORE_BITS), .DEPTH(KWTA_WORDS)) kwta_mem (
                .clk(clk), .we(fin && (stage_pos == GROUPS_PER_WORD - 1 || fin_group == LAST_GROUP)),
                .waddr(stage_word[KWTA_WORD_BITS-1:0]), .wdata(stage_next), .hwe(1'b0), .hslice(1'b0),
                .hdata({KWTA_LANES*SCORE_BITS{1'b0}}), .raddr(kwta_word_next), .rdata(kwta_scores));
        end
    endgenerate
    sp_kwta #(.NUM_COLUMNS(NUM_COLUMNS), .SCORE_BITS(SCORE_BITS), .K(K), .LANES(KWTA_LANES)) kwta (
        .clk(clk), .rst(rst), .start(state == S_OTAIL && !LOCAL), .word(kwta_word), .word_next(kwta_word_next),
        .scores(kwta_scores), .threshold(threshold), .greater(greater), .busy(kwta_busy), .done(kwta_done));
    wire [N-1:0] mark_win;
    wire [COUNT_BITS-1:0] ties_next;
    sp_kwta_mark #(.LANES(N), .SCORE_BITS(SCORE_BITS), .K(K), .STIMULUS_SCORE(STIMULUS_SCORE),
                   .COUNT_BITS(COUNT_BITS)) mark (
        .scores(score_rdata), .valid(lane_valid), .threshold(threshold), .greater(greater), .ties_in(ties_won),
        .win(mark_win), .ties_out(ties_next));

    // Local inhibition: the winners come from sp_local's kWTA pass (the duty phase reads
    // them back), the quotas, the radius and the per-column minimum duties from the host.
    wire [N-1:0] col_win = LOCAL ? winners_all[col*N +: N] : mark_win;
    reg  [31:0] radius;
    wire [COUNT_BITS-1:0] quota_rdata;
    wire [DUTY_BITS-1:0] min_duty_rdata;
    generate
        if (LOCAL) begin : local_inhibition
            sp_ram #(.WIDTH(COUNT_BITS), .DEPTH(NUM_COLUMNS)) quota_mem (
                .clk(clk), .we(1'b0), .waddr(h_col), .wdata({COUNT_BITS{1'b0}}),
                .hwe(host_write && host_sel == H_QUOTA), .hslice(1'b0), .hdata(host_wdata[COUNT_BITS-1:0]),
                .raddr(host_next ? h_col : local_col_next), .rdata(quota_rdata));
            // Written by the minimum-duty pass; read by the duty phase's weak test (its column).
            sp_ram #(.WIDTH(DUTY_BITS), .DEPTH(NUM_COLUMNS)) min_duty_mem (
                .clk(clk), .we(local_min_we), .waddr(busy ? local_col : h_col), .wdata(local_min_value),
                .hwe(host_write && host_sel == H_MIN_DUTY), .hslice(1'b0), .hdata(host_wdata[DUTY_BITS-1:0]),
                .raddr(col_raddr), .rdata(min_duty_rdata));
            sp_local #(.NUM_COLUMNS(NUM_COLUMNS), .DIM0(COL_DIM0), .DIM1(COL_DIM1), .DIM2(COL_DIM2),
                       .WRAP(WRAP_AROUND), .SCORE_BITS(SCORE_BITS), .DUTY_BITS(DUTY_BITS), .LUT_BITS(LUT_BITS),
                       .STIMULUS_SCORE(STIMULUS_SCORE), .MIN_PCT_Q(MIN_PCT_Q)) local_unit (
                .clk(clk), .run(local_run),
                .mode(state == S_LKWTA ? 2'd0 : (state == S_LBOOST ? 2'd1 : 2'd2)),
                .radius(radius), .score(score_rdata[SCORE_BITS-1:0]),
                .duty(state == S_LBOOST ? active_duty_rdata[DUTY_BITS-1:0] : overlap_duty_rdata[DUTY_BITS-1:0]),
                .quota(quota_rdata), .won(winners_all[NUM_COLUMNS-1:0]), .addr_next(local_addr_next),
                .col_next(local_col_next), .col(local_col), .last(local_last), .win_we(local_win_we),
                .win(local_win), .min_we(local_min_we), .min_value(local_min_value), .lut_read(local_lut_read),
                .lut_addr(local_lut_addr));
        end else begin : global_inhibition
            assign quota_rdata = {COUNT_BITS{1'b0}};
            assign min_duty_rdata = {DUTY_BITS{1'b0}};
            assign local_addr_next = {COLUMN_BITS{1'b0}};
            assign local_col_next = {COLUMN_BITS{1'b0}};
            assign local_col = {COLUMN_BITS{1'b0}};
            assign {local_last, local_win_we, local_win, local_min_we, local_lut_read} = 5'd0;
            assign local_min_value = {DUTY_BITS{1'b0}};
            assign local_lut_addr = {LUT_BITS{1'b0}};
        end
    endgenerate

    // Column-lane datapaths.
    wire [N*OVERLAP_BITS-1:0] overlap_acc_next;
    wire [N*L-1:0]            perm_connected;
    wire [N-1:0]              weak_now;       // duty phase: v' < m
    wire [N*(SIZE_BITS+1)-1:0] conn_next;
    generate
        for (g = 0; g < N; g = g + 1) begin : column_lane
            sp_overlap_unit #(.PERM_BITS(PERM_BITS), .OVERLAP_BITS(OVERLAP_BITS), .CONN_Q(CONN_Q), .LANES(L)) overlap_unit (
                .count_in(row == 0 ? {OVERLAP_BITS{1'b0}} : overlap_acc[g*OVERLAP_BITS +: OVERLAP_BITS]),
                .perm(perm_rdata[g*L*PERM_BITS +: L*PERM_BITS]), .input_bit(x_bits[g*L +: L]),
                .valid(slot_valid[g*L +: L]), .count_out(overlap_acc_next[g*OVERLAP_BITS +: OVERLAP_BITS]));
            sp_boost_mul #(.OVERLAP_BITS(OVERLAP_BITS), .BOOST_INT_BITS(BOOST_INT_BITS), .BOOST_FRAC_BITS(BOOST_FRAC_BITS),
                           .BOOSTED_FRAC_BITS(BOOSTED_FRAC_BITS)) boost_mul (
                .overlap(overlap_acc[g*OVERLAP_BITS +: OVERLAP_BITS]), .boost(boost_rdata[g*BOOST_BITS +: BOOST_BITS]),
                .boost_on(learn_step || BOOST_IN_INFERENCE != 0), .boosted(score[g*SCORE_BITS +: SCORE_BITS]));
            sp_duty_update #(.DUTY_BITS(DUTY_BITS), .LUT_BITS(LUT_BITS), .TARGET_Q(TARGET_Q), .SHIFT_BITS(SHIFT_BITS)) duty_update (
                .overlap_duty(overlap_duty_rdata[g*DUTY_BITS +: DUTY_BITS]),
                .active_duty(active_duty_rdata[g*DUTY_BITS +: DUTY_BITS]),
                .overlap_nonzero(overlap_rdata[g*OVERLAP_BITS +: OVERLAP_BITS] != 0), .winner(col_win[g]),
                .shift(duty_shift), .overlap_duty_next(overlap_duty_next[g*DUTY_BITS +: DUTY_BITS]),
                .active_duty_next(active_duty_next[g*DUTY_BITS +: DUTY_BITS]),
                .lut_addr(lut_addr[g*LUT_BITS +: LUT_BITS]));
            // A weak column has v < m: v as this step's duty update gives it, m not yet updated (phase 5).
            assign weak_now[g] = lane_valid[g] && (overlap_duty_next[g*DUTY_BITS +: DUTY_BITS] < (LOCAL ? min_duty_rdata : min_duty));
            for (t = 0; t < L; t = t + 1) begin : update_slot
                wire [PERM_BITS-1:0] p = perm_rdata[(g*L+t)*PERM_BITS +: PERM_BITS];
                wire [PERM_BITS-1:0] p_new;
                wire connected;
                sp_perm_update #(.PERM_BITS(PERM_BITS), .CONN_Q(CONN_Q), .INC_Q(INC_Q), .DEC_Q(DEC_Q), .BUMP_Q(BUMP_Q),
                                 .TRIM_Q(TRIM_Q)) perm_update (
                    .mode(lane_mode[2*g +: 2]), .perm_in(p), .input_bit(x_bits[g*L+t]), .perm_out(p_new),
                    .connected(connected));
                wire write_slot = lane_on[g] && slot_valid[g*L+t];
                assign perm_next[(g*L+t)*PERM_BITS +: PERM_BITS] = write_slot ? p_new : p;
                assign perm_connected[g*L+t] = write_slot && connected;
            end
            wire [$clog2(L+1)-1:0] conn_row;
            sp_popcount #(.N(L)) conn_count (.bits(perm_connected[g*L +: L]), .count(conn_row));
            assign conn_next[g*(SIZE_BITS+1) +: SIZE_BITS+1] =
                (row == 0 ? {(SIZE_BITS+1){1'b0}} : conn_acc[g*(SIZE_BITS+1) +: SIZE_BITS+1]) + conn_row;
        end
    endgenerate

    // Permanence phase: lane modes after the pass that ends in this cycle.
    reg [2*N-1:0] mode_after;
    reg [N-1:0]   on_after;
    integer j;
    always @* begin
        for (j = 0; j < N; j = j + 1) begin
            mode_after[2*j +: 2] = lane_mode[2*j +: 2];
            on_after[j] = lane_on[j];
            if (lane_on[j]) begin
                case (lane_mode[2*j +: 2])
                    MODE_ADAPT, MODE_RAISE:
                        mode_after[2*j +: 2] = (conn_next[j*(SIZE_BITS+1) +: SIZE_BITS+1] < STIMULUS_COUNT) ? MODE_RAISE : MODE_TRIM;
                    MODE_TRIM: begin
                        mode_after[2*j +: 2] = MODE_WEAK;
                        on_after[j] = weak_all[col*N + j];
                    end
                    default: on_after[j] = 1'b0;   // MODE_WEAK: done
                endcase
            end
        end
    end
    // The first active group after the current one (first_active: from group 0).
    wire [GROUP_BITS-1:0] next_active, first_active;
    wire has_next, has_first;
    wire [GROUPS-1:0] later_active;
    generate
        for (g = 0; g < GROUPS; g = g + 1) begin : later
            assign later_active[g] = group_active[g] && (g > col);
        end
    endgenerate
    sp_first_set #(.N(GROUPS)) next_group (.bits(later_active), .found(has_next), .index(next_active));
    sp_first_set #(.N(GROUPS)) first_group (.bits(group_active), .found(has_first), .index(first_active));
    wire pass_last = (row == LAST_ROW);
    wire group_done = pass_last && (on_after == {N{1'b0}});

    // Control: state, group and row of the next cycle.
    always @* begin
        state_d = state;
        col_d = col;
        row_d = row;
        case (state)
            S_IDLE: if (start) begin
                state_d = S_OVL;
                col_d = {GROUP_BITS{1'b0}};
                row_d = {ROW_BITS{1'b0}};
            end else if (LOCAL && host_write && host_sel == H_LOCAL_MIN) begin
                state_d = S_LMIN;
            end
            S_OVL: begin
                if (!pass_last) begin
                    row_d = row + 1'b1;
                end else begin
                    row_d = {ROW_BITS{1'b0}};
                    if (col == LAST_GROUP) state_d = S_OTAIL;
                    else col_d = col + 1'b1;
                end
            end
            S_OTAIL: begin
                state_d = LOCAL ? S_LKWTA : S_KWTA;
                col_d = {GROUP_BITS{1'b0}};
            end
            S_KWTA: if (kwta_done) state_d = learn_step ? S_DUTY : S_MARK;
            S_MARK, S_DUTY: begin
                if (col == LAST_GROUP) begin
                    col_d = {GROUP_BITS{1'b0}};
                    state_d = (state == S_DUTY) ? ((LOCAL && BOOST_UPDATE != 0) ? S_LBOOST : S_PSEL) : S_DONE;
                end else begin
                    col_d = col + 1'b1;
                end
            end
            S_PSEL: begin
                row_d = {ROW_BITS{1'b0}};
                if (has_first) begin
                    state_d = S_PASS;
                    col_d = first_active;
                end else begin
                    state_d = S_MIN;
                end
            end
            S_PASS: begin
                if (!pass_last) begin
                    row_d = row + 1'b1;
                end else begin
                    row_d = {ROW_BITS{1'b0}};
                    if (group_done) begin
                        if (has_next) col_d = next_active;
                        else state_d = S_MIN;
                    end
                end
            end
            S_MIN: state_d = S_DONE;
            S_LKWTA: if (local_last) state_d = learn_step ? S_DUTY : S_DONE;
            S_LBOOST: if (local_last) state_d = S_PSEL;
            S_LMIN: if (local_last) state_d = S_DONE;
            default: state_d = S_IDLE;  // S_DONE
        endcase
    end

    // Lane modes of a group entering the permanence phase ({on, mode} per lane): winners
    // adapt first, weak columns (only) bump; the others take no pass.
    integer ji;
    reg [3*N-1:0] init_first, init_next;
    always @* begin
        for (ji = 0; ji < N; ji = ji + 1) begin
            init_first[2*ji +: 2] = winners_all[first_active*N + ji] ? MODE_ADAPT : MODE_WEAK;
            init_first[2*N + ji] = winners_all[first_active*N + ji] || weak_all[first_active*N + ji];
            init_next[2*ji +: 2] = winners_all[next_active*N + ji] ? MODE_ADAPT : MODE_WEAK;
            init_next[2*N + ji] = winners_all[next_active*N + ji] || weak_all[next_active*N + ji];
        end
    end
    // The largest overlap duty so far: the running maximum and this group's valid lanes
    // (invalid lanes as 0, which no maximum of unsigned values can exceed).
    wire [(N+1)*DUTY_BITS-1:0] duty_candidates;
    generate
        for (g = 0; g < N; g = g + 1) begin : duty_candidate
            assign duty_candidates[g*DUTY_BITS +: DUTY_BITS] =
                lane_valid[g] ? overlap_duty_next[g*DUTY_BITS +: DUTY_BITS] : {DUTY_BITS{1'b0}};
        end
    endgenerate
    assign duty_candidates[N*DUTY_BITS +: DUTY_BITS] = max_overlap_duty;
    wire [DUTY_BITS-1:0] group_max_duty;
    sp_max #(.N(N + 1), .WIDTH(DUTY_BITS)) group_max (.values(duty_candidates), .max(group_max_duty));
    wire [DUTY_BITS+16:0] min_duty_product = MIN_PCT_Q * max_overlap_duty;

    always @(posedge clk) begin
        host_sel_q <= host_sel;
        host_lane_q <= h_lane;
        host_slice_q <= hs_index;
        if (rst) begin
            state <= S_IDLE;
            iteration <= 64'd0;
            period_phase <= 32'd0;
            min_duty <= {DUTY_BITS{1'b0}};
            winners_all <= {GROUPS*N{1'b0}};
            boost_write <= 1'b0;
            fin <= 1'b0;
        end else begin
            state <= state_d;
            col <= col_d;
            row <= row_d;
            boost_write <= LOCAL ? local_lut_read : duty_step && (BOOST_UPDATE != 0);
            boost_col <= LOCAL ? local_col[GROUP_BITS-1:0] : col;
            fin <= (state == S_OVL) && pass_last;
            fin_group <= col;
            case (state)
                S_IDLE: begin
                    if (host_write && host_sel == H_MIN_DUTY) min_duty <= host_wdata[DUTY_BITS-1:0];
                    if (host_write && host_sel == H_ITERATION) iteration <= host_wdata;
                    if (host_write && host_sel == H_PERIOD_PHASE) period_phase <= host_wdata[31:0];
                    if (LOCAL && host_write && host_sel == H_RADIUS) radius <= host_wdata[31:0];
                    if (start) begin
                        x <= in_vec;
                        learn_step <= learn;
                        iteration <= iteration + 64'd1;
                        period_phase <= (period_phase == UPDATE_PERIOD - 1) ? 32'd0 : period_phase + 32'd1;
                    end
                end
                S_OVL: overlap_acc <= overlap_acc_next;
                S_OTAIL: if (LOCAL) winners_all <= {GROUPS*N{1'b0}};
                S_LKWTA: if (local_win_we) winners_all[local_col] <= local_win;
                S_KWTA: begin
                    ties_won <= {COUNT_BITS{1'b0}};
                    max_overlap_duty <= {DUTY_BITS{1'b0}};
                    group_active <= {GROUPS{1'b0}};
                end
                S_MARK: begin
                    winners_all[col*N +: N] <= mark_win;
                    ties_won <= ties_next;
                end
                S_DUTY: begin
                    winners_all[col*N +: N] <= col_win;
                    weak_all[col*N +: N] <= weak_now;
                    group_active[col] <= |(col_win | weak_now);
                    ties_won <= ties_next;
                    max_overlap_duty <= group_max_duty;
                end
                S_PSEL: {lane_on, lane_mode} <= init_first;
                S_PASS: begin
                    conn_acc <= conn_next;
                    if (pass_last) begin
                        if (group_done) {lane_on, lane_mode} <= init_next;
                        else {lane_on, lane_mode} <= {on_after, mode_after};
                    end
                end
                S_MIN: if (period_phase == 32'd0) min_duty <= min_duty_product[DUTY_BITS+15:16];
                default: ;
            endcase
        end
    end

    // (Equality tests, not a case: yosys would turn a constant case into a ROM.)
    always @* begin
        phase = 3'd5;                                          // S_MIN, S_DONE
        if (state == S_IDLE) phase = 3'd0;
        if (state == S_OVL || state == S_OTAIL) phase = 3'd1;
        if (state == S_KWTA || state == S_MARK || state == S_LKWTA) phase = 3'd2;
        if (state == S_DUTY || state == S_LBOOST) phase = 3'd3;
        if (state == S_PSEL || state == S_PASS) phase = 3'd4;
    end

    // Host reads: the data of the address and selector given in the previous cycle.
    always @* begin
        case (host_sel_q)
            H_PERM: host_rdata = {{(64-PERM_BITS){1'b0}}, perm_rdata[host_slice_q*PERM_BITS +: PERM_BITS]};
            H_POOL_INPUT: host_rdata = {{(64-INPUT_BITS){1'b0}}, input_rdata[host_slice_q*INPUT_BITS +: INPUT_BITS]};
            H_POOL_SIZE: host_rdata = {{(64-SIZE_BITS){1'b0}}, size_rdata[host_lane_q*SIZE_BITS +: SIZE_BITS]};
            H_OVERLAP_DUTY: host_rdata = {{(64-DUTY_BITS){1'b0}}, overlap_duty_rdata[host_lane_q*DUTY_BITS +: DUTY_BITS]};
            H_ACTIVE_DUTY: host_rdata = {{(64-DUTY_BITS){1'b0}}, active_duty_rdata[host_lane_q*DUTY_BITS +: DUTY_BITS]};
            H_MIN_DUTY: host_rdata = {{(64-DUTY_BITS){1'b0}}, LOCAL ? min_duty_rdata : min_duty};
            H_BOOST: host_rdata = {{(64-BOOST_BITS){1'b0}}, boost_rdata[host_lane_q*BOOST_BITS +: BOOST_BITS]};
            H_LUT: host_rdata = {{(64-BOOST_BITS){1'b0}}, lut_rdata[BOOST_BITS-1:0]};
            H_ITERATION: host_rdata = iteration;
            H_PERIOD_PHASE: host_rdata = {32'd0, period_phase};
            H_OVERLAP: host_rdata = {{(64-OVERLAP_BITS){1'b0}}, overlap_rdata[host_lane_q*OVERLAP_BITS +: OVERLAP_BITS]};
            H_BOOSTED: host_rdata = {{(64-SCORE_BITS){1'b0}}, score_rdata[host_lane_q*SCORE_BITS +: SCORE_BITS]};
            H_RADIUS: host_rdata = {32'd0, LOCAL ? radius : 32'd0};
            H_QUOTA: host_rdata = {{(64-COUNT_BITS){1'b0}}, quota_rdata};
            H_LOCAL_MIN: host_rdata = 64'd0;   // a command: reads as 0
            default: host_rdata = 64'd0;
        endcase
    end
endmodule
`default_nettype wire
