// Single-clock memory with one asynchronous read port and one synchronous write port.
// Asynchronous read keeps the datapath one synapse per cycle without pipeline
// bookkeeping; synthesis maps it to distributed RAM (LUTRAM) or flip-flops.
`default_nettype none
module sp_ram #(
    parameter WIDTH = 8,
    parameter DEPTH = 16,
    parameter ADDR_BITS = 4
) (
    input  wire                 clk,
    input  wire                 we,
    input  wire [ADDR_BITS-1:0] waddr,
    input  wire [WIDTH-1:0]     wdata,
    input  wire [ADDR_BITS-1:0] raddr,
    output wire [WIDTH-1:0]     rdata
);
    reg [WIDTH-1:0] mem [0:DEPTH-1];
    assign rdata = mem[raddr];
    always @(posedge clk) begin
        if (we) mem[waddr] <= wdata;
    end
endmodule
`default_nettype wire
