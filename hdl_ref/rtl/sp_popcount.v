// Population count of N bits as a balanced adder tree (depth ceil(log2 N)), not a chain
// of N incrementers: the kWTA counts hundreds of columns per cycle, the overlap and
// connected-synapse counts one row of SYN_LANES synapses.
// The tree is a heap: leaves at N2 .. 2*N2-1 (N2 = N rounded up to a power of two, the
// missing leaves 0), node i = node 2i + node 2i+1, the count at node 1.
`default_nettype none
module sp_popcount #(
    parameter N = 8,                              // input bits (>= 1)
    parameter COUNT_BITS = $clog2(N + 1)          // derived (do not set): holds 0 .. N
) (
    input  wire [N-1:0]          bits,
    output wire [COUNT_BITS-1:0] count
);
    localparam N2 = (N > 1) ? (1 << $clog2(N)) : 2;
    reg [COUNT_BITS-1:0] node [1:2*N2-1];
    integer i;
    always @* begin
        for (i = 0; i < N2; i = i + 1)
            node[N2 + i] = (i < N) ? {{(COUNT_BITS-1){1'b0}}, bits[i]} : {COUNT_BITS{1'b0}};
        for (i = N2 - 1; i >= 1; i = i - 1)
            node[i] = node[2*i] + node[2*i+1];
    end
    assign count = node[1];
endmodule
`default_nettype wire
