// accel_top — a generated ntc decoder feeding the matrix-vector engine (examples/accelerator).
//
//   compressed weights (32-bit AXI-Stream from DRAM/DMA) -> bf16_q20_decoder (tANS decode, then
//   the bridge: round(w 2^20) in 24 bits) -> mv_engine (y = W x, exact, one MAC per clock)
//   activations (16-bit AXI-Stream) --------------------------^
//
// The decoder's m_axis is wired straight to the engine's weight port: both speak AXI-Stream, so
// there is nothing in between. `error` is the decoder's (corrupt stream) or the engine's (a
// weight stream whose tlast does not match the matrix).
`default_nettype none
`timescale 1ns / 1ps

module accel_top #(
    parameter ROWS = 172,               // rows of the matrix
    parameter COLS = 64                 // columns of the matrix
) (
    input  wire        clk,
    input  wire        rst,

    input  wire [31:0] s_axis_tdata,    // the compressed weight stream
    input  wire        s_axis_tvalid,
    output wire        s_axis_tready,
    input  wire        s_axis_tlast,

    input  wire [15:0] s_act_tdata,     // activations, Q3.12
    input  wire        s_act_tvalid,
    output wire        s_act_tready,

    output wire [47:0] m_y_tdata,       // y, Q.32 (w 2^20 times x 2^12)
    output wire        m_y_tvalid,
    input  wire        m_y_tready,
    output wire        m_y_tlast,

    output wire        error
);
    wire [23:0] w_tdata;
    wire        w_tvalid, w_tready, w_tlast;
    wire        dec_error, eng_error;

    bf16_q20_decoder decoder (
        .clk(clk), .rst(rst),
        .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready),
        .s_axis_tlast(s_axis_tlast),
        .m_axis_tdata(w_tdata), .m_axis_tvalid(w_tvalid), .m_axis_tready(w_tready), .m_axis_tlast(w_tlast),
        .error(dec_error));

    mv_engine #(.ROWS(ROWS), .COLS(COLS), .W_BITS(24), .A_BITS(16), .ACC_BITS(48)) engine (
        .clk(clk), .rst(rst),
        .s_act_tdata(s_act_tdata), .s_act_tvalid(s_act_tvalid), .s_act_tready(s_act_tready),
        .s_w_tdata(w_tdata), .s_w_tvalid(w_tvalid), .s_w_tready(w_tready), .s_w_tlast(w_tlast),
        .m_y_tdata(m_y_tdata), .m_y_tvalid(m_y_tvalid), .m_y_tready(m_y_tready), .m_y_tlast(m_y_tlast),
        .error(eng_error));

    assign error = dec_error || eng_error;
endmodule

`default_nettype wire
