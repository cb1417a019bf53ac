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
    // A tie's place among the ties is the count of tied lanes before it (a prefix
    // popcount per lane, not a running counter carried from lane to lane: at 16 lanes
    // that chain of adders and compares was the design's longest path). Ties win in
    // ascending order while ties_in + (ties before) + G < K; once one tie loses, every
    // later one does, so counting all earlier ties, won or not, gives the same winners.
    localparam LANE_BITS = $clog2(LANES + 1);
    localparam [COUNT_BITS+1:0] K_WIDE = K;
    wire [LANES-1:0] above, tie;
    wire [LANES-1:0] tie_win;
    genvar j;
    generate
        for (j = 0; j < LANES; j = j + 1) begin : lane
            wire [SCORE_BITS-1:0] s = scores[j*SCORE_BITS +: SCORE_BITS];
            wire eligible = valid[j] && ({32'd0, s} >= STIMULUS_SCORE);
            assign above[j] = eligible && (s > threshold);
            assign tie[j] = eligible && (s == threshold);
            wire [LANE_BITS-1:0] ties_ahead;
            if (j == 0) begin : first
                assign ties_ahead = {LANE_BITS{1'b0}};
            end else begin : later
                wire [$clog2(j + 1)-1:0] count;
                sp_popcount #(.N(j)) ties_before (.bits(tie[j-1:0]), .count(count));
                assign ties_ahead = count;
            end
            assign tie_win[j] = tie[j] && ({2'b00, ties_in} + {2'b00, greater} + ties_ahead < K_WIDE);
        end
    endgenerate
    wire [LANE_BITS-1:0] tie_wins;
    sp_popcount #(.N(LANES)) won (.bits(tie_win), .count(tie_wins));
    always @* begin
        win = above | tie_win;
        ties_out = ties_in + tie_wins;
    end
endmodule
`default_nettype wire
