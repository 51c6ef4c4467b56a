// factory_top — the token factory (examples/token_factory): compressed weight streams shared by
// several compute engines, each working for a different token.
//
//   LANES decoders, each on its own compressed stream (slice d of the matrix rows), and per
//   decoder TOKENS engines (examples/accelerator/mv_engine.v): every decoded weight goes to all
//   TOKENS engines of its slice at once, which multiply it by their own token's activations.
//   One pass over the compressed weights from DRAM serves TOKENS tokens, and LANES decoders
//   deliver LANES weights per clock.
//
// Broadcast: a weight leaves decoder d when every enabled engine of slice d can take it (valid
// to each engine only then; ready = AND of the enabled engines' readys). Token k's activations
// go to its LANES engines the same way. tok_en[k] = 0 leaves token k's engines out (they neither
// hold the stream back nor take weights), so one build measures 1..TOKENS tokens.
`default_nettype none
`timescale 1ns / 1ps

module factory_top #(
    parameter LANES = 2,                // decoders, one stream (row slice) each
    parameter TOKENS = 8,               // engines per decoder: tokens served by one pass
    parameter ROWS = 256,               // rows per slice
    parameter COLS = 64                 // columns of the matrix
) (
    input  wire                       clk,
    input  wire                       rst,
    input  wire [TOKENS-1:0]          tok_en,

    input  wire [LANES*32-1:0]        s_axis_tdata,     // compressed slice d at [32 d +: 32]
    input  wire [LANES-1:0]           s_axis_tvalid,
    output wire [LANES-1:0]           s_axis_tready,
    input  wire [LANES-1:0]           s_axis_tlast,

    input  wire [TOKENS*16-1:0]       s_act_tdata,      // token k's activations at [16 k +: 16]
    input  wire [TOKENS-1:0]          s_act_tvalid,
    output wire [TOKENS-1:0]          s_act_tready,

    output wire [LANES*TOKENS*48-1:0] m_y_tdata,        // engine (d, k) at [48 (d TOKENS + k) +: 48]
    output wire [LANES*TOKENS-1:0]    m_y_tvalid,
    input  wire [LANES*TOKENS-1:0]    m_y_tready,
    output wire [LANES*TOKENS-1:0]    m_y_tlast,

    output wire                       error
);
    wire [LANES*TOKENS-1:0] act_ready, w_ready, eng_error;
    wire [LANES-1:0]        dec_error;

    genvar d, k;
    generate
        for (k = 0; k < TOKENS; k = k + 1) begin : g_act
            wire [LANES-1:0] r;
            for (d = 0; d < LANES; d = d + 1) begin : g_r
                assign r[d] = act_ready[d * TOKENS + k];
            end
            assign s_act_tready[k] = &r;
        end
        for (d = 0; d < LANES; d = d + 1) begin : g_lane
            wire [23:0] w_tdata;
            wire        w_tvalid, w_tlast;
            wire [TOKENS-1:0] r = w_ready[d * TOKENS +: TOKENS] | ~tok_en;
            wire        w_tready = &r;

            bf16_q20_decoder decoder (
                .clk(clk), .rst(rst),
                .s_axis_tdata(s_axis_tdata[32 * d +: 32]), .s_axis_tvalid(s_axis_tvalid[d]),
                .s_axis_tready(s_axis_tready[d]), .s_axis_tlast(s_axis_tlast[d]),
                .m_axis_tdata(w_tdata), .m_axis_tvalid(w_tvalid), .m_axis_tready(w_tready),
                .m_axis_tlast(w_tlast), .error(dec_error[d]));

            for (k = 0; k < TOKENS; k = k + 1) begin : g_eng
                mv_engine #(.ROWS(ROWS), .COLS(COLS), .W_BITS(24), .A_BITS(16), .ACC_BITS(48)) engine (
                    .clk(clk), .rst(rst),
                    .s_act_tdata(s_act_tdata[16 * k +: 16]),
                    .s_act_tvalid(s_act_tvalid[k] && s_act_tready[k]),
                    .s_act_tready(act_ready[d * TOKENS + k]),
                    .s_w_tdata(w_tdata), .s_w_tvalid(w_tvalid && w_tready && tok_en[k]),
                    .s_w_tready(w_ready[d * TOKENS + k]), .s_w_tlast(w_tlast),
                    .m_y_tdata(m_y_tdata[48 * (d * TOKENS + k) +: 48]), .m_y_tvalid(m_y_tvalid[d * TOKENS + k]),
                    .m_y_tready(m_y_tready[d * TOKENS + k]), .m_y_tlast(m_y_tlast[d * TOKENS + k]),
                    .error(eng_error[d * TOKENS + k]));
            end
        end
    endgenerate

    assign error = |dec_error || |eng_error;
endmodule

`default_nettype wire
