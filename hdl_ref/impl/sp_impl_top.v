// Implementation shell of sp_top or sp_accel (ACCEL = 1) for place and route (htmhw hdl
// implement): the cores' wide ports (in_vec, the host port, winners) do not fit any
// package's pins, so they go through
// a serial interface of 13 pins. Not part of the verified reference; it adds the input
// shift register (NUM_INPUTS + 100 + RD_BITS flip-flops, fewer after yosys removes the
// unused host_addr bits) and one output multiplexer over {host_rdata, winners}.
//
//   shift = 1: {in_vec, host_sel, host_addr, host_wdata, rd_addr} <= {.., sin} (LSB first)
//   sout  <= {host_rdata, winners}[rd_addr] (registered)
//   start, learn, host_we, busy, done, phase: the core's, unchanged.
`default_nettype none
module sp_impl_top #(
    parameter NUM_INPUTS = 16,
    parameter NUM_COLUMNS = 8,
    parameter NUM_SYNAPSES = 64,   // sp_top's parameters, passed through (hdl_ref/rtl/sp_top.v)
    parameter PERM_BITS = 8,
    parameter OVERLAP_BITS = 4,
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
    parameter BOOST_UPDATE = 1,
    parameter BOOST_IN_INFERENCE = 0,
    parameter POOL_MAX = 8,
    parameter COLUMN_LANES = 1,
    parameter SYN_LANES = 1,
    parameter KWTA_LANES = 1,
    parameter ACCEL = 0,           // 1: sp_accel (hdl_ref/rtl/sp_accel.v) instead of sp_top; its parameters:
    parameter IN_DIM0 = 16,
    parameter IN_DIM1 = 1,
    parameter IN_DIM2 = 1,
    parameter COL_DIM0 = 8,
    parameter COL_DIM1 = 1,
    parameter COL_DIM2 = 1,
    parameter POTENTIAL_RADIUS = 16,
    parameter WRAP_AROUND = 1,
    parameter PERM_LANES = 1
) (
    input  wire       clk,
    input  wire       rst,
    input  wire       sin,
    input  wire       shift,
    output reg        sout,
    input  wire       start,
    input  wire       learn,
    input  wire       host_we,
    output wire       busy,
    output wire       done,
    output wire [2:0] phase
);
    localparam OUT_BITS = NUM_COLUMNS + 64;
    localparam RD_BITS = $clog2(OUT_BITS);
    localparam CHAIN = NUM_INPUTS + 4 + 32 + 64 + RD_BITS;

    reg [CHAIN-1:0] chain;
    always @(posedge clk) if (shift) chain <= {chain[CHAIN-2:0], sin};
    wire [NUM_INPUTS-1:0] in_vec     = chain[CHAIN-1 -: NUM_INPUTS];
    wire [3:0]            host_sel   = chain[RD_BITS + 64 + 32 +: 4];
    wire [31:0]           host_addr  = chain[RD_BITS + 64 +: 32];
    wire [63:0]           host_wdata = chain[RD_BITS +: 64];
    wire [RD_BITS-1:0]    rd_addr    = chain[0 +: RD_BITS];

    wire [NUM_COLUMNS-1:0] winners;
    wire [63:0]            host_rdata;
    wire [OUT_BITS-1:0]    out_bits = {host_rdata, winners};
    always @(posedge clk) sout <= (rd_addr < OUT_BITS) ? out_bits[rd_addr] : 1'b0;

    generate
        if (ACCEL != 0) begin : accel
            sp_accel #(
                .NUM_INPUTS(NUM_INPUTS), .NUM_COLUMNS(NUM_COLUMNS), .NUM_SYNAPSES(NUM_SYNAPSES), .PERM_BITS(PERM_BITS),
                .OVERLAP_BITS(OVERLAP_BITS), .BOOST_INT_BITS(BOOST_INT_BITS), .BOOST_FRAC_BITS(BOOST_FRAC_BITS),
                .BOOSTED_FRAC_BITS(BOOSTED_FRAC_BITS), .DUTY_BITS(DUTY_BITS), .LUT_BITS(LUT_BITS), .CONN_Q(CONN_Q),
                .INC_Q(INC_Q), .DEC_Q(DEC_Q), .BUMP_Q(BUMP_Q), .TRIM_Q(TRIM_Q), .STIMULUS(STIMULUS), .K(K),
                .TARGET_Q(TARGET_Q), .MIN_PCT_Q(MIN_PCT_Q), .DUTY_SHIFT_MAX(DUTY_SHIFT_MAX),
                .UPDATE_PERIOD(UPDATE_PERIOD), .BOOST_UPDATE(BOOST_UPDATE), .BOOST_IN_INFERENCE(BOOST_IN_INFERENCE),
                .POOL_MAX(POOL_MAX), .IN_DIM0(IN_DIM0), .IN_DIM1(IN_DIM1), .IN_DIM2(IN_DIM2), .COL_DIM0(COL_DIM0),
                .COL_DIM1(COL_DIM1), .COL_DIM2(COL_DIM2), .POTENTIAL_RADIUS(POTENTIAL_RADIUS),
                .WRAP_AROUND(WRAP_AROUND), .COLUMN_LANES(COLUMN_LANES), .PERM_LANES(PERM_LANES)
            ) core (
                .clk(clk), .rst(rst), .start(start), .learn(learn), .in_vec(in_vec), .busy(busy), .done(done),
                .phase(phase), .winners(winners), .host_we(host_we), .host_sel(host_sel), .host_addr(host_addr),
                .host_wdata(host_wdata), .host_rdata(host_rdata)
            );
        end else begin : small
            sp_top #(
                .NUM_INPUTS(NUM_INPUTS), .NUM_COLUMNS(NUM_COLUMNS), .NUM_SYNAPSES(NUM_SYNAPSES), .PERM_BITS(PERM_BITS),
                .OVERLAP_BITS(OVERLAP_BITS), .BOOST_INT_BITS(BOOST_INT_BITS), .BOOST_FRAC_BITS(BOOST_FRAC_BITS),
                .BOOSTED_FRAC_BITS(BOOSTED_FRAC_BITS), .DUTY_BITS(DUTY_BITS), .LUT_BITS(LUT_BITS), .CONN_Q(CONN_Q),
                .INC_Q(INC_Q), .DEC_Q(DEC_Q), .BUMP_Q(BUMP_Q), .TRIM_Q(TRIM_Q), .STIMULUS(STIMULUS), .K(K),
                .TARGET_Q(TARGET_Q), .MIN_PCT_Q(MIN_PCT_Q), .DUTY_SHIFT_MAX(DUTY_SHIFT_MAX), .UPDATE_PERIOD(UPDATE_PERIOD),
                .BOOST_UPDATE(BOOST_UPDATE), .BOOST_IN_INFERENCE(BOOST_IN_INFERENCE), .POOL_MAX(POOL_MAX),
                .COLUMN_LANES(COLUMN_LANES), .SYN_LANES(SYN_LANES), .KWTA_LANES(KWTA_LANES)
            ) core (
                .clk(clk), .rst(rst), .start(start), .learn(learn), .in_vec(in_vec), .busy(busy), .done(done),
                .phase(phase), .winners(winners), .host_we(host_we), .host_sel(host_sel), .host_addr(host_addr),
                .host_wdata(host_wdata), .host_rdata(host_rdata)
            );
        end
    endgenerate
endmodule
`default_nettype wire
