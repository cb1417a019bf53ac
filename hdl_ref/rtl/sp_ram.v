// Memory with LANES consecutive-word ports: asynchronous read of words raddr ..
// raddr+LANES-1 (words past the end read as 0), synchronous write of the lanes whose
// we bit is set. LANES = 1 is a plain single-port memory. Asynchronous read keeps the
// datapath free of read-pipeline bookkeeping; synthesis maps it to distributed RAM
// (LUTRAM) where the target has it, flip-flops otherwise.
`default_nettype none
module sp_ram #(
    parameter WIDTH = 8,
    parameter DEPTH = 16,
    parameter ADDR_BITS = 4,
    parameter LANES = 1
) (
    input  wire                   clk,
    input  wire [LANES-1:0]       we,
    input  wire [ADDR_BITS-1:0]   waddr,
    input  wire [LANES*WIDTH-1:0] wdata,
    input  wire [ADDR_BITS-1:0]   raddr,
    output wire [LANES*WIDTH-1:0] rdata
);
    reg [WIDTH-1:0] mem [0:DEPTH-1];
    genvar g;
    generate
        for (g = 0; g < LANES; g = g + 1) begin : read_lane
            wire [ADDR_BITS:0] address = {1'b0, raddr} + g;
            assign rdata[g*WIDTH +: WIDTH] = (address < DEPTH) ? mem[address] : {WIDTH{1'b0}};
        end
    endgenerate
    integer j;
    always @(posedge clk) begin
        for (j = 0; j < LANES; j = j + 1)
            if (we[j]) mem[waddr + j] <= wdata[j*WIDTH +: WIDTH];
    end
endmodule
`default_nettype wire
