// ntc_tans_builder — the decode table of an adaptive tANS model, built in hardware from the
// block's model section (spec/stream.md, "The model section"), exactly as runtime/nt_ans.h does
// (nt_ans_model_read, nt_tans_spread, nt_tans_build_dtable).
//
// The decoder core hands over the section one bit per clock (bit_valid, bit_in; taken while
// `want`). The builder
//   - reads log - 5 (4 bits), lo and hi (CODE_BITS each), k (3 bits) and checks log <= TABLE_LOG,
//     lo <= hi, hi < NCODES;
//   - reads each count[lo .. hi-1] as Exp-Golomb(k), bit-serially (more than 17 leading zeros is
//     an error), and checks that their sum stays below 2^log and that count[lo] != 0;
//     count[hi] is what remains of 2^log;
//   - spreads each symbol as soon as its count is known: count[s] cells, from cell 0 in steps of
//     2^(log-1) + 2^(log-3) + 3 (mod 2^log), writing the symbol into the table RAM (one cell per
//     clock); the counts go to a small RAM indexed by symbol;
//   - fills the cells u = 0 .. 2^log - 1 in order, one per clock (a three-stage pipeline: read
//     the cell's symbol s, read next[s], write next[s] + 1 and the cell): the j-th cell of s gets
//     x = count[s] + j, nb = log - floor(log2 x), base = x 2^nb - 2^log.
// `ready` is high when no build is running (after rst, after a build, after an error); `err` is
// a one-clock pulse on a malformed section. The table's read port (rd_en, rd_addr, rd_data: one
// registered read, held while rd_en is low) serves the core once the table is built.
// Cell = {escape (always 0: an adaptive model has no escape), symbol, nb, base}.
`default_nettype none
`timescale 1ns / 1ps

