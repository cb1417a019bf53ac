// Overlap counter step (datapath.md step 2), LANES synapses per cycle:
// count_out = SAT_{OVERLAP_BITS}(count_in + #{lanes j: valid_j && perm_j >= CONN_Q && input_bit_j}).
// Saturating the sum once equals saturating after every synapse.
`default_nettype none
module sp_overlap_unit #(
    parameter PERM_BITS = 8,
    parameter OVERLAP_BITS = 5,
    parameter CONN_Q = 128,
    parameter LANES = 1
) (
    input  wire [OVERLAP_BITS-1:0]    count_in,
    input  wire [LANES*PERM_BITS-1:0] perm,
    input  wire [LANES-1:0]           input_bit,
    input  wire [LANES-1:0]           valid,
    output wire [OVERLAP_BITS-1:0]    count_out
);
    localparam SUM_BITS = OVERLAP_BITS + 8;  // LANES <= 255
    localparam [SUM_BITS-1:0] COUNT_MAX = (1 << OVERLAP_BITS) - 1;
    reg [SUM_BITS-1:0] sum;
    integer j;
    always @* begin
        sum = {{8{1'b0}}, count_in};
        for (j = 0; j < LANES; j = j + 1)
            if (valid[j] && input_bit[j] && perm[j*PERM_BITS +: PERM_BITS] >= CONN_Q) sum = sum + 1'b1;
    end
    assign count_out = (sum > COUNT_MAX) ? COUNT_MAX[OVERLAP_BITS-1:0] : sum[OVERLAP_BITS-1:0];
endmodule
`default_nettype wire
