// Overlap counter step (datapath.md step 2), LANES synapses (one row) per cycle:
// count_out = SAT_{OVERLAP_BITS}(count_in + #{lanes j: valid_j && perm_j >= CONN_Q && input_bit_j}).
// Saturating the sum once equals saturating after every synapse.
`default_nettype none
module sp_overlap_unit #(
    parameter PERM_BITS = 8,      // permanence bits P
    parameter OVERLAP_BITS = 5,   // overlap counter bits B_o
    parameter CONN_Q = 128,       // connected threshold
    parameter LANES = 1           // synapses per call (one row)
) (
    input  wire [OVERLAP_BITS-1:0]    count_in,
    input  wire [LANES*PERM_BITS-1:0] perm,
    input  wire [LANES-1:0]           input_bit,
    input  wire [LANES-1:0]           valid,
    output wire [OVERLAP_BITS-1:0]    count_out
);
    localparam ROW_BITS = $clog2(LANES + 1);
    localparam SUM_BITS = (OVERLAP_BITS > ROW_BITS ? OVERLAP_BITS : ROW_BITS) + 1;
    localparam [SUM_BITS-1:0] COUNT_MAX = (1 << OVERLAP_BITS) - 1;
    wire [LANES-1:0] hit;
    genvar j;
    generate
        for (j = 0; j < LANES; j = j + 1) begin : lane
            assign hit[j] = valid[j] && input_bit[j] && (perm[j*PERM_BITS +: PERM_BITS] >= CONN_Q);
        end
    endgenerate
    wire [ROW_BITS-1:0] row_count;
    sp_popcount #(.N(LANES)) popcount (.bits(hit), .count(row_count));
    wire [SUM_BITS-1:0] sum = count_in + row_count;
    assign count_out = (sum > COUNT_MAX) ? COUNT_MAX[OVERLAP_BITS-1:0] : sum[OVERLAP_BITS-1:0];
endmodule
`default_nettype wire
