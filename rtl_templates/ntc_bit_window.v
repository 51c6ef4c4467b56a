// ntc_bit_window — a window on an MSB-first bit stream: refilled IN_BITS at a time at its bottom,
// read at a variable depth.
//
// The valid bits are the low `cnt` bits of the window, the next stream bit at position cnt - 1.
// Refills shift the window left by a constant (no multiplexer on the refill side); the read side
// is one right shift by cnt + K - peek_k (cnt - peek_k without ZERO_FILL), written as explicit
// stages so that synthesis keeps log2 levels of 2:1 multiplexers. `peek` holds the next peek_k
// bits right-aligned; the bits above them are NOT cleared (the caller masks). With ZERO_FILL,
// bits past the valid ones read as zero.
// A refill may drop its first in_skip bits (a stream that starts inside a word).
`default_nettype none
`timescale 1ns / 1ps

module ntc_bit_window #(
    parameter WIN = 18,             // bits the window holds (>= IN_BITS)
    parameter IN_BITS = 8,          // bits per refill
    parameter K = 11,               // width of the peek port: the widest read
    parameter G = 1,                // granularity: counts, reads and skips are multiples of G bits (power of 2)
    parameter CW = 6,               // width of bit counts; 2^CW > WIN + K
    parameter ZERO_FILL = 1         // 1: bits past the valid ones read as zero; 0: peek is only
                                    // meaningful when cnt >= peek_k (a narrower shifter)
) (
    input  wire               clk,
    input  wire               rst,
    input  wire               clear,      // forget every bit (a jump); wins over a refill
    input  wire [IN_BITS-1:0] in_data,    // MSB first
    input  wire               in_valid,
    input  wire               in_allow,
    input  wire [CW-1:0]      in_skip,
    output wire               in_take,
    input  wire [CW-1:0]      peek_k,
    output wire [K-1:0]       peek,
    output wire               enough,     // cnt >= peek_k
    input  wire               take_en,
    input  wire [CW-1:0]      take_k,     // <= cnt when take_en
    output wire [CW-1:0]      cnt
);
    localparam GL = $clog2(G);
    localparam UW = CW - GL;                      // counts in units of G
    localparam integer ROOM_I = (WIN - IN_BITS) / G;
    localparam integer IN_I = IN_BITS / G;
    localparam integer K_I = K / G;
    localparam [UW-1:0] ROOM = ROOM_I[UW-1:0];
    localparam [UW-1:0] IN_U = IN_I[UW-1:0];
    localparam [UW-1:0] K_U = K_I[UW-1:0];

    reg [WIN-1:0] win_reg;
    reg [UW-1:0]  cnt_reg;

    wire [UW-1:0] take_u = take_en ? take_k[CW-1:GL] : {UW{1'b0}};
    wire [UW-1:0] after_u = cnt_reg - take_u;
    assign in_take = in_valid && in_allow && !clear && after_u <= ROOM;

    always @(posedge clk) begin
        if (in_take)
            cnt_reg <= after_u + IN_U - in_skip[CW-1:GL];
        else
            cnt_reg <= after_u;
        if (clear)
            cnt_reg <= {UW{1'b0}};
        if (rst)
            cnt_reg <= {UW{1'b0}};
    end

    generate
        if (WIN > IN_BITS) begin : g_shift_in
            always @(posedge clk)
                if (in_take)
                    win_reg <= {win_reg[WIN-IN_BITS-1:0], in_data};
        end else begin : g_load
            always @(posedge clk)
                if (in_take)
                    win_reg <= in_data;
        end
    endgenerate

    // read side: {win, K zeros} >> (cnt + K - peek_k), or win >> (cnt - peek_k), one stage per
    // bit of the amount
    localparam PW = ZERO_FILL ? WIN + K : WIN;
    localparam SW = $clog2((ZERO_FILL ? WIN + K : WIN) / G + 1);   // bits of the shift amount, in units of G
    // {borrow, cnt - peek_k}: the borrow also says whether the window holds peek_k bits
    wire [UW:0]   diff = {1'b0, cnt_reg} - {1'b0, peek_k[CW-1:GL]};
    wire [UW-1:0] sh_full = diff[UW-1:0] + (ZERO_FILL ? K_U : {UW{1'b0}});
    assign enough = !diff[UW];
    wire [SW-1:0] sh_u = sh_full[SW-1:0];
    wire [PW-1:0] first_stage;
    generate
        if (ZERO_FILL) begin : g_zero_fill
            assign first_stage = {win_reg, {K{1'b0}}};
        end else begin : g_no_fill
            assign first_stage = win_reg;
        end
    endgenerate
    reg [PW-1:0] last_stage;
    integer i;
    always @* begin
        last_stage = first_stage;
        for (i = 0; i < SW; i = i + 1)
            if (sh_u[i])
                last_stage = last_stage >> (G << i);   // stage i: a shift by G * 2^i or none
    end
    /* verilator lint_off UNUSED */
    wire [GL:0] unused_low = {peek_k[GL:0] ^ take_k[GL:0] ^ in_skip[GL:0]};
    wire [UW-1:0] unused_sh = sh_full;
    /* verilator lint_on UNUSED */
    assign peek = last_stage[K-1:0];
    generate
        if (GL == 0) begin : g_cnt
            assign cnt = cnt_reg;
        end else begin : g_cnt_g
            assign cnt = {cnt_reg, {GL{1'b0}}};
        end
    endgenerate
endmodule

`default_nettype wire