module ntc_tans_builder #(
    parameter TABLE_LOG = 11,           // R: the largest table log a section may give; 2^R cells
    parameter CODE_BITS = 8,            // width of a code number (lo, hi, a cell's symbol)
    parameter NCODES = 256,             // codes of the type; hi must be below this
    parameter NB_BITS = 4,              // width of a cell's nb field (holds 0 .. TABLE_LOG)
    parameter CELL_BITS = 1 + CODE_BITS + NB_BITS + TABLE_LOG // width of a decode cell
) (
    input  wire                 clk,
    input  wire                 rst,

    input  wire                 start,      // a model section begins (the core's next bits)
    input  wire                 bit_valid,  // bit_in is the section's next bit
    input  wire                 bit_in,
    output wire                 want,       // the builder takes bit_in when bit_valid
    output wire                 ready,      // no build running: the table is usable
    output wire                 err,        // the section is malformed (one clock)
    output wire [4:0]           log,        // the block's table log (bits of an initial state)

    input  wire                 rd_en,      // the core's read port
    input  wire [TABLE_LOG-1:0] rd_addr,
    output wire [CELL_BITS-1:0] rd_data
);
    localparam R = TABLE_LOG;
    localparam CB = CODE_BITS;
    localparam HW = 4 + 2 * CB + 3;                 // the section's fixed fields
    localparam HCW = $clog2(HW + 1);
    localparam [4:0] R5 = R;
    localparam W = R + 3;                           // Exp-Golomb value register: a value that
                                                    // overflows it is >= 2^(R+3) - 2^7 >= 2^R
    localparam [2:0] B_IDLE = 3'd0, B_HDR = 3'd1, B_CHK = 3'd2, B_ZER = 3'd3, B_VAL = 3'd4,
                     B_CNT = 3'd5, B_SPR = 3'd6, B_FILL = 3'd7;

    reg [2:0]     st_reg;
    reg [HW-1:0]  hdr_reg;                          // {log - 5, lo, hi, k}, shifted in
    reg [HCW-1:0] hcnt_reg;                         // header bits read
    reg [4:0]     zeros_reg;                        // leading zeros of the Exp-Golomb code
    reg [4:0]     left_reg;                         // bits of the value still to read
    reg [W-1:0]   acc_reg;                          // (q << k) | low bits, read so far
    reg           big_reg;                          //   a 1 bit fell off its top
    reg [R:0]     rest_reg;                         // 2^log minus the counts lo .. s-1
    reg [R:0]     rem_reg;                          // cells of symbol s still to spread
    reg [CB-1:0]  s_reg;                            // symbol being read / spread
    reg [R-1:0]   pos_reg;                          // spread position
    reg [R-1:0]   mask_reg;                         // 2^log - 1
    reg [R-1:0]   step_reg;                         // spread step
    reg           first_reg;                        // the first clock of a symbol's spread: write its count

    wire [3:0]    f_log5 = hdr_reg[HW-1 -: 4];
    wire [CB-1:0] f_lo = hdr_reg[3 + 2 * CB - 1 -: CB];
    wire [CB-1:0] f_hi = hdr_reg[3 + CB - 1 -: CB];
    wire [2:0]    f_k = hdr_reg[2:0];
    wire [4:0]    log5 = {1'b0, f_log5} + 5'd5;
    assign log = log5;

    // 2^log, 2^log - 1 and the spread step 2^(log-1) + 2^(log-3) + 3 (log >= 5: no carries), bit by bit
    reg  [R:0]    size_w;
    reg  [R-1:0]  mask_w, step_w;
    integer j;
    always @* begin
        size_w[R] = log5 == R5;
        for (j = 0; j < R; j = j + 1) begin
            size_w[j] = log5 == j[4:0];
            mask_w[j] = j[4:0] < log5;
            step_w[j] = j < 2 || j[4:0] + 5'd1 == log5 || j[4:0] + 5'd3 == log5;
        end
    end

    assign want = st_reg == B_HDR || st_reg == B_ZER || st_reg == B_VAL;
    wire take = want && bit_valid;
    assign ready = st_reg == B_IDLE;

    // the value of the Exp-Golomb code just read: (q - 1) 2^k + low = acc - 2^k
    wire [W-1:0] v = acc_reg - ({{(W-1){1'b0}}, 1'b1} << f_k);
    // the counts so far must stay below 2^log: v < rest
    wire [W:0]   rest_next = {{(W-R){1'b0}}, rest_reg} - {1'b0, v};
    wire         v_bad = big_reg || rest_next[W] || rest_next == {(W+1){1'b0}} || (s_reg == f_lo && v == {W{1'b0}});
    wire         hdr_bad = f_log5 > R - 5 || f_lo > f_hi || (NCODES < (1 << CB) && {1'b0, f_hi} >= NCODES[CB:0]);

    // ------------------------------------------------------------------ the two RAMs
    // counts (then next[s] during the fill), indexed by symbol
    reg           c_we;
    reg [CB-1:0]  c_wa;
    reg [R:0]     c_wd;
    wire [CB-1:0] c_ra;
    wire [R:0]    c_rd;
    ntc_sdp_ram #(.ADDR_BITS(CB), .DATA_BITS(R + 1)) ram_count (
        .clk(clk), .wr_en(c_we), .wr_addr(c_wa), .wr_data(c_wd),
        .rd_en(1'b1), .rd_addr(c_ra), .rd_data(c_rd));

    // the decode table
    reg            t_we;
    reg  [R-1:0]   t_wa;
    reg  [CELL_BITS-1:0] t_wd;
    reg  [R:0]     ua_reg;                          // fill: next cell to read
    wire           fill = st_reg == B_FILL;
    ntc_sdp_ram #(.ADDR_BITS(R), .DATA_BITS(CELL_BITS)) ram_table (
        .clk(clk), .wr_en(t_we), .wr_addr(t_wa), .wr_data(t_wd),
        .rd_en(fill || rd_en), .rd_addr(fill ? ua_reg[R-1:0] : rd_addr), .rd_data(rd_data));

    // ------------------------------------------------------------------ fill pipeline
    // stage a: read cell ua; stage b (b_v): its symbol is at the RAM output, read next[s];
    // stage c (c_v): x = next[s] (or the value stage c wrote last clock, same symbol), write.
    reg           b_v_reg, c_v_reg, fwd_reg;
    reg [R-1:0]   ub_reg, uc_reg;
    reg [CB-1:0]  sc_reg;
    reg [R:0]     xw_reg;                           // x + 1 of the last cell written
    wire [CB-1:0] sb = rd_data[R + NB_BITS +: CB];
    assign c_ra = sb;
    wire [R:0]    x = fwd_reg ? xw_reg : c_rd;
    reg  [3:0]    hb;                               // floor(log2 x)
    integer i;
    always @* begin
        hb = 4'd0;
        for (i = 0; i <= R; i = i + 1)
            if (x[i])
                hb = i[3:0];
    end
    wire [4:0]    nb = log5 - {1'b0, hb};
    wire [R-1:0]  xs = x[R-1:0] << nb;              // x 2^nb is in [2^log, 2^(log+1)): its low bits
    wire [R-1:0]  base = xs & mask_reg;             // minus 2^log
    wire          a_v = fill && !ua_reg[R] && ua_reg[R-1:0] <= mask_reg;

    // RAM writes: a symbol's count in the first clock of its spread (first_reg), its cells during
    // the spread (the symbol only: the fill writes nb and base), then the fill's next[s] and cells
    always @* begin
        c_we = (st_reg == B_SPR && first_reg) || (fill && c_v_reg);
        c_wa = fill ? sc_reg : s_reg;
        c_wd = fill ? x + 1'b1 : rem_reg;
        t_we = (st_reg == B_SPR && rem_reg != {(R+1){1'b0}}) || (fill && c_v_reg);
        t_wa = fill ? uc_reg : pos_reg;
        t_wd = {1'b0, fill ? sc_reg : s_reg, nb[NB_BITS-1:0], base};
    end
    assign err = (st_reg == B_CHK && hdr_bad) || (st_reg == B_CNT && v_bad) ||
                 (st_reg == B_ZER && take && !bit_in && zeros_reg == 5'd17);

    always @(posedge clk) begin
        case (st_reg)
            B_HDR: if (take) begin
                hdr_reg <= {hdr_reg[HW-2:0], bit_in};
                hcnt_reg <= hcnt_reg + 1'b1;
                if (hcnt_reg == HW - 1)
                    st_reg <= B_CHK;
            end
            B_CHK: begin
                mask_reg <= mask_w;
                step_reg <= step_w;
                s_reg <= f_lo;
                rest_reg <= size_w;
                pos_reg <= {R{1'b0}};
                zeros_reg <= 5'd0;
                rem_reg <= size_w;
                first_reg <= 1'b1;
                st_reg <= hdr_bad ? B_IDLE : f_lo == f_hi ? B_SPR : B_ZER;
            end
            B_ZER: if (take) begin
                if (!bit_in) begin
                    zeros_reg <= zeros_reg + 1'b1;
                    if (zeros_reg == 5'd17)
                        st_reg <= B_IDLE;
                end else begin
                    acc_reg <= {{(W-1){1'b0}}, 1'b1};
                    big_reg <= 1'b0;
                    left_reg <= zeros_reg + {2'b00, f_k};
                    st_reg <= (zeros_reg == 5'd0 && f_k == 3'd0) ? B_CNT : B_VAL;
                end
            end
            B_VAL: if (take) begin
                acc_reg <= {acc_reg[W-2:0], bit_in};
                big_reg <= big_reg || acc_reg[W-1];
                left_reg <= left_reg - 1'b1;
                if (left_reg == 5'd1)
                    st_reg <= B_CNT;
            end
            B_CNT: begin
                rest_reg <= rest_next[R:0];
                rem_reg <= v[R:0];
                first_reg <= 1'b1;
                st_reg <= v_bad ? B_IDLE : B_SPR;
            end
            B_SPR: begin
                first_reg <= 1'b0;
                if (rem_reg != {(R+1){1'b0}}) begin
                    pos_reg <= (pos_reg + step_reg) & mask_reg;
                    rem_reg <= rem_reg - 1'b1;
                end else if (s_reg == f_hi) begin
                    st_reg <= B_FILL;
                end else begin
                    s_reg <= s_reg + 1'b1;
                    zeros_reg <= 5'd0;
                    first_reg <= 1'b1;
                    if (s_reg + 1'b1 == f_hi)
                        rem_reg <= rest_reg;
                    else
                        st_reg <= B_ZER;
                end
            end
            B_FILL: if (c_v_reg && uc_reg == mask_reg)
                st_reg <= B_IDLE;
            default: ;   // B_IDLE
        endcase
        // the fill pipeline
        if (fill) begin
            ua_reg <= ua_reg + {{R{1'b0}}, a_v};
            b_v_reg <= a_v;
            ub_reg <= ua_reg[R-1:0];
            c_v_reg <= b_v_reg;
            uc_reg <= ub_reg;
            sc_reg <= sb;
            fwd_reg <= c_v_reg && sc_reg == sb;
            xw_reg <= x + 1'b1;
        end else begin
            ua_reg <= {(R+1){1'b0}};
            b_v_reg <= 1'b0;
            c_v_reg <= 1'b0;
        end
        if (start) begin
            st_reg <= B_HDR;
            hcnt_reg <= {HCW{1'b0}};
        end
        if (rst) begin
            st_reg <= B_IDLE;
            hdr_reg <= {HW{1'b0}};
        end
    end
endmodule

`default_nettype wire
