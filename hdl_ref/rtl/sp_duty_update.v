// Duty-cycle and boost-address update of one column (datapath.md steps 6 and 8):
//   v' = v + ((o > 0 ? S : 0) - v) >>> shift,  a' = a + ((winner ? S : 0) - a) >>> shift
// with S = 2^DUTY_BITS - 1, the difference a signed (DUTY_BITS+1)-bit number and >>> an
// arithmetic shift (TRN). lut_addr = min(2^LUT_BITS - 1, (a' - TARGET_Q + 2^DUTY_BITS + R) >> SH)
// with SH = DUTY_BITS + 1 - LUT_BITS and R = 2^(SH-1) (0 when SH = 0): the address rounded to
// nearest (RND), saturated (SAT) at the last entry; a' == TARGET_Q addresses entry 2^(LUT_BITS-1).
`default_nettype none
module sp_duty_update #(
    parameter DUTY_BITS = 16,
    parameter LUT_BITS = 10,
    parameter TARGET_Q = 0,
    parameter SHIFT_BITS = 6
) (
    input  wire [DUTY_BITS-1:0]  overlap_duty,
    input  wire [DUTY_BITS-1:0]  active_duty,
    input  wire                  overlap_nonzero,
    input  wire                  winner,
    input  wire [SHIFT_BITS-1:0] shift,
    output wire [DUTY_BITS-1:0]  overlap_duty_next,
    output wire [DUTY_BITS-1:0]  active_duty_next,
    output wire [LUT_BITS-1:0]   lut_addr
);
    localparam [DUTY_BITS+1:0] ONE = (1 << DUTY_BITS) - 1;
    localparam [DUTY_BITS+1:0] TARGET = TARGET_Q;
    wire signed [DUTY_BITS+1:0] v = {2'b00, overlap_duty};
    wire signed [DUTY_BITS+1:0] a = {2'b00, active_duty};
    wire signed [DUTY_BITS+1:0] v_goal = overlap_nonzero ? ONE : {(DUTY_BITS+2){1'b0}};
    wire signed [DUTY_BITS+1:0] a_goal = winner ? ONE : {(DUTY_BITS+2){1'b0}};
    wire signed [DUTY_BITS+1:0] v_step = (v_goal - v) >>> shift;
    wire signed [DUTY_BITS+1:0] a_step = (a_goal - a) >>> shift;
    wire [DUTY_BITS+1:0] v_next = v + v_step;
    wire [DUTY_BITS+1:0] a_next = a + a_step;
    assign overlap_duty_next = v_next[DUTY_BITS-1:0];
    assign active_duty_next = a_next[DUTY_BITS-1:0];
    localparam SH = DUTY_BITS + 1 - LUT_BITS;
    localparam [DUTY_BITS+1:0] HALF = (1 << DUTY_BITS) + (SH > 0 ? (1 << SH) >> 1 : 0);
    wire [DUTY_BITS+1:0] biased = a_next + HALF - TARGET;  // in [1, 2^(DUTY_BITS+1) + R)
    // Bit DUTY_BITS+1 set: past the last entry.
    assign lut_addr = biased[DUTY_BITS+1] ? {LUT_BITS{1'b1}} : biased[DUTY_BITS:SH];
endmodule
`default_nettype wire
