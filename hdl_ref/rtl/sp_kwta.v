// Global k-winners-take-all (datapath.md step 4), one column per cycle.
//
// 1. Threshold search, MSB first: T = 0; for b = SCORE_BITS-1 .. 0: if at least K
//    eligible columns have s >= (T | 2^b), T |= 2^b.  T is then the K-th largest eligible
//    score (0 when fewer than K columns are eligible).        SCORE_BITS passes of C cycles.
// 2. Count G = #eligible columns with s > T.                   1 pass of C cycles.
// 3. Mark, in ascending column order: eligible and s > T wins; eligible and s == T wins
//    while fewer than K - G such ties have won (lower index wins ties). 1 pass of C cycles.
// Total: (SCORE_BITS + 2) * C cycles; done is high in the last of them.
// `score` and `eligible` are those of `column`; `column_next` is the column of the next
// cycle, the read address of a synchronous-read score memory (its data then arrives with
// `column`, so the passes need no extra cycles).
`default_nettype none
module sp_kwta #(
    parameter NUM_COLUMNS = 8,
    parameter COLUMN_BITS = 4,  // holds 0 .. NUM_COLUMNS
    parameter SCORE_BITS = 11,
    parameter K = 2
) (
    input  wire                   clk,
    input  wire                   rst,
    input  wire                   start,
    output reg  [COLUMN_BITS-1:0] column,    // column whose score is read this cycle
    output reg  [COLUMN_BITS-1:0] column_next,  // `column` of the next cycle
    input  wire [SCORE_BITS-1:0]  score,
    input  wire                   eligible,
    output wire                   win_we,    // write win_bit for `column` at the clock edge
    output wire                   win_bit,
    output wire                   busy,
    output wire                   done       // high in the last cycle (last column of MARK)
);
    localparam [1:0] IDLE = 2'd0, SEARCH = 2'd1, COUNT = 2'd2, MARK = 2'd3;
    localparam [COLUMN_BITS-1:0] LAST = NUM_COLUMNS - 1;
    localparam [COLUMN_BITS-1:0] K_COUNT = K;
    localparam BIT_BITS = (SCORE_BITS > 1) ? $clog2(SCORE_BITS) : 1;

    reg [1:0]             state;
    reg [BIT_BITS-1:0]    bit_index;
    reg [SCORE_BITS-1:0]  threshold;
    reg [COLUMN_BITS-1:0] count;      // columns counted in the current pass
    reg [COLUMN_BITS-1:0] greater;    // G
    reg [COLUMN_BITS-1:0] ties_won;

    wire [SCORE_BITS-1:0] candidate = threshold | ({{(SCORE_BITS-1){1'b0}}, 1'b1} << bit_index);
    wire at_least = eligible && (score >= candidate);
    wire above = eligible && (score > threshold);
    wire tie = eligible && (score == threshold);
    wire [COLUMN_BITS-1:0] count_next = count + ((state == SEARCH) ? at_least : above);

    assign busy = (state != IDLE);
    assign done = (state == MARK) && (column == LAST);
    assign win_we = (state == MARK);
    assign win_bit = above || (tie && (ties_won < K_COUNT - greater));

    // Column order: ascending within each pass; every pass starts at column 0.
    always @* begin
        column_next = column;
        case (state)
            IDLE: if (start) column_next = {COLUMN_BITS{1'b0}};
            SEARCH: column_next = (column == LAST) ? {COLUMN_BITS{1'b0}} : column + 1'b1;
            COUNT: column_next = (column == LAST) ? {COLUMN_BITS{1'b0}} : column + 1'b1;  // MARK starts at 0
            default: if (column != LAST) column_next = column + 1'b1;                    // MARK
        endcase
    end

    always @(posedge clk) begin
        if (rst) begin
            state <= IDLE;
            column <= {COLUMN_BITS{1'b0}};
        end else begin
            column <= column_next;
            case (state)
                IDLE: if (start) begin
                    state <= SEARCH;
                    bit_index <= SCORE_BITS - 1;
                    threshold <= {SCORE_BITS{1'b0}};
                    count <= {COLUMN_BITS{1'b0}};
                end
                SEARCH: begin
                    if (column == LAST) begin
                        if (count_next >= K_COUNT) threshold <= candidate;
                        count <= {COLUMN_BITS{1'b0}};
                        if (bit_index == 0) state <= COUNT;
                        else bit_index <= bit_index - 1'b1;
                    end else begin
                        count <= count_next;
                    end
                end
                COUNT: begin
                    if (column == LAST) begin
                        greater <= count_next;
                        ties_won <= {COLUMN_BITS{1'b0}};
                        state <= MARK;
                    end else begin
                        count <= count_next;
                    end
                end
                MARK: begin
                    if (tie && !above && win_bit) ties_won <= ties_won + 1'b1;
                    if (column == LAST) state <= IDLE;
                end
                default: state <= IDLE;
            endcase
        end
    end
endmodule
`default_nettype wire
