// Permanence arithmetic of one synapse (datapath.md steps 5 and 7), all SAT to [0, PERM_MAX]:
//   MODE_ADAPT: x ? min(p + INC_Q, M) : max(p - DEC_Q, 0)
//   MODE_RAISE: min(p + BUMP_Q, M)                       (raise to the stimulus threshold)
//   MODE_TRIM:  p < TRIM_Q ? 0 : p
//   MODE_WEAK:  t = min(p + BUMP_Q, M); t < TRIM_Q ? 0 : t (weak-column bump, then trim)
// connected = perm_out >= CONN_Q.
`default_nettype none
module sp_perm_update #(
    parameter PERM_BITS = 8,
    parameter CONN_Q = 128,
    parameter INC_Q = 36,
    parameter DEC_Q = 1,
    parameter BUMP_Q = 13,
    parameter TRIM_Q = 18
) (
    input  wire [1:0]           mode,
    input  wire [PERM_BITS-1:0] perm_in,
    input  wire                 input_bit,
    output wire [PERM_BITS-1:0] perm_out,
    output wire                 connected
);
    localparam [1:0] MODE_ADAPT = 2'd0, MODE_RAISE = 2'd1, MODE_TRIM = 2'd2, MODE_WEAK = 2'd3;
    localparam [PERM_BITS:0] PERM_MAX = (1 << PERM_BITS) - 1;
    // One extra bit so the sum cannot wrap before the clamp.
    wire [PERM_BITS:0] p = {1'b0, perm_in};
    wire [PERM_BITS:0] plus_inc = p + INC_Q;
    wire [PERM_BITS:0] plus_bump = p + BUMP_Q;
    wire [PERM_BITS:0] inc_sat = (plus_inc > PERM_MAX) ? PERM_MAX : plus_inc;
    wire [PERM_BITS:0] bump_sat = (plus_bump > PERM_MAX) ? PERM_MAX : plus_bump;
    wire [PERM_BITS:0] dec_sat = (p < DEC_Q) ? {(PERM_BITS+1){1'b0}} : p - DEC_Q;
    wire [PERM_BITS:0] trimmed = (p < TRIM_Q) ? {(PERM_BITS+1){1'b0}} : p;
    wire [PERM_BITS:0] weak_result = (bump_sat < TRIM_Q) ? {(PERM_BITS+1){1'b0}} : bump_sat;
    reg  [PERM_BITS:0] result;
    always @* begin
        case (mode)
            MODE_ADAPT: result = input_bit ? inc_sat : dec_sat;
            MODE_RAISE: result = bump_sat;
            MODE_TRIM:  result = trimmed;
            default:    result = weak_result;
        endcase
    end
    assign perm_out = result[PERM_BITS-1:0];
    assign connected = (result >= CONN_Q);
endmodule
`default_nettype wire
