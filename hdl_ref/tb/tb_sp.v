// Plain Verilog-2005 testbench (Icarus and Verilator): loads a golden-vector directory
// (docs/golden.md) through sp_top's host port, runs every step and compares every
// expected field word by word. Prints one "field NAME: N compared, N mismatched, first step S"
// line per field, then "N passed, N failed"; $fatal on any mismatch.
// Per-step cycle counts go to cycles.txt in the working directory.
// tb_config.vh (written by htmhw.hw.hdl) defines GOLDEN_DIR, the sizes and sp_top's parameters.
`timescale 1ns / 1ps
`default_nettype none
module tb_sp;
`include "tb_config.vh"
    localparam BOOST_BITS = BOOST_INT_BITS + BOOST_FRAC_BITS;
    localparam L_WORDS = (N_LEARN > 0) ? N_LEARN : 1;
    localparam WC_WORDS = (N_WRITTEN_COLUMNS > 0) ? N_WRITTEN_COLUMNS : 1;
    localparam WP_WORDS = (N_WRITTEN_WORDS > 0) ? N_WRITTEN_WORDS : 1;
    localparam integer MAX_STEP_CYCLES = 64 * (NUM_COLUMNS * POOL_MAX + 40 * NUM_COLUMNS) + 1000;
    // Per-synapse host address: (column << SLOT_BITS) | slot (sp_top's host port).
    localparam SLOT_BITS = (POOL_MAX > 1) ? $clog2(POOL_MAX) : 1;
`include "sp_host_map.vh"
    // Checked fields, in the order they are checked within a step (htmhw.hw.hdl.FIELDS).
    localparam integer F_OVERLAP = 0, F_BOOSTED = 1, F_WINNERS = 2, F_WRITTEN_PERM = 3, F_OVERLAP_DUTY = 4,
                       F_ACTIVE_DUTY = 5, F_BOOST = 6, F_MIN_DUTY = 7, F_FINAL_PERM = 8, F_FINAL_OVERLAP_DUTY = 9,
                       F_FINAL_ACTIVE_DUTY = 10, F_FINAL_BOOST = 11, F_FINAL_MIN_DUTY = 12, N_FIELDS = 13;

    reg clk = 1'b0;
    always #5 clk = ~clk;
    reg rst = 1'b1;
    reg start = 1'b0, learn = 1'b0;
    reg [NUM_INPUTS-1:0] in_vec = {NUM_INPUTS{1'b0}};
    reg host_we = 1'b0;
    reg [3:0] host_sel = 4'd0;
    reg [31:0] host_addr = 32'd0;
    reg [63:0] host_wdata = 64'd0;
    wire [63:0] host_rdata;
    wire busy, done;
    wire [2:0] phase;
    wire [NUM_COLUMNS-1:0] winners;

`ifdef SP_ACCEL
    sp_accel #(
        .NUM_INPUTS(NUM_INPUTS), .NUM_COLUMNS(NUM_COLUMNS), .NUM_SYNAPSES(NUM_SYNAPSES), .PERM_BITS(PERM_BITS),
        .OVERLAP_BITS(OVERLAP_BITS), .BOOST_INT_BITS(BOOST_INT_BITS), .BOOST_FRAC_BITS(BOOST_FRAC_BITS),
        .BOOSTED_FRAC_BITS(BOOSTED_FRAC_BITS), .DUTY_BITS(DUTY_BITS), .LUT_BITS(LUT_BITS), .CONN_Q(CONN_Q),
        .INC_Q(INC_Q), .DEC_Q(DEC_Q), .BUMP_Q(BUMP_Q), .TRIM_Q(TRIM_Q), .STIMULUS(STIMULUS), .K(K),
        .TARGET_Q(TARGET_Q), .MIN_PCT_Q(MIN_PCT_Q), .DUTY_SHIFT_MAX(DUTY_SHIFT_MAX), .UPDATE_PERIOD(UPDATE_PERIOD),
        .BOOST_UPDATE(BOOST_UPDATE), .BOOST_IN_INFERENCE(BOOST_IN_INFERENCE), .POOL_MAX(POOL_MAX),
        .IN_DIM0(IN_DIM0), .IN_DIM1(IN_DIM1), .IN_DIM2(IN_DIM2), .COL_DIM0(COL_DIM0), .COL_DIM1(COL_DIM1),
        .COL_DIM2(COL_DIM2), .POTENTIAL_RADIUS(POTENTIAL_RADIUS), .WRAP_AROUND(WRAP_AROUND),
        .COLUMN_LANES(COLUMN_LANES), .PERM_LANES(PERM_LANES)
`else
    sp_top #(
        .NUM_INPUTS(NUM_INPUTS), .NUM_COLUMNS(NUM_COLUMNS), .NUM_SYNAPSES(NUM_SYNAPSES), .PERM_BITS(PERM_BITS),
        .OVERLAP_BITS(OVERLAP_BITS), .BOOST_INT_BITS(BOOST_INT_BITS), .BOOST_FRAC_BITS(BOOST_FRAC_BITS),
        .BOOSTED_FRAC_BITS(BOOSTED_FRAC_BITS), .DUTY_BITS(DUTY_BITS), .LUT_BITS(LUT_BITS), .CONN_Q(CONN_Q),
        .INC_Q(INC_Q), .DEC_Q(DEC_Q), .BUMP_Q(BUMP_Q), .TRIM_Q(TRIM_Q), .STIMULUS(STIMULUS), .K(K),
        .TARGET_Q(TARGET_Q), .MIN_PCT_Q(MIN_PCT_Q), .DUTY_SHIFT_MAX(DUTY_SHIFT_MAX), .UPDATE_PERIOD(UPDATE_PERIOD),
        .BOOST_UPDATE(BOOST_UPDATE), .BOOST_IN_INFERENCE(BOOST_IN_INFERENCE), .POOL_MAX(POOL_MAX),
        .COLUMN_LANES(COLUMN_LANES), .SYN_LANES(SYN_LANES), .KWTA_LANES(KWTA_LANES),
        .LOCAL_INHIBITION(LOCAL_INHIBITION), .WRAP_AROUND(WRAP_AROUND), .COL_DIM0(COL_DIM0), .COL_DIM1(COL_DIM1),
        .COL_DIM2(COL_DIM2)
`endif
    ) dut (
        .clk(clk), .rst(rst), .start(start), .learn(learn), .in_vec(in_vec), .busy(busy), .done(done),
        .phase(phase), .winners(winners), .host_we(host_we), .host_sel(host_sel), .host_addr(host_addr),
        .host_wdata(host_wdata), .host_rdata(host_rdata));

    // Golden data.
    reg [NUM_INPUTS-1:0]  input_mem [0:N_STEPS-1];
    reg                   learn_mem [0:N_STEPS-1];
    reg [31:0]            overlap_exp [0:N_STEPS*NUM_COLUMNS-1];
    reg [31:0]            boosted_exp [0:N_STEPS*NUM_COLUMNS-1];
    reg [NUM_COLUMNS-1:0] winners_exp [0:N_STEPS-1];
    reg [31:0]            init_perm [0:NUM_SYNAPSES-1];
    reg [31:0]            pool_input [0:NUM_SYNAPSES-1];
    reg [31:0]            pool_offset [0:NUM_COLUMNS];
    reg [31:0]            init_overlap_duty [0:NUM_COLUMNS-1];
    reg [31:0]            init_active_duty [0:NUM_COLUMNS-1];
    reg [31:0]            init_min_duty [0:MIN_WORDS-1];
    reg [31:0]            init_boost [0:NUM_COLUMNS-1];
    reg [31:0]            boost_lut [0:(1 << LUT_BITS)-1];
    reg [31:0]            written_count [0:L_WORDS-1];
    reg [31:0]            written_column [0:WC_WORDS-1];
    reg [31:0]            written_perm [0:WP_WORDS-1];
    reg [31:0]            overlap_duty_exp [0:L_WORDS*NUM_COLUMNS-1];
    reg [31:0]            active_duty_exp [0:L_WORDS*NUM_COLUMNS-1];
    reg [31:0]            min_duty_exp [0:L_WORDS*MIN_WORDS-1];
    reg [31:0]            boost_exp [0:L_WORDS*NUM_COLUMNS-1];
    reg [31:0]            final_perm [0:NUM_SYNAPSES-1];
    reg [31:0]            final_overlap_duty [0:NUM_COLUMNS-1];
    reg [31:0]            final_active_duty [0:NUM_COLUMNS-1];
    reg [31:0]            final_min_duty [0:MIN_WORDS-1];
    // Local inhibition: what the host writes initially and at the update points.
    reg [31:0]            init_radius [0:0];
    reg [31:0]            init_quota [0:NUM_COLUMNS-1];
    reg [31:0]            radius_exp [0:L_WORDS-1];
    reg [31:0]            quota_exp [0:L_WORDS*NUM_COLUMNS-1];
    reg [31:0]            final_boost [0:NUM_COLUMNS-1];

    integer passed = 0, failed = 0;
    integer field_passed [0:N_FIELDS-1];
    integer field_failed [0:N_FIELDS-1];
    integer field_first_step [0:N_FIELDS-1];  // first step with a mismatch, -1 if none
    integer f;
    integer step_cycles = 0;
    integer phase_cycles [0:7];
    integer total_phase_cycles [0:7];
    integer cycles_file;
    integer s, c, z, j, l, wc, wp, col, p, t;
    reg [63:0] got;

    // Cycle accounting: every clock edge at which the datapath is busy counts, by phase.
    always @(posedge clk) begin
        if (busy) begin
            step_cycles = step_cycles + 1;
            phase_cycles[phase] = phase_cycles[phase] + 1;
        end
    end

    task host_write(input [3:0] sel, input [31:0] addr, input [63:0] data);
        begin
            @(negedge clk);
            host_we = 1'b1; host_sel = sel; host_addr = addr; host_wdata = data;
            @(negedge clk);
            host_we = 1'b0;
        end
    endtask

    // The memories read synchronously: the data is there after the next rising edge.
    task host_read(input [3:0] sel, input [31:0] addr);
        begin
            @(negedge clk);
            host_sel = sel; host_addr = addr;
            @(posedge clk);
            #1;
            got = host_rdata;
        end
    endtask

    function [8*24-1:0] field_name(input integer id);
        case (id)
            F_OVERLAP: field_name = "overlap";
            F_BOOSTED: field_name = "boosted";
            F_WINNERS: field_name = "winners";
            F_WRITTEN_PERM: field_name = "written_perm";
            F_OVERLAP_DUTY: field_name = "overlap_duty";
            F_ACTIVE_DUTY: field_name = "active_duty";
            F_BOOST: field_name = "boost";
            F_MIN_DUTY: field_name = "min_overlap_duty";
            F_FINAL_PERM: field_name = "final_perm";
            F_FINAL_OVERLAP_DUTY: field_name = "final_overlap_duty";
            F_FINAL_ACTIVE_DUTY: field_name = "final_active_duty";
            F_FINAL_BOOST: field_name = "final_boost";
            default: field_name = "final_min_overlap_duty";
        endcase
    endfunction

    task tally(input integer id, input integer step, input ok);
        begin
            if (ok) begin
                passed = passed + 1;
                field_passed[id] = field_passed[id] + 1;
            end else begin
                failed = failed + 1;
                field_failed[id] = field_failed[id] + 1;
                if (field_first_step[id] < 0) field_first_step[id] = step;
            end
        end
    endtask

    task check(input integer id, input integer step, input integer index, input [63:0] expected,
               input [63:0] actual);
        begin
            tally(id, step, expected === actual);
            if (expected !== actual && failed <= 20)
                $display("MISMATCH %0s step %0d index %0d: expected %0h, got %0h", field_name(id), step, index,
                         expected, actual);
        end
    endtask

    initial begin
        for (p = 0; p < 8; p = p + 1) begin
            phase_cycles[p] = 0;
            total_phase_cycles[p] = 0;
        end
        for (f = 0; f < N_FIELDS; f = f + 1) begin
            field_passed[f] = 0;
            field_failed[f] = 0;
            field_first_step[f] = -1;
        end
        $readmemh({GOLDEN_DIR, "input.mem"}, input_mem, 0, N_STEPS - 1);
        $readmemh({GOLDEN_DIR, "learn.mem"}, learn_mem, 0, N_STEPS - 1);
        $readmemh({GOLDEN_DIR, "overlap.mem"}, overlap_exp, 0, N_STEPS * NUM_COLUMNS - 1);
        $readmemh({GOLDEN_DIR, "boosted.mem"}, boosted_exp, 0, N_STEPS * NUM_COLUMNS - 1);
        $readmemh({GOLDEN_DIR, "winners.mem"}, winners_exp, 0, N_STEPS - 1);
        $readmemh({GOLDEN_DIR, "init_perm.mem"}, init_perm, 0, NUM_SYNAPSES - 1);
        $readmemh({GOLDEN_DIR, "pool_input.mem"}, pool_input, 0, NUM_SYNAPSES - 1);
`ifdef SP_ACCEL
        // sp_accel's selector 1 takes the window position of each synapse's input
        // (htmhw.hw.hdl.window_positions, written next to tb_config.vh).
        $readmemh("pool_pos.mem", pool_input, 0, NUM_SYNAPSES - 1);
`endif
        $readmemh({GOLDEN_DIR, "pool_offset.mem"}, pool_offset, 0, NUM_COLUMNS);
        $readmemh({GOLDEN_DIR, "init_overlap_duty.mem"}, init_overlap_duty, 0, NUM_COLUMNS - 1);
        $readmemh({GOLDEN_DIR, "init_active_duty.mem"}, init_active_duty, 0, NUM_COLUMNS - 1);
        $readmemh({GOLDEN_DIR, "init_min_overlap_duty.mem"}, init_min_duty, 0, MIN_WORDS - 1);
        $readmemh({GOLDEN_DIR, "init_boost.mem"}, init_boost, 0, NUM_COLUMNS - 1);
        $readmemh({GOLDEN_DIR, "boost_lut.mem"}, boost_lut, 0, (1 << LUT_BITS) - 1);
        if (N_LEARN > 0) begin
            $readmemh({GOLDEN_DIR, "written_count.mem"}, written_count, 0, N_LEARN - 1);
            $readmemh({GOLDEN_DIR, "overlap_duty.mem"}, overlap_duty_exp, 0, N_LEARN * NUM_COLUMNS - 1);
            $readmemh({GOLDEN_DIR, "active_duty.mem"}, active_duty_exp, 0, N_LEARN * NUM_COLUMNS - 1);
            $readmemh({GOLDEN_DIR, "min_overlap_duty.mem"}, min_duty_exp, 0, N_LEARN * MIN_WORDS - 1);
            $readmemh({GOLDEN_DIR, "boost.mem"}, boost_exp, 0, N_LEARN * NUM_COLUMNS - 1);
        end
        if (N_WRITTEN_COLUMNS > 0)
            $readmemh({GOLDEN_DIR, "written_column.mem"}, written_column, 0, N_WRITTEN_COLUMNS - 1);
        if (N_WRITTEN_WORDS > 0)
            $readmemh({GOLDEN_DIR, "written_perm.mem"}, written_perm, 0, N_WRITTEN_WORDS - 1);
        $readmemh({GOLDEN_DIR, "final_perm.mem"}, final_perm, 0, NUM_SYNAPSES - 1);
        $readmemh({GOLDEN_DIR, "final_overlap_duty.mem"}, final_overlap_duty, 0, NUM_COLUMNS - 1);
        $readmemh({GOLDEN_DIR, "final_active_duty.mem"}, final_active_duty, 0, NUM_COLUMNS - 1);
        $readmemh({GOLDEN_DIR, "final_min_overlap_duty.mem"}, final_min_duty, 0, MIN_WORDS - 1);
        if (LOCAL_INHIBITION != 0) begin
            $readmemh({GOLDEN_DIR, "init_inhibition_radius.mem"}, init_radius, 0, 0);
            $readmemh({GOLDEN_DIR, "init_quota.mem"}, init_quota, 0, NUM_COLUMNS - 1);
            if (N_LEARN > 0) begin
                $readmemh({GOLDEN_DIR, "inhibition_radius.mem"}, radius_exp, 0, N_LEARN - 1);
                $readmemh({GOLDEN_DIR, "quota.mem"}, quota_exp, 0, N_LEARN * NUM_COLUMNS - 1);
            end
        end
        $readmemh({GOLDEN_DIR, "final_boost.mem"}, final_boost, 0, NUM_COLUMNS - 1);

        repeat (2) @(negedge clk);
        rst = 1'b0;
        // Initial state through the host port.
        for (c = 0; c < NUM_COLUMNS; c = c + 1) begin
            host_write(H_POOL_SIZE, c, pool_offset[c + 1] - pool_offset[c]);
            for (z = pool_offset[c]; z < pool_offset[c + 1]; z = z + 1) begin
                host_write(H_PERM, (c << SLOT_BITS) | (z - pool_offset[c]), init_perm[z]);
                host_write(H_POOL_INPUT, (c << SLOT_BITS) | (z - pool_offset[c]), pool_input[z]);
            end
        end
        for (c = 0; c < NUM_COLUMNS; c = c + 1) begin
            host_write(H_OVERLAP_DUTY, c, init_overlap_duty[c]);
            host_write(H_ACTIVE_DUTY, c, init_active_duty[c]);
            host_write(H_BOOST, c, init_boost[c]);
        end
        for (j = 0; j < (1 << LUT_BITS); j = j + 1) host_write(H_LUT, j, boost_lut[j]);
        for (c = 0; c < MIN_WORDS; c = c + 1) host_write(H_MIN_DUTY, c, init_min_duty[c]);
        if (LOCAL_INHIBITION != 0) begin
            host_write(H_RADIUS, 0, init_radius[0]);
            for (c = 0; c < NUM_COLUMNS; c = c + 1) host_write(H_QUOTA, c, init_quota[c]);
        end
        host_write(H_ITERATION, 0, INITIAL_ITERATION);
        host_write(H_PERIOD_PHASE, 0, INITIAL_ITERATION % UPDATE_PERIOD);

        cycles_file = $fopen("cycles.txt", "w");
        $fdisplay(cycles_file, "# step learn total overlap kwta duty_boost permanence finish");
        l = 0; wc = 0; wp = 0;
        for (s = 0; s < N_STEPS; s = s + 1) begin
            @(negedge clk);
            in_vec = input_mem[s];
            learn = learn_mem[s];
            step_cycles = 0;
            for (p = 0; p < 8; p = p + 1) phase_cycles[p] = 0;
            start = 1'b1;
            @(negedge clk);
            start = 1'b0;
            t = 0;
            while (!done) begin
                @(negedge clk);
                t = t + 1;
                if (t > MAX_STEP_CYCLES) $fatal(1, "step %0d: no done after %0d cycles", s, MAX_STEP_CYCLES);
            end
            @(negedge clk);
            // Local inhibition, update point (a learning step at iteration % UPDATE_PERIOD == 0):
            // the host writes the new radius and quotas, then runs the minimum-duty pass, whose
            // cycles count to this step.
            if (LOCAL_INHIBITION != 0 && learn_mem[s] && (INITIAL_ITERATION + s + 1) % UPDATE_PERIOD == 0) begin
                host_write(H_RADIUS, 0, radius_exp[l]);
                for (c = 0; c < NUM_COLUMNS; c = c + 1) host_write(H_QUOTA, c, quota_exp[l * NUM_COLUMNS + c]);
                host_write(H_LOCAL_MIN, 0, 0);
                t = 0;
                while (!done) begin
                    @(negedge clk);
                    t = t + 1;
                    if (t > MAX_STEP_CYCLES) $fatal(1, "step %0d: no done of the minimum-duty pass", s);
                end
                @(negedge clk);
            end
            $fdisplay(cycles_file, "%0d %0d %0d %0d %0d %0d %0d %0d", s, learn_mem[s], step_cycles, phase_cycles[1],
                      phase_cycles[2], phase_cycles[3], phase_cycles[4], phase_cycles[5]);
            for (p = 0; p < 8; p = p + 1) total_phase_cycles[p] = total_phase_cycles[p] + phase_cycles[p];

            for (c = 0; c < NUM_COLUMNS; c = c + 1) begin
                host_read(H_OVERLAP, c);
                check(F_OVERLAP, s, c, overlap_exp[s * NUM_COLUMNS + c], got);
                host_read(H_BOOSTED, c);
                check(F_BOOSTED, s, c, boosted_exp[s * NUM_COLUMNS + c], got);
            end
            tally(F_WINNERS, s, winners === winners_exp[s]);
            if (winners !== winners_exp[s] && failed <= 20)
                $display("MISMATCH winners step %0d: expected %h, got %h", s, winners_exp[s], winners);
            if (learn_mem[s]) begin
                for (j = 0; j < written_count[l]; j = j + 1) begin
                    col = written_column[wc];
                    wc = wc + 1;
                    for (z = pool_offset[col]; z < pool_offset[col + 1]; z = z + 1) begin
                        host_read(H_PERM, (col << SLOT_BITS) | (z - pool_offset[col]));
                        check(F_WRITTEN_PERM, s, z, written_perm[wp], got);
                        wp = wp + 1;
                    end
                end
                for (c = 0; c < NUM_COLUMNS; c = c + 1) begin
                    host_read(H_OVERLAP_DUTY, c);
                    check(F_OVERLAP_DUTY, s, c, overlap_duty_exp[l * NUM_COLUMNS + c], got);
                    host_read(H_ACTIVE_DUTY, c);
                    check(F_ACTIVE_DUTY, s, c, active_duty_exp[l * NUM_COLUMNS + c], got);
                    host_read(H_BOOST, c);
                    check(F_BOOST, s, c, boost_exp[l * NUM_COLUMNS + c], got);
                end
                for (c = 0; c < MIN_WORDS; c = c + 1) begin
                    host_read(H_MIN_DUTY, c);
                    check(F_MIN_DUTY, s, c, min_duty_exp[l * MIN_WORDS + c], got);
                end
                l = l + 1;
            end
        end
        for (c = 0; c < NUM_COLUMNS; c = c + 1)
            for (z = pool_offset[c]; z < pool_offset[c + 1]; z = z + 1) begin
                host_read(H_PERM, (c << SLOT_BITS) | (z - pool_offset[c]));
                check(F_FINAL_PERM, N_STEPS, z, final_perm[z], got);
            end
        for (c = 0; c < NUM_COLUMNS; c = c + 1) begin
            host_read(H_OVERLAP_DUTY, c);
            check(F_FINAL_OVERLAP_DUTY, N_STEPS, c, final_overlap_duty[c], got);
            host_read(H_ACTIVE_DUTY, c);
            check(F_FINAL_ACTIVE_DUTY, N_STEPS, c, final_active_duty[c], got);
            host_read(H_BOOST, c);
            check(F_FINAL_BOOST, N_STEPS, c, final_boost[c], got);
        end
        for (c = 0; c < MIN_WORDS; c = c + 1) begin
            host_read(H_MIN_DUTY, c);
            check(F_FINAL_MIN_DUTY, N_STEPS, c, final_min_duty[c], got);
        end
        $fclose(cycles_file);
        $display("cycles: total %0d overlap %0d kwta %0d duty_boost %0d permanence %0d finish %0d over %0d steps",
                 total_phase_cycles[1] + total_phase_cycles[2] + total_phase_cycles[3] + total_phase_cycles[4] +
                 total_phase_cycles[5], total_phase_cycles[1], total_phase_cycles[2], total_phase_cycles[3],
                 total_phase_cycles[4], total_phase_cycles[5], N_STEPS);
        for (f = 0; f < N_FIELDS; f = f + 1)
            $display("field %0s: %0d compared, %0d mismatched, first step %0d", field_name(f),
                     field_passed[f] + field_failed[f], field_failed[f], field_first_step[f]);
        $display("%0d passed, %0d failed", passed, failed);
        if (failed != 0) $fatal(1, "%0d mismatches", failed);
        $finish;
    end
endmodule
`default_nettype wire
