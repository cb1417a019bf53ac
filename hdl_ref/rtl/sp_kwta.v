// Global k-winners-take-all threshold search (datapath.md step 4), LANES columns per
// cycle: the scores are read as WORDS words of LANES scores (word w holds columns
// w*LANES .. w*LANES+LANES-1; lanes past the last column are ignored).
//
// 1. Threshold search, MSB first: T = 0; for b = SCORE_BITS-1 .. 0: if at least K
//    eligible columns have s >= (T | 2^b), T |= 2^b.  T is then the K-th largest eligible
//    score (0 when fewer than K columns are eligible).     SCORE_BITS passes of WORDS cycles.
// 2. Count G = #eligible columns with s > T.                1 pass of WORDS cycles.
// Total (SCORE_BITS + 1) * WORDS cycles; done is high in the last. The winners are then
// marked group by group (sp_kwta_mark): s > T wins, s == T wins while fewer than K - G
// ties have won, in ascending column order (lower index wins ties).
// `scores` are those of `word`; `word_next` is the word of the next cycle, the read
// address of a synchronous-read score memory (its data then arrives with `word`).
//
// The search and the count run over all columns, eligible or not; sp_kwta_mark lets only
// eligible columns (s >= STIMULUS_SCORE = theta * 2^B_b) win. That gives the contract's
// winners (the k largest eligible scores) because eligibility is a threshold on the same
// score: with at least k eligible columns every ineligible score is below the k-th
// largest eligible one, so T and G are the same over all columns as over the eligible
// ones; with fewer, the k-th largest score overall is ineligible, so T is below every
// eligible score and every eligible column wins (as the contract says). No comparator
// with the stimulus threshold per lane here.
`default_nettype none
module sp_kwta #(
    parameter NUM_COLUMNS = 8,        // columns C
    parameter SCORE_BITS = 11,        // boosted-score bits S
    parameter K = 2,                  // winners k (<= C)
    parameter LANES = 1,              // columns compared per cycle
    // Derived (do not set): words per pass, word index and column-count widths.
    parameter WORDS = (NUM_COLUMNS + LANES - 1) / LANES,
    parameter WORD_BITS = (WORDS > 1) ? $clog2(WORDS) : 1,
    parameter COUNT_BITS = $clog2(NUM_COLUMNS + 1)
) (
    input  wire                        clk,
    input  wire                        rst,
    input  wire                        start,
    output reg  [WORD_BITS-1:0]        word,       // word whose scores are read this cycle
    output reg  [WORD_BITS-1:0]        word_next,  // `word` of the next cycle
    input  wire [LANES*SCORE_BITS-1:0] scores,
    output reg  [SCORE_BITS-1:0]       threshold,  // T (final after the search passes)
    output reg  [COUNT_BITS-1:0]       greater,    // G (valid once done has been high)
    output wire                        busy,
    output wire                        done        // high in the last cycle
);
    generate
        if (K < 1 || K > NUM_COLUMNS || LANES < 1 || SCORE_BITS < 1) begin : parameter_check
            sp_kwta_error_K_must_be_in_1_to_NUM_COLUMNS_and_LANES_positive error ();
        end
    endgenerate
    localparam [1:0] IDLE = 2'd0, SEARCH = 2'd1, COUNT = 2'd2;
    localparam [WORD_BITS-1:0] LAST = WORDS - 1;
    localparam [COUNT_BITS-1:0] K_COUNT = K;
    localparam BIT_BITS = (SCORE_BITS > 1) ? $clog2(SCORE_BITS) : 1;
    localparam LANE_COUNT_BITS = $clog2(LANES + 1);

    reg [1:0]             state;
    reg [BIT_BITS-1:0]    bit_index;
    reg [COUNT_BITS-1:0]  count;      // columns counted in the current pass, before `word`

    wire [SCORE_BITS-1:0] candidate = threshold | ({{(SCORE_BITS-1){1'b0}}, 1'b1} << bit_index);
    wire [LANES-1:0] hit;
    genvar j;
    generate
        for (j = 0; j < LANES; j = j + 1) begin : lane
            wire [SCORE_BITS-1:0] s = scores[j*SCORE_BITS +: SCORE_BITS];
            wire valid = ({{32{1'b0}}, word} * LANES + j) < NUM_COLUMNS;
            assign hit[j] = valid && ((state == SEARCH) ? (s >= candidate) : (s > threshold));
        end
    endgenerate
    wire [LANE_COUNT_BITS-1:0] word_count;
    sp_popcount #(.N(LANES)) popcount (.bits(hit), .count(word_count));
    wire [COUNT_BITS:0] count_next = count + word_count;

    assign busy = (state != IDLE);
    assign done = (state == COUNT) && (word == LAST);

    always @* begin
        word_next = word;
        if (state == IDLE) begin
            if (start) word_next = {WORD_BITS{1'b0}};
        end else begin
            word_next = (word == LAST) ? {WORD_BITS{1'b0}} : word + 1'b1;
        end
    end

    always @(posedge clk) begin
        if (rst) begin
            state <= IDLE;
            word <= {WORD_BITS{1'b0}};
        end else begin
            word <= word_next;
            case (state)
                IDLE: if (start) begin
                    state <= SEARCH;
                    bit_index <= SCORE_BITS - 1;
                    threshold <= {SCORE_BITS{1'b0}};
                    count <= {COUNT_BITS{1'b0}};
                end
                SEARCH: begin
                    if (word == LAST) begin
                        if (count_next >= K_COUNT) threshold <= candidate;
                        count <= {COUNT_BITS{1'b0}};
                        if (bit_index == 0) state <= COUNT;
                        else bit_index <= bit_index - 1'b1;
                    end else begin
                        count <= count_next[COUNT_BITS-1:0];
                    end
                end
                COUNT: begin
                    if (word == LAST) begin
                        greater <= count_next[COUNT_BITS-1:0];
                        state <= IDLE;
                    end else begin
                        count <= count_next[COUNT_BITS-1:0];
                    end
                end
                default: state <= IDLE;
            endcase
        end
    end
endmodule
`default_nettype wire
