// ntc_bridge — the bridge stage of a value type's decoder: (code, raw bits) in, the value as fp32
// bits or as saturating fixed point out (spec/language.md, `bridge`), as T_to_fp32 / T_to_fixed
// compute it in C. Two pipeline stages, one word per clock, AXI-Stream-like handshakes.
//
// Every finite value of an ntc value type is, per code, sign * N * 2^E with
//     r = rev ? ~raw : raw              (RBITS raw bits; posits' negative half counts down)
//     N = BASE + (r mod 2^FB)           (a signed integer: ranges, binades with the hidden one)
//     E = EB + ((r >> FB) << ESHIFT)    (binades: the exponent bits above the fraction)
// which the compiler derives from the code table (a range [lo, hi) with 2^b steps needs a step
// that is a power of two and lo a multiple of it). Codes with one value (exact values, zeros,
// NaN, infinities) carry their output as a constant. The code's entry comes from outside
// (tab_addr -> tab_data, combinational: a small ROM the wrapper generates).
//   stage 1: entry, r, N, E, sign and |N|;
//   stage 2: round |N| 2^E to the output (ties to even), saturate, apply the sign.
// fp32: q = round(|N| 2^sh) with sh = 23 - msb(|N|) for normal results and E + 149 for
// subnormal ones; the bits are (biased exponent - 1) << 23 + q, so a mantissa that rounds up to
// 2^24 carries into the exponent, and at or beyond 0x7f800000 the result is infinity.
// fixed(W, F): q = round(|N| 2^(E + F)), saturated to 2^(W-1) - 1 (or 2^(W-1) when negative).
`default_nettype none
`timescale 1ns / 1ps

