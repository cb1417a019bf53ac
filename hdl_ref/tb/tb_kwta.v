// Testbench wrapper of the global kWTA (sp_kwta) and its winner marking (sp_kwta_mark)
// for tb/cocotb_kwta.py. The test drives every score at once on `all_scores`; here each
// sp_kwta reads them the way sp_top's score memory serves them: a synchronous read
// addressed by `word_next`, so a word's scores arrive with `word`. After the search, a
// chain of sp_kwta_mark instances marks the winners of every group in ascending group
// order, each group's ties_in being the ties won before it (sp_top marks one group per
// cycle and carries the count in a register; the chain gives the same count without
// the FSM, so only the two modules under test decide the winners).
//
// Three units run on the same scores, with K, 1 and NUM_COLUMNS winners, so every
// stimulus checks the contract's k = 1 and k = C corners as well (K is a parameter of
// the modules and could otherwise only change between builds).
//
// `all_scores` holds SLOTS scores: the columns, then padding lanes up to whole kWTA
// words and whole marking groups. The test fills the padding with arbitrary scores:
// the modules must ignore lanes past the last column.
`timescale 1ns / 1ps
`default_nettype none
module tb_kwta #(
    parameter NUM_COLUMNS = 13,
    parameter SCORE_BITS = 6,
    parameter K = 3,
    parameter LANES = 1,              // sp_kwta: scores compared per cycle
    parameter MARK_LANES = 1,         // sp_kwta_mark: columns per marking group
    parameter STIMULUS_SCORE = 16,    // theta * 2^B_b
    // Derived (do not set).
    parameter WORDS = (NUM_COLUMNS + LANES - 1) / LANES,
    parameter GROUPS = (NUM_COLUMNS + MARK_LANES - 1) / MARK_LANES,
    parameter SLOTS = (WORDS * LANES > GROUPS * MARK_LANES) ? WORDS * LANES : GROUPS * MARK_LANES,
    parameter COUNT_BITS = $clog2(NUM_COLUMNS + 1)
) (
    input  wire                          clk,
    input  wire                          rst,
    input  wire                          start,
    input  wire [SLOTS*SCORE_BITS-1:0]   all_scores,
    output wire [3*NUM_COLUMNS-1:0]      winners,    // unit u: bits u*C .. u*C+C-1
    output wire [3*SCORE_BITS-1:0]       threshold,
    output wire [3*COUNT_BITS-1:0]       greater,
    output wire [2:0]                    busy,
    output wire [2:0]                    done
);
    localparam WORD_BITS = (WORDS > 1) ? $clog2(WORDS) : 1;
    localparam WORD_SCORES = LANES * SCORE_BITS;
    localparam GROUP_SCORES = MARK_LANES * SCORE_BITS;

    genvar u, g, j;
    generate
        for (u = 0; u < 3; u = u + 1) begin : unit
            localparam UNIT_K = (u == 0) ? K : (u == 1) ? 1 : NUM_COLUMNS;
            wire [WORD_BITS-1:0] word, word_next;
            reg  [WORD_SCORES-1:0] word_scores;
            wire [SCORE_BITS-1:0] t;
            wire [COUNT_BITS-1:0] gt;
            // Synchronous read of the word addressed in the previous cycle.
            always @(posedge clk) word_scores <= all_scores[word_next * WORD_SCORES +: WORD_SCORES];

            sp_kwta #(.NUM_COLUMNS(NUM_COLUMNS), .SCORE_BITS(SCORE_BITS), .K(UNIT_K), .LANES(LANES)) kwta (
                .clk(clk), .rst(rst), .start(start), .word(word), .word_next(word_next), .scores(word_scores),
                .threshold(t), .greater(gt), .busy(busy[u]), .done(done[u]));
            assign threshold[u*SCORE_BITS +: SCORE_BITS] = t;
            assign greater[u*COUNT_BITS +: COUNT_BITS] = gt;

            wire [COUNT_BITS-1:0] ties [0:GROUPS];
            wire [GROUPS*MARK_LANES-1:0] win;
            assign ties[0] = {COUNT_BITS{1'b0}};
            for (g = 0; g < GROUPS; g = g + 1) begin : group
                wire [MARK_LANES-1:0] valid;
                for (j = 0; j < MARK_LANES; j = j + 1) begin : lane
                    assign valid[j] = (g * MARK_LANES + j) < NUM_COLUMNS;
                end
                sp_kwta_mark #(.LANES(MARK_LANES), .SCORE_BITS(SCORE_BITS), .K(UNIT_K),
                               .STIMULUS_SCORE(STIMULUS_SCORE), .COUNT_BITS(COUNT_BITS)) mark (
                    .scores(all_scores[g*GROUP_SCORES +: GROUP_SCORES]), .valid(valid), .threshold(t),
                    .greater(gt), .ties_in(ties[g]), .win(win[g*MARK_LANES +: MARK_LANES]),
                    .ties_out(ties[g+1]));
            end
            assign winners[u*NUM_COLUMNS +: NUM_COLUMNS] = win[NUM_COLUMNS-1:0];
        end
    endgenerate
endmodule
`default_nettype wire
