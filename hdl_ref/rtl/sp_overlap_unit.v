// Overlap counter step (datapath.md step 2): one synapse per cycle.
// count_out = SAT_{OVERLAP_BITS}(count_in + (perm >= CONN_Q && input bit)).
`default_nettype none
module sp_overlap_unit #(
    parameter PERM_BITS = 8,
    parameter OVERLAP_BITS = 5,
    parameter CONN_Q = 128
) (
    input  wire [OVERLAP_BITS-1:0] count_in,
    input  wire [PERM_BITS-1:0]    perm,
    input  wire                    input_bit,
    output wire [OVERLAP_BITS-1:0] count_out
);
    localparam [OVERLAP_BITS-1:0] COUNT_MAX = {OVERLAP_BITS{1'b1}};
    wire hit = input_bit && (perm >= CONN_Q);
    assign count_out = (hit && count_in != COUNT_MAX) ? count_in + 1'b1 : count_in;
endmodule
`default_nettype wire
