// Block-RAM memory: synchronous read, synchronous write of whole words. rdata is the
// word addressed at the previous clock edge (one cycle of read latency, the block RAM's
// read register).
//
// A word holds SLICES slices of WIDTH / SLICES bits (sp_top: one slice per column lane,
// or per synapse slot of a row). The datapath writes whole words (we, waddr, wdata). The
// host writes one slice (hwe, hslice, hdata) as a read-modify-write over two clock edges,
// so the memory keeps one full-word write port that block RAM maps without byte enables:
//   edge 1: hwe = 1 with raddr == waddr (the caller reads the row it writes); the slice,
//           its data and the row are registered, the read register gets the old word;
//   edge 2: the old word with the slice replaced is written.
// So the host may not write (hwe) or the datapath write the memory at edge 2; sp_top's host
// port takes a write at most every other cycle (hdl_ref/README.md, "Host port"). With
// SLICES = 1 the host write takes effect at edge 1.
//
// Read-during-write: `no_rw_check` tells yosys not to add logic that emulates the
// simulator's read-old-data behaviour when the read and the write address are equal at
// one clock edge (a block RAM does not define it across its ports). sp_top never uses
// such a read except where BYPASS = 1 forwards the written word (hdl_ref/README.md,
// "Read-during-write"); ram_style = "block" keeps small memories in block RAM too.
`default_nettype none
module sp_ram #(
    parameter WIDTH = 8,      // bits per word (SLICES slices)
    parameter DEPTH = 16,     // words
    parameter SLICES = 1,     // host-writable slices per word; WIDTH must be a multiple
    parameter BYPASS = 0,     // 1: a read of the word written at the same clock edge returns the new word
    // Derived (do not set): word address, slice width and slice index widths.
    parameter ADDR_BITS = (DEPTH > 1) ? $clog2(DEPTH) : 1,
    parameter SLICE_W = WIDTH / SLICES,
    parameter SLICE_BITS = (SLICES > 1) ? $clog2(SLICES) : 1
) (
    input  wire                   clk,
    input  wire                   we,       // datapath: write the whole word
    input  wire [ADDR_BITS-1:0]   waddr,
    input  wire [WIDTH-1:0]       wdata,
    input  wire                   hwe,      // host: write one slice (read-modify-write)
    input  wire [SLICE_BITS-1:0]  hslice,
    input  wire [SLICE_W-1:0]     hdata,
    input  wire [ADDR_BITS-1:0]   raddr,
    output wire [WIDTH-1:0]       rdata
);
    // Elaboration-time check: a bad instance fails to elaborate with an error that names
    // the missing module (the check) and the instance path.
    generate
        if (WIDTH % SLICES != 0 || SLICES < 1 || DEPTH < 1) begin : parameter_check
            sp_ram_error_WIDTH_must_be_a_multiple_of_SLICES_and_DEPTH_positive error ();
        end
    endgenerate

    (* ram_style = "block", no_rw_check *)
    reg  [WIDTH-1:0]     mem [0:DEPTH-1];
    reg  [WIDTH-1:0]     q;
    reg                  forward;
    reg  [WIDTH-1:0]     forward_data;
    reg                  pend;              // a host slice write completes at this edge
    reg  [ADDR_BITS-1:0] pend_row;
    reg  [SLICE_BITS-1:0] pend_slice;
    reg  [SLICE_W-1:0]   pend_data;

    // The word the host write completes: the read register's word with one slice replaced.
    reg [WIDTH-1:0] merged;
    integer s;
    always @* begin
        merged = rdata;
        for (s = 0; s < SLICES; s = s + 1)
            if (s == pend_slice) merged[s*SLICE_W +: SLICE_W] = pend_data;
    end

    wire direct = (SLICES == 1) && hwe;       // one slice: the host writes the word at once
    wire             write_en = we || direct || pend;
    wire [ADDR_BITS-1:0] write_row = we ? waddr : (direct ? waddr : pend_row);
    wire [WIDTH-1:0] write_data = we ? wdata : (direct ? hdata : merged);

    always @(posedge clk) begin
        if (write_en) mem[write_row] <= write_data;
        q <= mem[raddr];
        forward <= (BYPASS != 0) && write_en && (write_row == raddr);
        forward_data <= write_data;
        pend <= hwe && (SLICES > 1);
        pend_row <= waddr;
        pend_slice <= hslice;
        pend_data <= hdata;
    end
    assign rdata = forward ? forward_data : q;
endmodule
`default_nettype wire
