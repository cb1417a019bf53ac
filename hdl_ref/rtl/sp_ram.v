// Block-RAM memory: synchronous read, synchronous write, LANES consecutive words per
// access. rdata holds words raddr .. raddr+LANES-1 as addressed at the previous clock
// edge (one cycle of read latency, the read register of the block RAM); lanes whose
// word is past the end read an undefined value (every caller masks them). Lane j of a
// write stores wdata lane j at word waddr+j when we[j] is set.
//
// Why banks: a block RAM has one read and one write port (iCE40 SB_RAM40_4K; ECP5's
// DP16KD has two ports, used here as one read and one write port), so LANES words at
// an unaligned address come from LANES banks, word w in bank w % LANES at row
// w / LANES; each bank is read at one row and written at one row per cycle, and the
// read lanes are rotated back into address order. LANES = 1 is one bank.
//
// Read-during-write: `no_rw_check` tells yosys not to add logic that emulates the
// simulator's read-old-data behaviour when the read and the write address of a bank
// are equal at one clock edge (a block RAM does not define it across its ports).
// sp_top never uses such a read except where BYPASS = 1 forwards the written word
// (hdl_ref/README.md, "Read-during-write"); ram_style = "block" keeps small memories
// in block RAM too.
`default_nettype none
module sp_ram #(
    parameter WIDTH = 8,      // bits per word
    parameter DEPTH = 16,     // words
    parameter ADDR_BITS = 4,  // address width; holds DEPTH - 1
    parameter LANES = 1,      // consecutive words per access (banks)
    parameter BYPASS = 0      // 1: a read of a word written at the same clock edge returns the new word
) (
    input  wire                   clk,
    input  wire [LANES-1:0]       we,
    input  wire [ADDR_BITS-1:0]   waddr,
    input  wire [LANES*WIDTH-1:0] wdata,
    input  wire [ADDR_BITS-1:0]   raddr,
    output wire [LANES*WIDTH-1:0] rdata
);
    localparam BANK_DEPTH = (DEPTH + LANES - 1) / LANES;
    localparam LANE_BITS = (LANES > 1) ? $clog2(LANES) : 1;

    wire [ADDR_BITS-1:0] read_row = raddr / LANES;
    wire [LANE_BITS-1:0] read_lane = raddr % LANES;     // bank of word raddr
    wire [ADDR_BITS-1:0] write_row = waddr / LANES;
    wire [LANE_BITS-1:0] write_lane = waddr % LANES;    // bank of word waddr
    reg  [LANE_BITS-1:0] read_lane_q;                   // read_lane of the data in the read registers
    always @(posedge clk) read_lane_q <= read_lane;

    wire [LANES*WIDTH-1:0] bank_rdata;                  // bank b's word, in bank order
    genvar b, j;
    generate
        for (b = 0; b < LANES; b = b + 1) begin : bank
            // Words raddr .. raddr+LANES-1 in bank b: row read_row, or the next row for
            // banks below read_lane (the words that wrap past the end of read_row).
            wire [ADDR_BITS-1:0] row_r = read_row + (b < read_lane);
            wire [ADDR_BITS-1:0] row_w = write_row + (b < write_lane);
            wire [LANE_BITS-1:0] lane_w = (b >= write_lane) ? b - write_lane : b + LANES - write_lane;
            wire                 bank_we = we[lane_w];
            wire [WIDTH-1:0]     bank_wdata = wdata[lane_w*WIDTH +: WIDTH];
            (* ram_style = "block", no_rw_check *)
            reg  [WIDTH-1:0] mem [0:BANK_DEPTH-1];
            reg  [WIDTH-1:0] q;
            reg              forward;
            reg  [WIDTH-1:0] forward_data;
            always @(posedge clk) begin
                if (bank_we) mem[row_w] <= bank_wdata;
                q <= mem[row_r];
                forward <= (BYPASS != 0) && bank_we && (row_w == row_r);
                forward_data <= bank_wdata;
            end
            assign bank_rdata[b*WIDTH +: WIDTH] = forward ? forward_data : q;
        end
        for (j = 0; j < LANES; j = j + 1) begin : lane
            // Lane j is word raddr + j, in bank (read_lane + j) % LANES.
            wire [LANE_BITS:0] sum = read_lane_q + j;
            wire [LANE_BITS-1:0] source = (sum >= LANES) ? sum - LANES : sum;
            assign rdata[j*WIDTH +: WIDTH] = bank_rdata[source*WIDTH +: WIDTH];
        end
    endgenerate
endmodule
`default_nettype wire
