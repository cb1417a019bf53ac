// One dimension of a column's neighbourhood at inhibition radius r (docs/datapath.md,
// "Inhibition density, neighbourhoods and radius"): the interval of coordinates as a first
// coordinate and a length; the neighbours' coordinates are first, first + 1, ... taken
// modulo SIZE (sp_local adds and wraps them). Combinational.
//   without wrap-around: max(0, x - r) .. min(SIZE - 1, x + r);
//   with wrap-around: min(2r + 1, SIZE) coordinates from (x - r) mod SIZE. When 2r + 1 >= SIZE
//   the interval is the whole dimension, and the neighbourhood is a set (every use of it
//   counts, sums or takes a maximum), so it starts at 0 there: no modulo of r is needed,
//   and below that r < SIZE / 2, so x - r + SIZE is already in range.
`default_nettype none
module sp_local_interval #(
    parameter SIZE = 4,                                   // coordinates in this dimension (padded: 1)
    parameter WRAP = 0,                                   // 1: wrap-around (docs/datapath.md)
    // Derived (do not set): a coordinate and an interval length.
    parameter COORD_BITS = (SIZE > 1) ? $clog2(SIZE) : 1,
    parameter LEN_BITS = $clog2(SIZE + 1)
) (
    input  wire [COORD_BITS-1:0] x,          // the column's coordinate
    input  wire [31:0]           radius,
    output wire [COORD_BITS-1:0] first,
    output wire [LEN_BITS-1:0]   len
);
    // 34 bits: x + r and 2r + 1 cannot overflow for any 32-bit radius.
    wire [33:0] xw = {{(34-COORD_BITS){1'b0}}, x};
    wire [33:0] rw = {2'b00, radius};
    wire [33:0] last = SIZE - 1;
    wire [33:0] lo = (xw > rw) ? xw - rw : 34'd0;
    wire [33:0] hi = (xw + rw > last) ? last : xw + rw;
    wire [33:0] span = 2 * rw + 1;
    wire        whole = span >= SIZE;
    wire [33:0] wrap_first = whole ? 34'd0 : ((xw >= rw) ? xw - rw : xw + SIZE - rw);
    wire [33:0] wrap_len = whole ? SIZE : span;
    wire [33:0] plain_len = hi - lo + 1;
    assign first = (WRAP != 0) ? wrap_first[COORD_BITS-1:0] : lo[COORD_BITS-1:0];
    assign len = (WRAP != 0) ? wrap_len[LEN_BITS-1:0] : plain_len[LEN_BITS-1:0];
endmodule
`default_nettype wire
