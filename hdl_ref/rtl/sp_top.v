// Spatial-pooler datapath of docs/datapath.md (global inhibition), one input step per
// start/done handshake. Microarchitecture and cycle counts: hdl_ref/README.md.
//
// Host port (only while idle): write or read the memories and registers selected by
// host_sel; reads are combinational. Selector map:
//   0 permanence memory (Z words, pool order)  1 pool input index (Z)  2 pool offset (C+1)
//   3 overlap duty (C)  4 active duty (C)  5 minimum overlap duty (1)  6 boost factor (C)
//   7 boost LUT (2^LUT_BITS)  8 iteration counter (1)  9 iteration mod UPDATE_PERIOD (1)
//  10 overlap of the last step (C, read only)  11 boosted overlap of the last step (C, read only)
`default_nettype none
module sp_top #(
    parameter NUM_INPUTS = 16,
    parameter NUM_COLUMNS = 8,
    parameter NUM_SYNAPSES = 64,
    parameter PERM_BITS = 8,
    parameter OVERLAP_BITS = 4,          // the derived B_o (manifest constants.overlap_bits)
    parameter BOOST_INT_BITS = 3,
    parameter BOOST_FRAC_BITS = 8,
    parameter BOOSTED_FRAC_BITS = 4,
    parameter DUTY_BITS = 16,
    parameter LUT_BITS = 10,
    parameter CONN_Q = 51,
    parameter INC_Q = 26,
    parameter DEC_Q = 3,
    parameter BUMP_Q = 5,
    parameter TRIM_Q = 13,
    parameter STIMULUS = 1,
    parameter K = 2,
    parameter TARGET_Q = 16384,
    parameter MIN_PCT_Q = 6554,
    parameter DUTY_SHIFT_MAX = 6,
    parameter UPDATE_PERIOD = 50,
    parameter BOOST_UPDATE = 1,          // boostStrength > 0
    parameter BOOST_IN_INFERENCE = 0,
    parameter SYN_LANES = 1              // synapses per cycle in the overlap and permanence phases (1..64)
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

    reg [2:0]              state;
    reg [COLUMN_BITS-1:0]  col;
    reg [SYN_BITS-1:0]     syn;
    reg [SYN_BITS-1:0]     col_base;      // first synapse of `col` (permanence phase)
    reg [SYN_BITS-1:0]     conn_count;    // connected synapses of `col` so far in this pass
    reg [1:0]              mode;
    reg [OVERLAP_BITS-1:0] overlap_count;
    reg [NUM_INPUTS-1:0]   x;
    reg                    learn_step;
    reg [63:0]             iteration;
    reg [31:0]             period_phase;  // iteration mod UPDATE_PERIOD
    reg [DUTY_BITS-1:0]    min_duty;
    reg [DUTY_BITS-1:0]    max_overlap_duty;
    reg [NUM_COLUMNS-1:0]  eligible;
    reg [NUM_COLUMNS-1:0]  weak_mask;

    assign busy = (state != S_IDLE);
    assign done = (state == S_DONE);
    wire host_write = host_we && !busy;

    // Pool offsets: a register file with one read port (the end of column `col`).
    reg [SYN_BITS-1:0] pool_offset [0:NUM_COLUMNS];
    wire [SYN_BITS-1:0] col_end = pool_offset[col + 1'b1];
    always @(posedge clk) begin
        if (host_write && host_sel == H_POOL_OFFSET) pool_offset[host_addr[COLUMN_BITS-1:0]] <= host_wdata[SYN_BITS-1:0];
    end

    // Per-synapse memories.
    // Per-synapse memories, SYN_LANES consecutive words per cycle (lane j = synapse syn + j).
    wire [SYN_LANES*PERM_BITS-1:0]  perm_rdata;
    wire [SYN_LANES*PERM_BITS-1:0]  perm_next;
    wire [SYN_LANES-1:0]            perm_connected;
    wire [SYN_LANES*INPUT_BITS-1:0] pool_input_rdata;
    wire [SYN_LANES-1:0]            x_bits;
    wire [SYN_LANES-1:0]            lane_valid;   // synapse syn + j belongs to column `col`
    wire [SYN_BITS-1:0]   syn_addr = busy ? syn : host_addr[SYN_BITS-1:0];
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
    sp_ram #(.WIDTH(PERM_BITS), .DEPTH(NUM_SYNAPSES), .ADDR_BITS(SYN_BITS), .LANES(SYN_LANES)) perm_mem (
        .clk(clk), .we(busy ? ((state == S_PASS) ? lane_valid : {SYN_LANES{1'b0}})
                            : ((host_write && host_sel == H_PERM) ? host_lane0 : {SYN_LANES{1'b0}})),
        .waddr(syn_addr), .wdata(busy ? perm_next : host_perm_word),
        .raddr(syn_addr), .rdata(perm_rdata));
    sp_ram #(.WIDTH(INPUT_BITS), .DEPTH(NUM_SYNAPSES), .ADDR_BITS(SYN_BITS), .LANES(SYN_LANES)) pool_input_mem (
        .clk(clk), .we((host_write && host_sel == H_POOL_INPUT) ? host_lane0 : {SYN_LANES{1'b0}}), .waddr(syn_addr),
        .wdata(host_input_word), .raddr(syn_addr),
        .rdata(pool_input_rdata));

    // Per-column memories.
    wire [COLUMN_BITS-1:0] kwta_col;
    wire [COLUMN_BITS-1:0] col_addr = busy ? col : host_addr[COLUMN_BITS-1:0];
    wire [COLUMN_BITS-1:0] score_addr = (state == S_KWTA) ? kwta_col : col_addr;
    wire [OVERLAP_BITS-1:0] overlap_rdata;
    wire [SCORE_BITS-1:0]   score, score_rdata;
    wire [BOOST_BITS-1:0]   boost_rdata, lut_rdata;
    wire [DUTY_BITS-1:0]    overlap_duty_rdata, active_duty_rdata, overlap_duty_next, active_duty_next;
    wire [LUT_BITS-1:0]     lut_addr;
    wire ovl_finish = (state == S_OVL) && (syn == col_end);
    wire duty_step = (state == S_DUTY);
    sp_ram #(.WIDTH(OVERLAP_BITS), .DEPTH(NUM_COLUMNS), .ADDR_BITS(COLUMN_BITS)) overlap_mem (
        .clk(clk), .we(ovl_finish), .waddr(col), .wdata(overlap_count), .raddr(col_addr), .rdata(overlap_rdata));
    sp_ram #(.WIDTH(SCORE_BITS), .DEPTH(NUM_COLUMNS), .ADDR_BITS(COLUMN_BITS)) boosted_mem (
        .clk(clk), .we(ovl_finish), .waddr(col), .wdata(score), .raddr(score_addr), .rdata(score_rdata));
    sp_ram #(.WIDTH(BOOST_BITS), .DEPTH(NUM_COLUMNS), .ADDR_BITS(COLUMN_BITS)) boost_mem (
        .clk(clk), .we(busy ? (duty_step && BOOST_UPDATE != 0) : (host_write && host_sel == H_BOOST)), .waddr(col_addr),
        .wdata(busy ? lut_rdata : host_wdata[BOOST_BITS-1:0]), .raddr(col_addr), .rdata(boost_rdata));
    sp_ram #(.WIDTH(DUTY_BITS), .DEPTH(NUM_COLUMNS), .ADDR_BITS(COLUMN_BITS)) overlap_duty_mem (
        .clk(clk), .we(busy ? duty_step : (host_write && host_sel == H_OVERLAP_DUTY)), .waddr(col_addr),
        .wdata(busy ? overlap_duty_next : host_wdata[DUTY_BITS-1:0]), .raddr(col_addr), .rdata(overlap_duty_rdata));
    sp_ram #(.WIDTH(DUTY_BITS), .DEPTH(NUM_COLUMNS), .ADDR_BITS(COLUMN_BITS)) active_duty_mem (
        .clk(clk), .we(busy ? duty_step : (host_write && host_sel == H_ACTIVE_DUTY)), .waddr(col_addr),
        .wdata(busy ? active_duty_next : host_wdata[DUTY_BITS-1:0]), .raddr(col_addr), .rdata(active_duty_rdata));
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
    wire score_eligible = ({32'd0, score} >= STIMULUS_SCORE);
    generate
        for (g = 0; g < SYN_LANES; g = g + 1) begin : update_lane
            sp_perm_update #(.PERM_BITS(PERM_BITS), .CONN_Q(CONN_Q), .INC_Q(INC_Q), .DEC_Q(DEC_Q), .BUMP_Q(BUMP_Q),
                             .TRIM_Q(TRIM_Q)) perm_update (
                .mode(mode), .perm_in(perm_rdata[g*PERM_BITS +: PERM_BITS]), .input_bit(x_bits[g]),
                .perm_out(perm_next[g*PERM_BITS +: PERM_BITS]), .connected(perm_connected[g]));
        end
    endgenerate

    // floor(log2(iteration)), iteration >= 1 during a step; the duty shift saturates at DUTY_SHIFT_MAX.
    reg [SHIFT_BITS-1:0] log2_iteration;
    integer i;
    always @* begin
        log2_iteration = {SHIFT_BITS{1'b0}};
        for (i = 0; i < 64; i = i + 1)
            if (iteration[i]) log2_iteration = i[SHIFT_BITS-1:0];
    end
    wire [SHIFT_BITS-1:0] duty_shift = (log2_iteration > DUTY_SHIFT_MAX) ? DUTY_SHIFT_MAX[SHIFT_BITS-1:0] : log2_iteration;
    sp_duty_update #(.DUTY_BITS(DUTY_BITS), .LUT_BITS(LUT_BITS), .TARGET_Q(TARGET_Q), .SHIFT_BITS(SHIFT_BITS)) duty_update (
        .overlap_duty(overlap_duty_rdata), .active_duty(active_duty_rdata), .overlap_nonzero(overlap_rdata != 0),
        .winner(winners[col]), .shift(duty_shift), .overlap_duty_next(overlap_duty_next),
        .active_duty_next(active_duty_next), .lut_addr(lut_addr));

    wire kwta_win_we, kwta_win_bit, kwta_busy, kwta_done;
    sp_kwta #(.NUM_COLUMNS(NUM_COLUMNS), .COLUMN_BITS(COLUMN_BITS), .SCORE_BITS(SCORE_BITS), .K(K)) kwta (
        .clk(clk), .rst(rst), .start(ovl_finish && col == LAST_COLUMN), .column(kwta_col), .score(score_rdata),
        .eligible(eligible[kwta_col]), .win_we(kwta_win_we), .win_bit(kwta_win_bit), .busy(kwta_busy), .done(kwta_done));

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

    always @(posedge clk) begin
        if (rst) begin
            state <= S_IDLE;
            iteration <= 64'd0;
            period_phase <= 32'd0;
            min_duty <= {DUTY_BITS{1'b0}};
            winners <= {NUM_COLUMNS{1'b0}};
        end else begin
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
                        col <= {COLUMN_BITS{1'b0}};
                        syn <= {SYN_BITS{1'b0}};
                        overlap_count <= {OVERLAP_BITS{1'b0}};
                        state <= S_OVL;
                    end
                end
                S_OVL: begin
                    if (!ovl_finish) begin
                        overlap_count <= overlap_count_next;
                        syn <= syn_next;
                    end else begin
                        eligible[col] <= score_eligible;
                        overlap_count <= {OVERLAP_BITS{1'b0}};
                        if (col == LAST_COLUMN) begin
                            col <= {COLUMN_BITS{1'b0}};
                            state <= S_KWTA;
                        end else begin
                            col <= col + 1'b1;
                        end
                    end
                end
                S_KWTA: begin
                    if (kwta_win_we) winners[kwta_col] <= kwta_win_bit;
                    if (kwta_done) begin
                        max_overlap_duty <= {DUTY_BITS{1'b0}};
                        state <= learn_step ? S_DUTY : S_DONE;
                    end
                end
                S_DUTY: begin
                    weak_mask[col] <= (overlap_duty_next < min_duty);
                    if (overlap_duty_next > max_overlap_duty) max_overlap_duty <= overlap_duty_next;
                    if (col == LAST_COLUMN) begin
                        col <= {COLUMN_BITS{1'b0}};
                        col_base <= {SYN_BITS{1'b0}};
                        state <= S_PCOL;
                    end else begin
                        col <= col + 1'b1;
                    end
                end
                S_PCOL: begin
                    syn <= col_base;
                    conn_count <= {SYN_BITS{1'b0}};
                    if (col_base != col_end && winners[col]) begin
                        mode <= MODE_ADAPT;
                        state <= S_PASS;
                    end else if (col_base != col_end && weak_mask[col]) begin
                        mode <= MODE_WEAK;
                        state <= S_PASS;
                    end else begin
                        col_base <= col_end;
                        if (col == LAST_COLUMN) state <= S_MIN;
                        else col <= col + 1'b1;
                    end
                end
                S_PASS: begin
                    if (!pass_last) begin
                        syn <= syn_next;
                        conn_count <= conn_count_next;
                    end else begin
                        syn <= col_base;
                        conn_count <= {SYN_BITS{1'b0}};
                        if (mode == MODE_ADAPT || mode == MODE_RAISE) begin
                            mode <= (conn_count_next < STIMULUS) ? MODE_RAISE : MODE_TRIM;
                        end else if (mode == MODE_TRIM && weak_mask[col]) begin
                            mode <= MODE_WEAK;
                        end else begin
                            col_base <= col_end;
                            if (col == LAST_COLUMN) begin
                                state <= S_MIN;
                            end else begin
                                col <= col + 1'b1;
                                state <= S_PCOL;
                            end
                        end
                    end
                end
                S_MIN: begin
                    if (period_phase == 32'd0) min_duty <= min_duty_product[DUTY_BITS+15:16];
                    state <= S_DONE;
                end
                default: state <= S_IDLE;  // S_DONE
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

    always @* begin
        case (host_sel)
            H_PERM: host_rdata = {{(64-PERM_BITS){1'b0}}, perm_rdata[PERM_BITS-1:0]};
            H_POOL_INPUT: host_rdata = {{(64-INPUT_BITS){1'b0}}, pool_input_rdata[INPUT_BITS-1:0]};
            H_POOL_OFFSET: host_rdata = {{(64-SYN_BITS){1'b0}}, pool_offset[host_addr[COLUMN_BITS-1:0]]};
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
