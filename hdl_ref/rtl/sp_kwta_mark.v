// Winner marking of one group of LANES consecutive columns (datapath.md step 4, global),
// after sp_kwta found the threshold T and G = #columns with s > T (over all columns: see
// sp_kwta for why that gives the contract's winners): an eligible
// column wins when s > T, or when s == T and fewer than K - G ties have won before it in
// ascending column order (ties_in: ties won by the groups before this one). Lanes with
// valid = 0 (past the last column) never win. Combinational.
`default_nettype none
module sp_kwta_mark #(
    parameter LANES = 1,              // columns per group
    parameter SCORE_BITS = 11,        // boosted-score bits S
    parameter K = 2,                  // winners k
    parameter STIMULUS_SCORE = 16,    // eligibility threshold on the score
    parameter COUNT_BITS = 4          // width of G and the tie counts (holds 0 .. C)
) (
    input  wire [LANES*SCORE_BITS-1:0] scores,
    input  wire [LANES-1:0]            valid,
    input  wire [SCORE_BITS-1:0]       threshold,
    input  wire [COUNT_BITS-1:0]       greater,
    input  wire [COUNT_BITS-1:0]       ties_in,
    output reg  [LANES-1:0]            win,
    output reg  [COUNT_BITS-1:0]       ties_out
);
    localparam [COUNT_BITS:0] K_COUNT = K;
    reg [SCORE_BITS-1:0] s;
    reg eligible;
    integer j;
    always @* begin
        ties_out = ties_in;
        for (j = 0; j < LANES; j = j + 1) begin
            s = scores[j*SCORE_BITS +: SCORE_BITS];
            eligible = valid[j] && ({32'd0, s} >= STIMULUS_SCORE);
            win[j] = 1'b0;
            if (eligible && s > threshold) begin
                win[j] = 1'b1;
            end else if (eligible && s == threshold && ({1'b0, ties_out} + greater < K_COUNT)) begin
                win[j] = 1'b1;
                ties_out = ties_out + 1'b1;
            end
        end
    end
endmodule
`default_nettype wire
