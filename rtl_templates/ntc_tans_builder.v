// ntc_tans_builder — the decode table of an adaptive tANS model, built in hardware from the
// block's model section (spec/stream.md, "The model section"), exactly as runtime/nt_ans.h does
// (nt_ans_model_read, nt_tans_spread, nt_tans_build_dtable).
//
// The decoder core hands over the section one bit per clock (bit_valid, bit_in; taken while
// `want`). The builder
//   - reads log - 5 (4 bits), lo and hi (CODE_BITS each), k (3 bits) and checks log <= TABLE_LOG,
//     lo <= hi, hi < NCODES;
//   - reads each count[lo .. hi-1] as Exp-Golomb(k), bit-serially (more than 17 leading zeros is
//     an error; count[lo] == 0 is an error);
//   - spreads each symbol as soon as its count is known: count[s] cells, from cell 0 in steps of
//     2^(log-1) + 2^(log-3) + 3 (mod 2^log), writing the symbol into the table RAM (one cell per
//     clock). The walk visits every cell once and is back at cell 0 after exactly 2^log cells: it
//     gets there within symbols lo .. hi-1 exactly when their counts sum to 2^log or more (an
//     error), and count[hi] (what remains of 2^log) is the rest of the walk;
//   - fills the cells u = 0 .. 2^log - 1 in order, two clocks per cell (read the cell's symbol s,
//     read next[s]; write the cell and next[s] + 1): the j-th cell of s gets x = count[s] + j,
//     nb = log - floor(log2 x), base = x 2^nb - 2^log.
// x is never held as a number: a counter of the form (nb, base) counts x, and x + 1 is
// (nb, base + 2^nb), or (nb - 1, 0) when that reaches 2^log (x + 1 a power of 2), so no
// normalising shifter is needed. The spread counts each symbol's cells in this form (from
// (log + 1, 0), which counts as 0), and leaves count[s] in the small RAM indexed by symbol that
// the fill then reads and steps.
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
    localparam NW = $clog2(R + 2);                  // the counter's nb: 0 .. log + 1
    localparam XW = NW + R;                         // a counter (nb, base)
    // Exp-Golomb value register: when a 1 bit falls off its top the value is >= 2^W - 2^7 >= 2^R
    localparam W = R >= 7 ? R + 1 : R >= 6 ? R + 2 : R + 3;
    localparam [4:0] R5 = TABLE_LOG[4:0] - 5'd5;
    localparam [2:0] B_IDLE = 3'd0, B_HDR = 3'd1, B_CHK = 3'd2, B_ZER = 3'd3, B_VAL = 3'd4,
                     B_CNT = 3'd5, B_SPR = 3'd6, B_FILL = 3'd7;

    reg [2:0]     st_reg;
    // the fixed fields, shifted in; a 1 loaded into the lowest bit at start marks the end
    reg [3:0]     log5_reg;                         // log - 5
    reg [CB-1:0]  s_reg;                            // lo, then the symbol being read / spread / filled
    reg [CB-1:0]  hi_reg;
    reg [2:0]     k_reg;
    reg [4:0]     cnt_reg;                          // leading zeros, then bits of the value still to read
    reg [W-1:0]   acc_reg;                          // (q << k) | low bits read so far, then counted down
    reg           big_reg;                          //   a 1 bit fell off its top
    reg           first_reg;                        // symbol lo
    reg [R-1:0]   pos_reg;                          // spread position; the fill's cell
    reg [R-1:0]   mask_reg;                         // 2^log - 1
    reg [XW-1:0]  x_reg;                            // the spread's cell counter (nb, base)
    reg           ph_reg;                           // fill: 0 read the symbol, 1 write the cell
    reg           prime_reg;                        // fill: the first read, no cell to write yet

    wire [4:0]    log5 = {1'b0, log5_reg} + 5'd5;
    wire [NW-1:0] nb0 = log5[NW-1:0] + 1'b1;           // log + 1: the counter's 0
    assign log = log5;

    // 2^log - 1 and the spread step 2^(log-1) + 2^(log-3) + 3 (log >= 5: no carries), bit by bit,
    // from log - 5
    wire [R-1:0]  mask_w, step_w;
    genvar g;
    generate
        for (g = 0; g < R; g = g + 1) begin : g_bit
            localparam [4:0] G = g;
            assign mask_w[g] = g < 5 || {1'b0, log5_reg} > G - 5'd5;
            assign step_w[g] = g < 2 || {1'b0, log5_reg} == G - 5'd4 || {1'b0, log5_reg} == G - 5'd2;
        end
    endgenerate

    assign want = st_reg == B_HDR || st_reg == B_ZER || st_reg == B_VAL;
    wire take = want && bit_valid;
    assign ready = st_reg == B_IDLE;
    wire fill = st_reg == B_FILL;

    // acc: shifted (2 acc + bit) while reading, decremented (acc - 1) while counting cells
    wire          shift = st_reg == B_ZER || st_reg == B_VAL;
    wire [W:0]    acc_next = {1'b0, acc_reg} + (shift ? {1'b0, acc_reg} : {(W+1){1'b1}}) +
                             {{W{1'b0}}, shift && bit_in};
    wire          acc_k = !big_reg && acc_reg == {{(W-1){1'b0}}, 1'b1} << k_reg;    // acc == 2^k
    wire [4:0]    cnt_next = cnt_reg + (st_reg == B_VAL ? 5'h1f : bit_in ? {2'b00, k_reg} : 5'd1);

    wire          hdr_bad = {1'b0, log5_reg} > R5 || s_reg > hi_reg ||
                            (NCODES < (1 << CB) && {1'b0, hi_reg} >= NCODES[CB:0]);
    wire          at_hi = s_reg == hi_reg;

    // the spread walk; it is back at 0 after 2^log cells. The fill walks the cells in steps of 1
    // (0 in its first clock, which reads cell 0 and writes none).
    wire [R-1:0]  step = fill ? {{(R-1){1'b0}}, !prime_reg} : step_w;
    wire [R-1:0]  pos_next = (pos_reg + step) & mask_reg;
    wire          wrap = pos_next == {R{1'b0}};

    // ------------------------------------------------------------------ the two RAMs
    // counts (then next[s] during the fill) as counters (nb, base), indexed by symbol
    wire          c_we;
    wire [XW-1:0] c_wd;
    wire [XW-1:0] c_rd;
    wire [CB-1:0] sb = rd_data[R + NB_BITS +: CB];
    ntc_sdp_ram #(.ADDR_BITS(CB), .DATA_BITS(XW)) ram_count (
        .clk(clk), .wr_en(c_we), .wr_addr(s_reg), .wr_data(c_wd),
        .rd_en(1'b1), .rd_addr(sb), .rd_data(c_rd));

    // the decode table
    wire          t_we;
    wire [CELL_BITS-1:0] t_wd;
    wire [NB_BITS-1:0] c_nb;
    generate
        if (NB_BITS >= NW) begin : g_nb_wide
            assign c_nb = {{(NB_BITS-NW){1'b0}}, c_rd[R +: NW]};
        end else begin : g_nb_narrow
            assign c_nb = c_rd[R +: NB_BITS];
        end
    endgenerate
    assign t_wd = {1'b0, s_reg, c_nb, c_rd[R-1:0]};
    ntc_sdp_ram #(.ADDR_BITS(R), .DATA_BITS(CELL_BITS)) ram_table (
        .clk(clk), .wr_en(t_we), .wr_addr(pos_reg), .wr_data(t_wd),
        .rd_en(fill || rd_en), .rd_addr(fill ? pos_next : rd_addr), .rd_data(rd_data));

    // ------------------------------------------------------------------ the counter step
    // (nb, base) -> (nb, base + 2^nb), or (nb - 1, 0) when that reaches 2^log; (log + 1, 0) -> (log, 0)
    wire [XW-1:0] xi = fill ? c_rd : x_reg;
    wire [NW-1:0] xi_nb = xi[R +: NW];
    // base + 2^nb is at most 2^log (2^(log+1) from the 0): it reached 2^log when its low log bits are 0
    wire [R-1:0]  xsum = (xi[R-1:0] + ({{(R-1){1'b0}}, 1'b1} << xi_nb)) & mask_reg;
    wire          xovf = xsum == {R{1'b0}};
    assign c_wd = {xi_nb - {{(NW-1){1'b0}}, xovf}, xsum};

    wire          spr = st_reg == B_SPR;
    wire          last = at_hi ? wrap : acc_k;      // the symbol's last cell
    wire          fill_w = fill && ph_reg && !prime_reg;
    assign t_we = spr || fill_w;
    assign c_we = (spr && last) || fill_w;

    assign err = (st_reg == B_CHK && hdr_bad) || (st_reg == B_CNT && acc_k && first_reg) ||
                 (spr && !at_hi && wrap) ||
                 (st_reg == B_ZER && take && !bit_in && cnt_reg == 5'd17);

    // acc: cleared before each symbol, shifted while reading its count, then counted down
    always @(posedge clk)
        if (st_reg == B_CHK) begin
            acc_reg <= {W{1'b0}};
            big_reg <= 1'b0;
        end else if ((take && st_reg != B_HDR) || st_reg == B_CNT || st_reg == B_SPR) begin
            acc_reg <= acc_next[W-1:0];
            big_reg <= big_reg || (st_reg == B_VAL && acc_next[W]);
        end
    always @(posedge clk)
        if (st_reg == B_CHK)
            x_reg <= {nb0, {R{1'b0}}};              // counts 0
        else if (st_reg == B_SPR)
            x_reg <= c_wd;
    always @(posedge clk) begin
        case (st_reg)
            B_HDR: if (take) begin
                {log5_reg, s_reg, hi_reg, k_reg} <= {log5_reg[2:0], s_reg, hi_reg, k_reg, bit_in};
                if (log5_reg[3])
                    st_reg <= B_CHK;
            end
            B_CHK: begin                            // and before each symbol
                mask_reg <= mask_w;
                cnt_reg <= 5'd0;
                st_reg <= hdr_bad ? B_IDLE : at_hi ? B_SPR : B_ZER;
            end
            B_ZER: if (take) begin
                cnt_reg <= cnt_next;
                if (!bit_in) begin
                    if (cnt_reg == 5'd17)
                        st_reg <= B_IDLE;
                end else
                    st_reg <= cnt_next == 5'd0 ? B_CNT : B_VAL;
            end
            B_VAL: if (take) begin
                cnt_reg <= cnt_next;
                if (cnt_reg == 5'd1)
                    st_reg <= B_CNT;
            end
            B_CNT: begin
                first_reg <= 1'b0;
                if (acc_k) begin                    // count 0
                    s_reg <= s_reg + 1'b1;
                    st_reg <= first_reg ? B_IDLE : B_CHK;
                end else
                    st_reg <= B_SPR;
            end
            B_SPR: begin
                pos_reg <= pos_next;
                if (!at_hi && wrap) begin
                    st_reg <= B_IDLE;
                end else if (last) begin
                    if (at_hi) begin
                        ph_reg <= 1'b1;
                        prime_reg <= 1'b1;
                        st_reg <= B_FILL;
                    end else begin
                        s_reg <= s_reg + 1'b1;
                        st_reg <= B_CHK;
                    end
                end
            end
            B_FILL: begin
                ph_reg <= !ph_reg;
                if (ph_reg) begin
                    prime_reg <= 1'b0;
                    pos_reg <= pos_next;
                    if (!prime_reg && wrap)
                        st_reg <= B_IDLE;
                end else
                    s_reg <= sb;
            end
            default: ;   // B_IDLE
        endcase
        if (start) begin
            st_reg <= B_HDR;
            {log5_reg, s_reg, hi_reg, k_reg} <= {{(HW-1){1'b0}}, 1'b1};
            first_reg <= 1'b1;
            pos_reg <= {R{1'b0}};
        end
        if (rst)
            st_reg <= B_IDLE;
    end
endmodule

`default_nettype wire
