// Maximum of N unsigned values as a balanced tree of compare-selects (depth ceil(log2 N)),
// not a chain of N: the duty phase takes the largest overlap duty of a group of column
// lanes in one cycle, and a chain of 16 16-bit compares was the longest path there.
// Heap layout as sp_popcount: leaves at N2 .. 2*N2-1 (missing leaves 0), node i = the
// larger of nodes 2i and 2i+1, the maximum at node 1.
`default_nettype none
module sp_max #(
    parameter N = 8,                              // values (>= 1)
    parameter WIDTH = 16                          // bits per value (>= 1)
) (
    input  wire [N*WIDTH-1:0] values,
    output wire [WIDTH-1:0]   max
);
    localparam N2 = (N > 1) ? (1 << $clog2(N)) : 2;
    reg [WIDTH-1:0] node [1:2*N2-1];
    integer i;
    always @* begin
        for (i = 0; i < N2; i = i + 1)
            node[N2 + i] = (i < N) ? values[i*WIDTH +: WIDTH] : {WIDTH{1'b0}};
        for (i = N2 - 1; i >= 1; i = i - 1)
            node[i] = (node[2*i] > node[2*i+1]) ? node[2*i] : node[2*i+1];
    end
    assign max = node[1];
endmodule
`default_nettype wire
