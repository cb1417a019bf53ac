// Index of the lowest set bit of N bits (found = 0 when none is set), as a balanced tree
// (depth ceil(log2 N)) instead of a chain of N multiplexers: the permanence phase picks
// the next active column group among hundreds. Heap layout as sp_popcount: leaves at
// N2 .. 2*N2-1, node i = its left child if that has a set bit, else its right child.
`default_nettype none
module sp_first_set #(
    parameter N = 8,                                  // input bits (>= 1)
    parameter INDEX_BITS = (N > 1) ? $clog2(N) : 1    // derived (do not set)
) (
    input  wire [N-1:0]          bits,
    output wire                  found,
    output wire [INDEX_BITS-1:0] index
);
    localparam N2 = (N > 1) ? (1 << $clog2(N)) : 2;
    reg                  any [1:2*N2-1];
    reg [INDEX_BITS-1:0] idx [1:2*N2-1];
    integer i;
    always @* begin
        for (i = 0; i < N2; i = i + 1) begin
            any[N2 + i] = (i < N) ? bits[i] : 1'b0;
            idx[N2 + i] = i[INDEX_BITS-1:0];
        end
        for (i = N2 - 1; i >= 1; i = i - 1) begin
            any[i] = any[2*i] || any[2*i+1];
            idx[i] = any[2*i] ? idx[2*i] : idx[2*i+1];
        end
    end
    assign found = any[1];
    assign index = idx[1];
endmodule
`default_nettype wire
