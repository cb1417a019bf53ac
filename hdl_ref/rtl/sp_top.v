// Spatial-pooler datapath of docs/datapath.md (global inhibition), one input step per
// start/done handshake. Microarchitecture and cycle counts: hdl_ref/README.md.
//
// Host port (only while idle): write or read the memories and registers selected by
// host_sel. A write takes effect at the clock edge; a read's data (host_rdata) is there
// in the cycle after host_sel and host_addr were given, as the memories are block RAM
// with synchronous read. Selector map:
//   0 permanence memory (Z words, pool order)  1 pool input index (Z)  2 pool offset (C+1)
//   3 overlap duty (C)  4 active duty (C)  5 minimum overlap duty (1)  6 boost factor (C)
//   7 boost LUT (2^LUT_BITS)  8 iteration counter (1)  9 iteration mod UPDATE_PERIOD (1)
//  10 overlap of the last step (C, read only)  11 boosted overlap of the last step (C, read only)
`default_nettype none
module sp_top #(
    parameter NUM_INPUTS = 16,                     // input vector bits I
    parameter NUM_COLUMNS = 8,                     // columns C (>= 2)
    parameter NUM_SYNAPSES = 64,                   // potential synapses Z (sum of the pool sizes)
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
    parameter SYN_LANES = 1                        // synapses per cycle in the overlap and permanence phases (1..64)
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
    output reg  [NUM_COLUMNS-1:0] winners,
    // host port
    input  wire                  host_we,
    input  wire [3:0]            host_sel,
    input  wire [31:0]           host_addr,
    input  wire [63:0]           host_wdata,
    output reg  [63:0]           host_rdata
);
    localparam SYN_BITS = $clog2(NUM_SYNAPSES + 1);                  // holds 0 .. Z
    localparam INPUT_BITS = (NUM_INPUTS > 1) ? $clog2(NUM_INPUTS) : 1; // holds 0 .. I-1
    localparam COLUMN_BITS = $clog2(NUM_COLUMNS + 1);                // holds 0 .. C
    localparam BOOST_BITS = BOOST_INT_BITS + BOOST_FRAC_BITS;
    localparam SCORE_BITS = OVERLAP_BITS + BOOST_INT_BITS + BOOSTED_FRAC_BITS;
    localparam SHIFT_BITS = 7;
    localparam [COLUMN_BITS-1:0] LAST_COLUMN = NUM_COLUMNS - 1;
    localparam [63:0] STIMULUS_SCORE = STIMULUS * (2 ** BOOSTED_FRAC_BITS);
    localparam [1:0] MODE_ADAPT = 2'd0, MODE_RAISE = 2'd1, MODE_TRIM = 2'd2, MODE_WEAK = 2'd3;
    localparam [2:0] S_IDLE = 3'd0, S_OVL = 3'd1, S_KWTA = 3'd2, S_DUTY = 3'd3,
                     S_PCOL = 3'd4, S_PASS = 3'd5, S_MIN = 3'd6, S_DONE = 3'd7;
    localparam [3:0] H_PERM = 4'd0, H_POOL_INPUT = 4'd1, H_POOL_OFFSET = 4'd2, H_OVERLAP_DUTY = 4'd3,
                     H_ACTIVE_DUTY = 4'd4, H_MIN_DUTY = 4'd5, H_BOOST = 4'd6, H_LUT = 4'd7,
                     H_ITERATION = 4'd8, H_PERIOD_PHASE = 4'd9, H_OVERLAP = 4'd10, H_BOOSTED = 4'd11;

    reg [2:0]              state, state_d;     // state_d, col_d, syn_d: the values at the next clock edge
    reg [COLUMN_BITS-1:0]  col, col_d;
    reg [SYN_BITS-1:0]     syn, syn_d;
    reg [SYN_BITS-1:0]     col_base;      // first synapse of `col` (permanence phase)
    reg [SYN_BITS-1:0]     conn_count;    // connected synapses of `col` so far in this pass
    reg [1:0]              mode;
    reg                    col_weak;      // `col` is a weak column (permanence phase)
    reg [OVERLAP_BITS-1:0] overlap_count;
    reg [NUM_INPUTS-1:0]   x;
    reg                    learn_step;
    reg [63:0]             iteration;
    reg [31:0]             period_phase;  // iteration mod UPDATE_PERIOD
    reg [DUTY_BITS-1:0]    min_duty;
    reg [DUTY_BITS-1:0]    max_overlap_duty;
    reg                    boost_write;   // write the LUT word read in the previous cycle to boost_mem[boost_col]
    reg [COLUMN_BITS-1:0]  boost_col;
    reg [3:0]              host_sel_q;    // host_sel of the read whose data is in the read registers

    assign busy = (state != S_IDLE);
    assign done = (state == S_DONE);
    wire host_write = host_we && !busy;
    // Every memory is read synchronously: the address given in a cycle is that of the next
    // cycle's data. The datapath reads at the next cycle's column and synapse (col_d, syn_d;
    // the kWTA's column_next), so each cycle sees the words of its own col and syn, as an
    // asynchronous read would, and no phase takes an extra cycle. While idle, the memories
    // read at host_addr.
    wire host_next = (state_d == S_IDLE);

    // Pool offsets: col_end = pool_offset[col + 1], the end of column `col`.
    wire [SYN_BITS-1:0] col_end;
    sp_ram #(.WIDTH(SYN_BITS), .DEPTH(NUM_COLUMNS + 1), .ADDR_BITS(COLUMN_BITS)) pool_offset (
        .clk(clk), .we(host_write && host_sel == H_POOL_OFFSET), .waddr(host_addr[COLUMN_BITS-1:0]),
        .wdata(host_wdata[SYN_BITS-1:0]), .raddr(host_next ? host_addr[COLUMN_BITS-1:0] : col_d + 1'b1),
        .rdata(col_end));

    // Per-synapse memories, SYN_LANES consecutive words per cycle (lane j = synapse syn + j).
    wire [SYN_LANES*PERM_BITS-1:0]  perm_rdata;
    wire [SYN_LANES*PERM_BITS-1:0]  perm_next;
    wire [SYN_LANES-1:0]            perm_connected;
    wire [SYN_LANES*INPUT_BITS-1:0] pool_input_rdata;
    wire [SYN_LANES-1:0]            x_bits;
    wire [SYN_LANES-1:0]            lane_valid;   // synapse syn + j belongs to column `col`
    wire [SYN_BITS-1:0]   syn_raddr = host_next ? host_addr[SYN_BITS-1:0] : syn_d;
    wire [SYN_BITS-1:0]   syn_waddr = busy ? syn : host_addr[SYN_BITS-1:0];
    wire [SYN_LANES-1:0]  host_lane0 = 1;  // the host port uses lane 0
    wire [SYN_LANES*PERM_BITS-1:0]  host_perm_word = host_wdata[PERM_BITS-1:0];
    wire [SYN_LANES*INPUT_BITS-1:0] host_input_word = host_wdata[INPUT_BITS-1:0];
    genvar g;
    generate
        for (g = 0; g < SYN_LANES; g = g + 1) begin : lane
            assign x_bits[g] = x[pool_input_rdata[g*INPUT_BITS +: INPUT_BITS]];
            assign lane_valid[g] = ({1'b0, syn} + g) < {1'b0, col_end};
        end
    endgenerate
    // BYPASS: a pass over a row of at most SYN_LANES synapses rereads the words it writes
    // in the same cycle (the next pass starts at the row's first word).
    sp_ram #(.WIDTH(PERM_BITS), .DEPTH(NUM_SYNAPSES), .ADDR_BITS(SYN_BITS), .LANES(SYN_LANES), .BYPASS(1)) perm_mem (
        .clk(clk), .we(busy ? ((state == S_PASS) ? lane_valid : {SYN_LANES{1'b0}})
                            : ((host_write && host_sel == H_PERM) ? host_lane0 : {SYN_LANES{1'b0}})),
        .waddr(syn_waddr), .wdata(busy ? perm_next : host_perm_word), .raddr(syn_raddr), .rdata(perm_rdata));
    sp_ram #(.WIDTH(INPUT_BITS), .DEPTH(NUM_SYNAPSES), .ADDR_BITS(SYN_BITS), .LANES(SYN_LANES)) pool_input_mem (
        .clk(clk), .we((host_write && host_sel == H_POOL_INPUT) ? host_lane0 : {SYN_LANES{1'b0}}), .waddr(syn_waddr),
        .wdata(host_input_word), .raddr(syn_raddr), .rdata(pool_input_rdata));

    // Per-column memories.
    wire [COLUMN_BITS-1:0] kwta_col, kwta_col_next;
    wire [COLUMN_BITS-1:0] col_raddr = host_next ? host_addr[COLUMN_BITS-1:0] : col_d;
    wire [COLUMN_BITS-1:0] col_waddr = busy ? col : host_addr[COLUMN_BITS-1:0];
    wire [OVERLAP_BITS-1:0] overlap_rdata;
    wire [SCORE_BITS-1:0]   score, score_rdata;
    wire [BOOST_BITS-1:0]   boost_rdata, lut_rdata;
    wire [DUTY_BITS-1:0]    overlap_duty_rdata, active_duty_rdata, overlap_duty_next, active_duty_next;
    wire [LUT_BITS-1:0]     lut_addr;
    wire ovl_finish = (state == S_OVL) && (syn == col_end);
    wire duty_step = (state == S_DUTY);
    sp_ram #(.WIDTH(OVERLAP_BITS), .DEPTH(NUM_COLUMNS), .ADDR_BITS(COLUMN_BITS)) overlap_mem (
        .clk(clk), .we(ovl_finish), .waddr(col), .wdata(overlap_count), .raddr(col_raddr), .rdata(overlap_rdata));
    sp_ram #(.WIDTH(SCORE_BITS), .DEPTH(NUM_COLUMNS), .ADDR_BITS(COLUMN_BITS)) boosted_mem (
        .clk(clk), .we(ovl_finish), .waddr(col), .wdata(score),
        .raddr(host_next ? host_addr[COLUMN_BITS-1:0] : kwta_col_next), .rdata(score_rdata));
    // The boost of column c is the LUT word addressed in c's duty cycle: it is read at
    // the end of that cycle and written one cycle later (the first permanence-phase cycle
    // for the last column), so the duty phase keeps one cycle per column.
    sp_ram #(.WIDTH(BOOST_BITS), .DEPTH(NUM_COLUMNS), .ADDR_BITS(COLUMN_BITS)) boost_mem (
        .clk(clk), .we(busy ? boost_write : (host_write && host_sel == H_BOOST)),
        .waddr(busy ? boost_col : host_addr[COLUMN_BITS-1:0]), .wdata(busy ? lut_rdata : host_wdata[BOOST_BITS-1:0]),
        .raddr(col_raddr), .rdata(boost_rdata));
    sp_ram #(.WIDTH(DUTY_BITS), .DEPTH(NUM_COLUMNS), .ADDR_BITS(COLUMN_BITS)) overlap_duty_mem (
        .clk(clk), .we(busy ? duty_step : (host_write && host_sel == H_OVERLAP_DUTY)), .waddr(col_waddr),
        .wdata(busy ? overlap_duty_next : host_wdata[DUTY_BITS-1:0]), .raddr(col_raddr), .rdata(overlap_duty_rdata));
    sp_ram #(.WIDTH(DUTY_BITS), .DEPTH(NUM_COLUMNS), .ADDR_BITS(COLUMN_BITS)) active_duty_mem (
        .clk(clk), .we(busy ? duty_step : (host_write && host_sel == H_ACTIVE_DUTY)), .waddr(col_waddr),
        .wdata(busy ? active_duty_next : host_wdata[DUTY_BITS-1:0]), .raddr(col_raddr), .rdata(active_duty_rdata));
    sp_ram #(.WIDTH(BOOST_BITS), .DEPTH(1 << LUT_BITS), .ADDR_BITS(LUT_BITS)) lut_mem (
        .clk(clk), .we(host_write && host_sel == H_LUT), .waddr(host_addr[LUT_BITS-1:0]),
        .wdata(host_wdata[BOOST_BITS-1:0]), .raddr(busy ? lut_addr : host_addr[LUT_BITS-1:0]), .rdata(lut_rdata));

    // Datapath units.
    wire [OVERLAP_BITS-1:0] overlap_count_next;
    sp_overlap_unit #(.PERM_BITS(PERM_BITS), .OVERLAP_BITS(OVERLAP_BITS), .CONN_Q(CONN_Q), .LANES(SYN_LANES)) overlap_unit (
        .count_in(overlap_count), .perm(perm_rdata), .input_bit(x_bits), .valid(lane_valid),
        .count_out(overlap_count_next));
    sp_boost_mul #(.OVERLAP_BITS(OVERLAP_BITS), .BOOST_INT_BITS(BOOST_INT_BITS), .BOOST_FRAC_BITS(BOOST_FRAC_BITS),
                   .BOOSTED_FRAC_BITS(BOOSTED_FRAC_BITS)) boost_mul (
        .overlap(overlap_count), .boost(boost_rdata), .boost_on(learn_step || BOOST_IN_INFERENCE != 0), .boosted(score));
    // Eligibility (s >= theta * 2^B_b) from the stored score, as the kWTA reads it.
    wire score_eligible = ({32'd0, score_rdata} >= STIMULUS_SCORE);
    generate
        for (g = 0; g < SYN_LANES; g = g + 1) begin : update_lane
            sp_perm_update #(.PERM_BITS(PERM_BITS), .CONN_Q(CONN_Q), .INC_Q(INC_Q), .DEC_Q(DEC_Q), .BUMP_Q(BUMP_Q),
                             .TRIM_Q(TRIM_Q)) perm_update (
                .mode(mode), .perm_in(perm_rdata[g*PERM_BITS +: PERM_BITS]), .input_bit(x_bits[g]),
                .perm_out(perm_next[g*PERM_BITS +: PERM_BITS]), .connected(perm_connected[g]));
        end
    endgenerate

    // Duty shift min(floor(log2(iteration)), DUTY_SHIFT_MAX), iteration >= 1 during a step:
    // DUTY_SHIFT_MAX when a bit from DUTY_SHIFT_MAX up is set (an OR tree), else the highest
    // set bit below it. (A priority search over all 64 bits is a 64-deep multiplexer chain,
    // the design's longest path on iCE40.)
    localparam [SHIFT_BITS-1:0] SHIFT_CAP = DUTY_SHIFT_MAX;
    wire shift_at_cap = |(iteration >> SHIFT_CAP);
    reg [SHIFT_BITS-1:0] log2_low;
    integer i;
    always @* begin
        log2_low = {SHIFT_BITS{1'b0}};
        for (i = 0; i < 64; i = i + 1)
            if (i < SHIFT_CAP && iteration[i]) log2_low = i[SHIFT_BITS-1:0];
    end
    // Registered: iteration changes only at `start` (or by the host while idle), many
    // cycles before the duty phase, and the duty arithmetic then starts from a register.
    reg [SHIFT_BITS-1:0] duty_shift;
    always @(posedge clk) duty_shift <= shift_at_cap ? SHIFT_CAP : log2_low;
    sp_duty_update #(.DUTY_BITS(DUTY_BITS), .LUT_BITS(LUT_BITS), .TARGET_Q(TARGET_Q), .SHIFT_BITS(SHIFT_BITS)) duty_update (
        .overlap_duty(overlap_duty_rdata), .active_duty(active_duty_rdata), .overlap_nonzero(overlap_rdata != 0),
        .winner(winners[col]), .shift(duty_shift), .overlap_duty_next(overlap_duty_next),
        .active_duty_next(active_duty_next), .lut_addr(lut_addr));
    // A weak column has v < m: v as the duty phase stored it, m not yet updated (phase 5).
    wire weak_now = (overlap_duty_rdata < min_duty);

    wire kwta_win_we, kwta_win_bit, kwta_busy, kwta_done;
    sp_kwta #(.NUM_COLUMNS(NUM_COLUMNS), .COLUMN_BITS(COLUMN_BITS), .SCORE_BITS(SCORE_BITS), .K(K)) kwta (
        .clk(clk), .rst(rst), .start(ovl_finish && col == LAST_COLUMN), .column(kwta_col), .column_next(kwta_col_next),
        .score(score_rdata), .eligible(score_eligible), .win_we(kwta_win_we), .win_bit(kwta_win_bit),
        .busy(kwta_busy), .done(kwta_done));

    reg [SYN_BITS-1:0] conn_count_next;  // conn_count + connected valid lanes
    integer k;
    always @* begin
        conn_count_next = conn_count;
        for (k = 0; k < SYN_LANES; k = k + 1)
            if (lane_valid[k] && perm_connected[k]) conn_count_next = conn_count_next + 1'b1;
    end
    // Next synapse address within the column: syn + SYN_LANES, clamped to the column end.
    wire [SYN_BITS:0] syn_step = {1'b0, syn} + SYN_LANES;
    wire pass_last = (syn_step >= {1'b0, col_end});
    wire [SYN_BITS-1:0] syn_next = pass_last ? col_end : syn_step[SYN_BITS-1:0];
    wire [DUTY_BITS+16:0] min_duty_product = MIN_PCT_Q * max_overlap_duty;
    wire pass_again = (mode == MODE_ADAPT || mode == MODE_RAISE) || (mode == MODE_TRIM && col_weak);

    // Control: state, column and synapse of the next cycle.
    always @* begin
        state_d = state;
        col_d = col;
        syn_d = syn;
        case (state)
            S_IDLE: if (start) begin
                state_d = S_OVL;
                col_d = {COLUMN_BITS{1'b0}};
                syn_d = {SYN_BITS{1'b0}};
            end
            S_OVL: begin
                if (!ovl_finish) begin
                    syn_d = syn_next;
                end else if (col == LAST_COLUMN) begin
                    col_d = {COLUMN_BITS{1'b0}};
                    state_d = S_KWTA;
                end else begin
                    col_d = col + 1'b1;
                end
            end
            S_KWTA: if (kwta_done) state_d = learn_step ? S_DUTY : S_DONE;
            S_DUTY: begin
                if (col == LAST_COLUMN) begin
                    col_d = {COLUMN_BITS{1'b0}};
                    state_d = S_PCOL;
                end else begin
                    col_d = col + 1'b1;
                end
            end
            S_PCOL: begin
                syn_d = col_base;
                if (col_base != col_end && (winners[col] || weak_now)) state_d = S_PASS;
                else if (col == LAST_COLUMN) state_d = S_MIN;
                else col_d = col + 1'b1;
            end
            S_PASS: begin
                if (!pass_last) begin
                    syn_d = syn_next;
                end else begin
                    syn_d = col_base;
                    if (!pass_again) begin
                        if (col == LAST_COLUMN) begin
                            state_d = S_MIN;
                        end else begin
                            col_d = col + 1'b1;
                            state_d = S_PCOL;
                        end
                    end
                end
            end
            S_MIN: state_d = S_DONE;
            default: state_d = S_IDLE;  // S_DONE
        endcase
    end

    always @(posedge clk) begin
        host_sel_q <= host_sel;
        if (rst) begin
            state <= S_IDLE;
            iteration <= 64'd0;
            period_phase <= 32'd0;
            min_duty <= {DUTY_BITS{1'b0}};
            winners <= {NUM_COLUMNS{1'b0}};
            boost_write <= 1'b0;
        end else begin
            state <= state_d;
            col <= col_d;
            syn <= syn_d;
            boost_write <= duty_step && (BOOST_UPDATE != 0);
            boost_col <= col;
            case (state)
                S_IDLE: begin
                    if (host_write && host_sel == H_MIN_DUTY) min_duty <= host_wdata[DUTY_BITS-1:0];
                    if (host_write && host_sel == H_ITERATION) iteration <= host_wdata;
                    if (host_write && host_sel == H_PERIOD_PHASE) period_phase <= host_wdata[31:0];
                    if (start) begin
                        x <= in_vec;
                        learn_step <= learn;
                        iteration <= iteration + 64'd1;
                        period_phase <= (period_phase == UPDATE_PERIOD - 1) ? 32'd0 : period_phase + 32'd1;
                        overlap_count <= {OVERLAP_BITS{1'b0}};
                    end
                end
                S_OVL: overlap_count <= ovl_finish ? {OVERLAP_BITS{1'b0}} : overlap_count_next;
                S_KWTA: begin
                    if (kwta_win_we) winners[kwta_col] <= kwta_win_bit;
                    if (kwta_done) max_overlap_duty <= {DUTY_BITS{1'b0}};
                end
                S_DUTY: begin
                    if (overlap_duty_next > max_overlap_duty) max_overlap_duty <= overlap_duty_next;
                    if (col == LAST_COLUMN) col_base <= {SYN_BITS{1'b0}};
                end
                S_PCOL: begin
                    conn_count <= {SYN_BITS{1'b0}};
                    col_weak <= weak_now;
                    if (col_base != col_end && winners[col]) mode <= MODE_ADAPT;
                    else if (col_base != col_end && weak_now) mode <= MODE_WEAK;
                    else col_base <= col_end;
                end
                S_PASS: begin
                    if (!pass_last) begin
                        conn_count <= conn_count_next;
                    end else begin
                        conn_count <= {SYN_BITS{1'b0}};
                        if (mode == MODE_ADAPT || mode == MODE_RAISE) mode <= (conn_count_next < STIMULUS) ? MODE_RAISE : MODE_TRIM;
                        else if (mode == MODE_TRIM && col_weak) mode <= MODE_WEAK;
                        else col_base <= col_end;
                    end
                end
                S_MIN: if (period_phase == 32'd0) min_duty <= min_duty_product[DUTY_BITS+15:16];
                default: ;
            endcase
        end
    end

    always @* begin
        case (state)
            S_IDLE: phase = 3'd0;
            S_OVL: phase = 3'd1;
            S_KWTA: phase = 3'd2;
            S_DUTY: phase = 3'd3;
            S_PCOL, S_PASS: phase = 3'd4;
            default: phase = 3'd5;
        endcase
    end

    // Host reads: the data of the address and selector given in the previous cycle.
    always @* begin
        case (host_sel_q)
            H_PERM: host_rdata = {{(64-PERM_BITS){1'b0}}, perm_rdata[PERM_BITS-1:0]};
            H_POOL_INPUT: host_rdata = {{(64-INPUT_BITS){1'b0}}, pool_input_rdata[INPUT_BITS-1:0]};
            H_POOL_OFFSET: host_rdata = {{(64-SYN_BITS){1'b0}}, col_end};
            H_OVERLAP_DUTY: host_rdata = {{(64-DUTY_BITS){1'b0}}, overlap_duty_rdata};
            H_ACTIVE_DUTY: host_rdata = {{(64-DUTY_BITS){1'b0}}, active_duty_rdata};
            H_MIN_DUTY: host_rdata = {{(64-DUTY_BITS){1'b0}}, min_duty};
            H_BOOST: host_rdata = {{(64-BOOST_BITS){1'b0}}, boost_rdata};
            H_LUT: host_rdata = {{(64-BOOST_BITS){1'b0}}, lut_rdata};
            H_ITERATION: host_rdata = iteration;
            H_PERIOD_PHASE: host_rdata = {32'd0, period_phase};
            H_OVERLAP: host_rdata = {{(64-OVERLAP_BITS){1'b0}}, overlap_rdata};
            H_BOOSTED: host_rdata = {{(64-SCORE_BITS){1'b0}}, score_rdata};
            default: host_rdata = 64'd0;
        endcase
    end
endmodule
`default_nettype wire