module ntc_bridge #(
    parameter CODE_BITS = 4,            // width of a code number
    parameter RAW_BITS = 4,             // width of the raw input (the widest code's raw bits)
    parameter OUT_BITS = 32,            // output width: 32 for fp32, W for fixed(W, F)
    parameter FP32 = 1,                 // 1: fp32 bits; 0: fixed point
    parameter FRAC = 0,                 // fixed point: fraction bits F (0 <= F < 64)
    parameter NW = 8,                   // width of N (signed)
    parameter EW = 8,                   // width of E and EB (signed)
    parameter RBW = 4,                  // width of the RBITS and FB fields
    parameter TAB_BITS = 3 + 2 * RBW + 3 + NW + EW + OUT_BITS // width of an entry
) (
    input  wire                 clk,
    input  wire                 rst,

    input  wire [CODE_BITS-1:0] s_code,
    input  wire [RAW_BITS-1:0]  s_raw,
    input  wire                 s_valid,
    output wire                 s_ready,
    input  wire                 s_last,

    // the code's entry: {CONST, NEG, REV, RBITS, FB, ESHIFT[2:0], BASE, EB, CVAL}
    output wire [CODE_BITS-1:0] tab_addr,
    input  wire [TAB_BITS-1:0]  tab_data,

    output wire [OUT_BITS-1:0]  m_data,
    output wire                 m_valid,
    input  wire                 m_ready,
    output wire                 m_last
);
    // signed working width of exponents and shift amounts
    localparam XW = (EW > 9 ? EW : 9) + 3;
    // rounding result: q below 2^QW, or a flag
    localparam integer QW = FP32 != 0 ? 25 : OUT_BITS + 1;
    localparam LW = $clog2(NW + 1);
    localparam TW = NW + QW + 1;        // working width of the rounding: |N| shifted left up to QW places

    generate
        if (OUT_BITS < 2 || OUT_BITS > 32 || (FP32 != 0 && OUT_BITS != 32) || NW < RAW_BITS + 1 || NW > 64 ||
            RAW_BITS < 1 || EW < RAW_BITS + 1 || FRAC < 0 || FRAC > 63) begin : g_bad
            initial $error("ntc_bridge %m: unsupported parameters");
        end
    endgenerate

    // a global enable: both stages move when the output is free
    reg  v1_reg, v2_reg;
    wire en = !v2_reg || m_ready;
    assign s_ready = en;
    assign tab_addr = s_code;

    // ------------------------------------------------------------------ stage 1
    wire                cst = tab_data[TAB_BITS-1];
    wire                neg = tab_data[TAB_BITS-2];
    wire                rev = tab_data[TAB_BITS-3];
    wire [RBW-1:0]      rbits = tab_data[TAB_BITS-4 -: RBW];
    wire [RBW-1:0]      fb = tab_data[TAB_BITS-4-RBW -: RBW];
    wire [2:0]          eshift = tab_data[TAB_BITS-4-2*RBW -: 3];
    wire [NW-1:0]       base = tab_data[OUT_BITS+EW +: NW];
    wire [EW-1:0]       eb = tab_data[OUT_BITS +: EW];
    wire [OUT_BITS-1:0] cval = tab_data[OUT_BITS-1:0];

    wire [RAW_BITS-1:0] rmask = ~({RAW_BITS{1'b1}} << rbits);
    wire [RAW_BITS-1:0] fmask = ~({RAW_BITS{1'b1}} << fb);
    wire [RAW_BITS-1:0] r = (rev ? ~s_raw : s_raw) & rmask;
    wire [RAW_BITS-1:0] f = r & fmask;
    wire [XW-1:0]       ef = {{(XW-RAW_BITS){1'b0}}, r >> fb} << eshift;
    wire [NW-1:0]       n = base + {{(NW-RAW_BITS){1'b0}}, f};
    wire [XW-1:0]       e = {{(XW-EW){eb[EW-1]}}, eb} + ef;
    wire [NW-1:0]       mag = n[NW-1] ? ~n + 1'b1 : n;

    reg                cst_reg, sign_reg, last1_reg;
    reg [OUT_BITS-1:0] cval_reg;
    reg [NW-1:0]       mag_reg;
    reg [XW-1:0]       e_reg;
    always @(posedge clk) begin
        if (en) begin
            v1_reg <= s_valid;
            cst_reg <= cst;
            cval_reg <= cval;
            sign_reg <= neg ^ n[NW-1];
            mag_reg <= mag;
            e_reg <= e;
            last1_reg <= s_last;
        end
        if (rst)
            v1_reg <= 1'b0;
    end

    // ------------------------------------------------------------------ stage 2
    reg [LW-1:0] p;                      // msb of |N|
    integer i;
    always @* begin
        p = {LW{1'b0}};
        for (i = 0; i < NW; i = i + 1)
            if (mag_reg[i])
                p = i[LW-1:0];
    end
    wire [XW-1:0] px = {{(XW-LW){1'b0}}, p};
    wire          zero = mag_reg == {NW{1'b0}};

    // the shift sh: |N| 2^sh is rounded to an integer q
    // constants in the working width (small integers: nothing is lost)
    /* verilator lint_off WIDTH */
    localparam [XW-1:0] B127 = 127, B149 = 149, C23 = 23, FRACX = FRAC, QWX = QW, FAR = NW + 1;
    /* verilator lint_on WIDTH */
    wire [XW-1:0] e32 = e_reg + px + B127;              // biased exponent of a normal result
    wire          normal = !e32[XW-1] && e32 != {XW{1'b0}};
    wire [XW-1:0] sh = FP32 ? (normal ? C23 - px : e_reg + B149) : e_reg + FRACX;
    wire          left = !sh[XW-1];
    wire [XW-1:0] rs = ~sh + 1'b1;                      // right shift when sh < 0

    // sh >= 0: exact; too far when sh >= QW (and |N| > 0)
    wire [TW-1:0]  magx = {{(QW+1){1'b0}}, mag_reg};
    wire           l_far = !(sh < QWX);
    wire [TW-1:0]  sl = magx << (l_far ? QWX : sh);
    wire           l_ovf = l_far || sl[TW-1:QW] != {(TW-QW){1'b0}};

    // sh < 0: |N| >> rs, ties to even on the guard bit and the sticky bits below it
    wire           r_far = rs > FAR;                    // below half of the last place: 0
    wire [XW-1:0]  rs1 = (r_far ? FAR : rs) - 1'b1;
    wire [TW-1:0]  y = magx >> rs1;                     // q and the guard bit
    wire [TW-1:0]  below = ~({TW{1'b1}} << rs1);
    wire           sticky = (magx & below) != {TW{1'b0}};
    wire [TW-1:0]  r_q = (y >> 1) + {{(TW-1){1'b0}}, y[0] && (sticky || y[1])};

    reg  [QW-1:0]  q;
    reg            ovf;
    always @* begin
        if (zero || (!left && r_far)) begin
            q = {QW{1'b0}};
            ovf = 1'b0;
        end else if (left) begin
            q = sl[QW-1:0];
            ovf = l_ovf;
        end else begin
            q = r_q[QW-1:0];
            ovf = r_q[TW-1:QW] != {(TW-QW){1'b0}};
        end
    end

    wire [OUT_BITS-1:0] value;
    generate
        if (FP32 != 0) begin : g_fp32
            localparam [XW-1:0] E255 = 255;
            /* verilator lint_off UNUSED */
            wire [XW-1:0] em1 = e32 - 1'b1;                 // only below 255 (else inf)
            wire          unused_ovf = ovf;                 // q < 2^25 here by construction
            /* verilator lint_on UNUSED */
            wire [31:0]   bits = (normal ? {1'b0, em1[7:0], 23'd0} : 32'd0) + {7'd0, q};
            wire          inf = (normal && !(e32 < E255)) || bits[30:23] == 8'hff || bits[31];
            assign value = {sign_reg, zero ? 31'd0 : inf ? 31'h7f800000 : bits[30:0]};
        end else begin : g_fixed
            localparam [QW-1:0] MAXN = {2'b01, {(OUT_BITS-1){1'b0}}};   // 2^(W-1)
            localparam [QW-1:0] MAXP = MAXN - 1'b1;
            wire [QW-1:0] lim = sign_reg ? MAXN : MAXP;
            wire [QW-1:0] m = (ovf || q > lim) ? lim : q;
            /* verilator lint_off UNUSED */
            wire [QW-1:0] s = sign_reg ? ~m + 1'b1 : m;   // the top bit is a copy of the sign
            /* verilator lint_on UNUSED */
            assign value = s[OUT_BITS-1:0];
        end
    endgenerate

    reg [OUT_BITS-1:0] data_reg;
    reg                last2_reg;
    always @(posedge clk) begin
        if (en) begin
            v2_reg <= v1_reg;
            data_reg <= cst_reg ? cval_reg : value;
            last2_reg <= last1_reg;
        end
        if (rst)
            v2_reg <= 1'b0;
    end

    assign m_data = data_reg;
    assign m_valid = v2_reg;
    assign m_last = last2_reg;
endmodule

`default_nettype wire
