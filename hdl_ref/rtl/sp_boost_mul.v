// Boosted overlap (datapath.md step 3): s = (o * b + r) >> (B_f - B_b), RND (round half
// up, r = 2^(B_f-B_b-1)) or exact when B_f == B_b; s = o << B_b when boosting is off.
// The product plus r fits OVERLAP_BITS + BOOST_INT_BITS + BOOST_FRAC_BITS bits (proved in
// datapath.md), so no overflow mode is needed.
`default_nettype none
module sp_boost_mul #(
    parameter OVERLAP_BITS = 5,
    parameter BOOST_INT_BITS = 3,
    parameter BOOST_FRAC_BITS = 8,
    parameter BOOSTED_FRAC_BITS = 4
) (
    input  wire [OVERLAP_BITS-1:0]                                   overlap,
    input  wire [BOOST_INT_BITS+BOOST_FRAC_BITS-1:0]                 boost,
    input  wire                                                      boost_on,
    output wire [OVERLAP_BITS+BOOST_INT_BITS+BOOSTED_FRAC_BITS-1:0] boosted
);
    localparam PROD_BITS = OVERLAP_BITS + BOOST_INT_BITS + BOOST_FRAC_BITS;
    localparam SCORE_BITS = OVERLAP_BITS + BOOST_INT_BITS + BOOSTED_FRAC_BITS;
    localparam SHIFT = BOOST_FRAC_BITS - BOOSTED_FRAC_BITS;
    localparam [PROD_BITS-1:0] ROUND = (2 ** SHIFT) / 2;  // 0 when SHIFT == 0
    wire [PROD_BITS-1:0] product = overlap * boost;
    wire [PROD_BITS-1:0] rounded = product + ROUND;
    wire [PROD_BITS-1:0] shifted = rounded >> SHIFT;
    wire [SCORE_BITS-1:0] overlap_wide = overlap;
    wire [SCORE_BITS-1:0] unboosted = overlap_wide << BOOSTED_FRAC_BITS;
    assign boosted = boost_on ? shifted[SCORE_BITS-1:0] : unboosted;
endmodule
`default_nettype wire
