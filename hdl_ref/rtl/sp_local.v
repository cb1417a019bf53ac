// Local inhibition (docs/datapath.md steps 4, 8 and 9 under local inhibition): serial passes
// over the columns in index order, each column a head cycle (its own word) and one cycle per
// neighbour j in N(c) (the neighbours' words), the neighbourhood taken at the host-written
// inhibition radius. One pass per call (run high for its cycles), MODE selects it:
//   kWTA:   c wins when it is eligible (s_c >= STIMULUS_SCORE) and
//           #{j: s_j > s_c} + #{j: s_j == s_c, j already won} < quota_c; the winner bit is
//           written in the column's last cycle, so later columns see it (index order);
//   boost:  t_c = floor(sum of a_j / |N(c)|) (TRN) by a restoring division of DUTY_BITS
//           cycles after the sum, then the boost-LUT address of (a_c, t_c) (step 8);
//   min:    m_c = (MIN_PCT_Q * max v_j) >> 16 (TRN), written in the column's last cycle.
// Cycles per column: 1 + |N(c)| (kWTA, min), 1 + |N(c)| + DUTY_BITS (boost).
//
// Memories are sp_top's, read synchronously: addr_next is the column whose word (score,
// duty) the inputs must carry in the next cycle, col_next the column whose quota they must
// carry. While run is low the pass is reset to the head of column 0 (addr_next = 0), so the
// cycle before a pass must read column 0.
`default_nettype none
module sp_local #(
    parameter NUM_COLUMNS = 8,            // columns C (>= 2)
    parameter DIM0 = 8,                   // padded column dimensions (row-major, DIM2 fastest), product C
    parameter DIM1 = 1,                   // (1 when the columns have fewer dimensions)
    parameter DIM2 = 1,                   // (the fastest-varying)
    parameter WRAP = 0,                   // 1: neighbourhoods wrap around
    parameter SCORE_BITS = 11,            // boosted-score bits S
    parameter DUTY_BITS = 16,             // duty-cycle bits D
    parameter LUT_BITS = 10,              // boost LUT address bits A
    parameter STIMULUS_SCORE = 16,        // eligibility threshold on the score (theta << B_b)
    parameter MIN_PCT_Q = 6554,           // minPctOverlapDutyCycle * 2^16
    // Derived (do not set): column index, column count and per-dimension widths.
    parameter COLUMN_BITS = $clog2(NUM_COLUMNS),
    parameter COUNT_BITS = $clog2(NUM_COLUMNS + 1),
    parameter C0_BITS = (DIM0 > 1) ? $clog2(DIM0) : 1,
    parameter C1_BITS = (DIM1 > 1) ? $clog2(DIM1) : 1,
    parameter C2_BITS = (DIM2 > 1) ? $clog2(DIM2) : 1,
    parameter L0_BITS = $clog2(DIM0 + 1),
    parameter L1_BITS = $clog2(DIM1 + 1),
    parameter L2_BITS = $clog2(DIM2 + 1)
) (
    input  wire                   clk,
    input  wire                   run,        // a pass is under way in this cycle
    input  wire [1:0]             mode,       // 0 kWTA, 1 boost target, 2 minimum duty
    input  wire [31:0]            radius,
    input  wire [SCORE_BITS-1:0]  score,      // s of the column addressed in the previous cycle
    input  wire [DUTY_BITS-1:0]   duty,       // a (boost) or v (min) of that column
    input  wire [COUNT_BITS-1:0]  quota,      // quota of col (read at col_next)
    input  wire [NUM_COLUMNS-1:0] won,        // winners decided so far in this kWTA pass
    output wire [COLUMN_BITS-1:0] addr_next,
    output wire [COLUMN_BITS-1:0] col_next,
    output reg  [COLUMN_BITS-1:0] col,
    output wire                   last,       // the pass's last cycle
    output wire                   win_we,     // kWTA: col's winner bit is win
    output wire                   win,
    output wire                   min_we,     // min: col's minimum duty is min_value
    output wire [DUTY_BITS-1:0]   min_value,
    output wire                   lut_read,   // boost: lut_addr is col's LUT address (its word comes next cycle)
    output wire [LUT_BITS-1:0]    lut_addr
);
    localparam [1:0] MODE_KWTA = 2'd0, MODE_BOOST = 2'd1, MODE_MIN = 2'd2;
    localparam [1:0] HEAD = 2'd0, NBR = 2'd1, DIV = 2'd2;
    localparam DIV_BITS = $clog2(DUTY_BITS);
    localparam SUM_BITS = DUTY_BITS + COUNT_BITS;   // sum of up to C duties
    localparam [COLUMN_BITS-1:0] LAST_COLUMN = NUM_COLUMNS - 1;

    generate
        if (DIM0 * DIM1 * DIM2 != NUM_COLUMNS || NUM_COLUMNS < 2) begin : check_dims
            sp_local_error_DIM0_DIM1_DIM2_must_multiply_to_NUM_COLUMNS error ();
        end
    endgenerate

    reg [1:0]              stage;
    reg [C0_BITS-1:0]      x0;               // coordinates of col
    reg [C1_BITS-1:0]      x1;
    reg [C2_BITS-1:0]      x2;
    reg [L0_BITS-1:0]      k0;               // neighbour: offsets into the three intervals
    reg [L1_BITS-1:0]      k1;
    reg [L2_BITS-1:0]      k2;
    reg [COLUMN_BITS-1:0]  j_cur;            // column whose word the inputs carry
    reg [SCORE_BITS-1:0]   head_score;
    reg [DUTY_BITS-1:0]    head_duty;
    reg [COUNT_BITS-1:0]   beaten;           // kWTA: neighbours ahead of col so far
    reg [COUNT_BITS-1:0]   count;            // |N(col)| so far
    reg [SUM_BITS-1:0]     sum;
    reg [DUTY_BITS-1:0]    max_duty;
    reg [COUNT_BITS-1:0]   rem;              // division remainder (< count)
    reg [DUTY_BITS-1:0]    quotient;
    reg [DIV_BITS-1:0]     div_step;

    wire [C0_BITS-1:0] first0;
    wire [C1_BITS-1:0] first1;
    wire [C2_BITS-1:0] first2;
    wire [L0_BITS-1:0] len0;
    wire [L1_BITS-1:0] len1;
    wire [L2_BITS-1:0] len2;
    sp_local_interval #(.SIZE(DIM0), .WRAP(WRAP)) interval0 (.x(x0), .radius(radius), .first(first0), .len(len0));
    sp_local_interval #(.SIZE(DIM1), .WRAP(WRAP)) interval1 (.x(x1), .radius(radius), .first(first1), .len(len1));
    sp_local_interval #(.SIZE(DIM2), .WRAP(WRAP)) interval2 (.x(x2), .radius(radius), .first(first2), .len(len2));

    wire end0 = ({1'b0, k0} + 1'b1 == {1'b0, len0});
    wire end1 = ({1'b0, k1} + 1'b1 == {1'b0, len1});
    wire end2 = ({1'b0, k2} + 1'b1 == {1'b0, len2});
    wire nbr_last = end0 && end1 && end2;
    // The next neighbour's offsets (the head is followed by the first neighbour).
    reg [L0_BITS-1:0] n0;
    reg [L1_BITS-1:0] n1;
    reg [L2_BITS-1:0] n2;
    always @* begin
        n0 = k0; n1 = k1; n2 = k2;
        if (stage == HEAD) begin
            n0 = {L0_BITS{1'b0}}; n1 = {L1_BITS{1'b0}}; n2 = {L2_BITS{1'b0}};
        end else if (!end2) begin
            n2 = k2 + 1'b1;
        end else if (!end1) begin
            n1 = k1 + 1'b1; n2 = {L2_BITS{1'b0}};
        end else begin
            n0 = k0 + 1'b1; n1 = {L1_BITS{1'b0}}; n2 = {L2_BITS{1'b0}};
        end
    end
    // Its coordinates, wrapped into the dimension, and its column index.
    wire [31:0] y0_raw = first0 + n0;
    wire [31:0] y1_raw = first1 + n1;
    wire [31:0] y2_raw = first2 + n2;
    wire [31:0] y0 = (y0_raw >= DIM0) ? y0_raw - DIM0 : y0_raw;
    wire [31:0] y1 = (y1_raw >= DIM1) ? y1_raw - DIM1 : y1_raw;
    wire [31:0] y2 = (y2_raw >= DIM2) ? y2_raw - DIM2 : y2_raw;
    wire [31:0] neighbour = (y0 * DIM1 + y1) * DIM2 + y2;

    wire div_last = (div_step == DUTY_BITS - 1);
    wire col_end = (stage == NBR && nbr_last && mode != MODE_BOOST) || (stage == DIV && div_last);
    wire [COLUMN_BITS-1:0] col_inc = (col == LAST_COLUMN) ? {COLUMN_BITS{1'b0}} : col + 1'b1;
    assign addr_next = !run ? {COLUMN_BITS{1'b0}}
                     : (stage == HEAD || (stage == NBR && !nbr_last)) ? neighbour[COLUMN_BITS-1:0] : col_inc;
    assign col_next = !run ? {COLUMN_BITS{1'b0}} : (col_end ? col_inc : col);
    assign last = run && col_end && (col == LAST_COLUMN);

    // This cycle's neighbour (NBR): its contribution, folded into the running values.
    wire beats = (score > head_score) || (score == head_score && won[j_cur]);
    wire [COUNT_BITS-1:0] beaten_next = beaten + beats;
    wire [COUNT_BITS-1:0] count_next = count + 1'b1;
    wire [SUM_BITS-1:0]   sum_next = sum + duty;
    wire [DUTY_BITS-1:0]  max_next = (duty > max_duty) ? duty : max_duty;

    assign win_we = run && mode == MODE_KWTA && stage == NBR && nbr_last;
    assign win = ({32'd0, head_score} >= STIMULUS_SCORE) && (beaten_next < quota);
    assign min_we = run && mode == MODE_MIN && stage == NBR && nbr_last;
    wire [DUTY_BITS+16:0] min_product = MIN_PCT_Q * max_next;
    assign min_value = min_product[DUTY_BITS+15:16];

    // Restoring division, one quotient bit per cycle, MSB first: the quotient has DUTY_BITS
    // bits (a mean of D-bit values), so the remainder starts at sum >> D (< count).
    wire [SUM_BITS-1:0]   sum_bits = sum >> (DUTY_BITS - 1 - div_step);
    wire [COUNT_BITS:0]   rem_shift = {rem, sum_bits[0]};
    wire                  q_bit = rem_shift >= {1'b0, count};
    wire [COUNT_BITS:0]   rem_after = q_bit ? rem_shift - {1'b0, count} : rem_shift;
    wire [DUTY_BITS-1:0]  target = {quotient[DUTY_BITS-2:0], q_bit};
    // LUT address of a - t (step 8), as sp_duty_update's with the target a signal.
    localparam SH = DUTY_BITS + 1 - LUT_BITS;
    localparam [DUTY_BITS+1:0] HALF = (1 << DUTY_BITS) + (SH > 0 ? (1 << SH) >> 1 : 0);
    wire [DUTY_BITS+1:0] biased = {2'b00, head_duty} + HALF - {2'b00, target};
    assign lut_addr = biased[DUTY_BITS+1] ? {LUT_BITS{1'b1}} : biased[DUTY_BITS:SH];
    assign lut_read = run && mode == MODE_BOOST && stage == DIV && div_last;

    always @(posedge clk) begin
        j_cur <= addr_next;
        if (!run) begin
            stage <= HEAD;
            col <= {COLUMN_BITS{1'b0}};
            x0 <= {C0_BITS{1'b0}};
            x1 <= {C1_BITS{1'b0}};
            x2 <= {C2_BITS{1'b0}};
        end else begin
            case (stage)
                HEAD: begin
                    stage <= NBR;
                    head_score <= score;
                    head_duty <= duty;
                    beaten <= {COUNT_BITS{1'b0}};
                    count <= {COUNT_BITS{1'b0}};
                    sum <= {SUM_BITS{1'b0}};
                    max_duty <= {DUTY_BITS{1'b0}};
                end
                NBR: begin
                    beaten <= beaten_next;
                    count <= count_next;
                    sum <= sum_next;
                    max_duty <= max_next;
                    if (nbr_last && mode == MODE_BOOST) begin
                        stage <= DIV;
                        div_step <= {DIV_BITS{1'b0}};
                        rem <= sum_next >> DUTY_BITS;
                        quotient <= {DUTY_BITS{1'b0}};
                    end
                end
                default: begin   // DIV
                    div_step <= div_step + 1'b1;
                    rem <= rem_after[COUNT_BITS-1:0];
                    quotient <= target;
                end
            endcase
            k0 <= n0; k1 <= n1; k2 <= n2;
            if (col_end) begin
                stage <= HEAD;
                col <= col_inc;
                // Row-major coordinates of the next column.
                if ({1'b0, x2} + 1'b1 < DIM2) begin
                    x2 <= x2 + 1'b1;
                end else begin
                    x2 <= {C2_BITS{1'b0}};
                    if ({1'b0, x1} + 1'b1 < DIM1) begin
                        x1 <= x1 + 1'b1;
                    end else begin
                        x1 <= {C1_BITS{1'b0}};
                        x0 <= x0 + 1'b1;
                    end
                end
            end
        end
    end
endmodule
`default_nettype wire
