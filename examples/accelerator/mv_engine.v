// mv_engine — a fixed-point matrix-vector engine: y = W x, one multiply-accumulate per clock.
//
// Activations come first on s_act (COLS signed words, the vector x, kept in registers); then
// the weights on s_w, row by row (ROWS x COLS signed fixed-point words, row-major), straight from
// an ntc decoder's bridge output (`bridge fixed(W, F)`). After each row, y[row] = sum of
// w[row][c] x[c] leaves on m_y (ACC_BITS, exact: no rounding anywhere), tlast on the last row.
// Then the engine waits for the next vector. Pipeline: weight in -> product register ->
// accumulator -> y register; s_w_tready drops only while a finished row waits for m_y_tready.
// `error` (sticky until rst) flags a weight stream whose tlast does not fall on the matrix's
// last weight.
`default_nettype none
`timescale 1ns / 1ps

module mv_engine #(
    parameter ROWS = 4,                 // rows of W (outputs)
    parameter COLS = 4,                 // columns of W (inputs)
    parameter W_BITS = 24,              // weight width (the decoder's fixed(W, F) output)
    parameter A_BITS = 16,              // activation width
    parameter ACC_BITS = 48             // accumulator and output width (>= W_BITS + A_BITS + log2(COLS))
) (
    input  wire                clk,
    input  wire                rst,

    input  wire [A_BITS-1:0]   s_act_tdata,
    input  wire                s_act_tvalid,
    output wire                s_act_tready,

    input  wire [W_BITS-1:0]   s_w_tdata,
    input  wire                s_w_tvalid,
    output wire                s_w_tready,
    input  wire                s_w_tlast,

    output wire [ACC_BITS-1:0] m_y_tdata,
    output wire                m_y_tvalid,
    input  wire                m_y_tready,
    output wire                m_y_tlast,

    output wire                error
);
    localparam CB = COLS > 1 ? $clog2(COLS) : 1;
    localparam RB = ROWS > 1 ? $clog2(ROWS) : 1;
    localparam PB = W_BITS + A_BITS;
    /* verilator lint_off WIDTH */
    localparam [CB-1:0] LAST_COL = COLS - 1;   // fits: CB = clog2(COLS)
    localparam [RB-1:0] LAST_ROW = ROWS - 1;
    /* verilator lint_on WIDTH */

    generate
        if (ACC_BITS < PB + CB) begin : g_bad
            initial $error("mv_engine %m: ACC_BITS too small for exact sums");
        end
    endgenerate

    reg                 loading_reg;     // taking activations
    reg  [CB-1:0]       col_reg;         // column of the next activation or weight
    reg  [RB-1:0]       row_reg;         // row of the next weight
    reg  [A_BITS-1:0]   x_reg [0:COLS-1];

    reg                 p_valid_reg, p_end_reg, p_last_reg;
    reg  [PB-1:0]       p_reg;           // w x, signed
    reg  [ACC_BITS-1:0] acc_reg;
    reg                 y_valid_reg, y_last_reg, err_reg;
    reg  [ACC_BITS-1:0] y_reg;

    // the accumulator moves unless a finished row finds the y register still full
    wire advance = !(p_valid_reg && p_end_reg && y_valid_reg && !m_y_tready);
    wire a_fire = s_act_tvalid && loading_reg;
    wire w_fire = s_w_tvalid && !loading_reg && advance;
    assign s_act_tready = loading_reg;
    assign s_w_tready = !loading_reg && advance;

    wire end_of_row = col_reg == LAST_COL;
    wire end_of_matrix = end_of_row && row_reg == LAST_ROW;
    wire signed [PB-1:0] prod = $signed(s_w_tdata) * $signed(x_reg[col_reg]);
    wire [ACC_BITS-1:0] sum = acc_reg + {{(ACC_BITS-PB){p_reg[PB-1]}}, p_reg};

    always @(posedge clk) begin
        if (a_fire) begin
            x_reg[col_reg] <= s_act_tdata;
            col_reg <= end_of_row ? {CB{1'b0}} : col_reg + 1'b1;
            if (end_of_row)
                loading_reg <= 1'b0;
        end
        if (w_fire) begin
            p_reg <= prod;
            p_end_reg <= end_of_row;
            p_last_reg <= end_of_matrix;
            col_reg <= end_of_row ? {CB{1'b0}} : col_reg + 1'b1;
            if (end_of_row)
                row_reg <= end_of_matrix ? {RB{1'b0}} : row_reg + 1'b1;
            if (end_of_matrix)
                loading_reg <= 1'b1;     // the next vector
            if (s_w_tlast != end_of_matrix)
                err_reg <= 1'b1;
        end
        if (advance) begin
            p_valid_reg <= w_fire;
            if (p_valid_reg)
                acc_reg <= p_end_reg ? {ACC_BITS{1'b0}} : sum;
        end
        if (advance && p_valid_reg && p_end_reg) begin
            y_reg <= sum;
            y_last_reg <= p_last_reg;
            y_valid_reg <= 1'b1;
        end else if (m_y_tready) begin
            y_valid_reg <= 1'b0;
        end
        if (rst) begin
            loading_reg <= 1'b1;
            col_reg <= {CB{1'b0}};
            row_reg <= {RB{1'b0}};
            p_valid_reg <= 1'b0;
            acc_reg <= {ACC_BITS{1'b0}};
            y_valid_reg <= 1'b0;
            err_reg <= 1'b0;
        end
    end

    assign m_y_tdata = y_reg;
    assign m_y_tvalid = y_valid_reg;
    assign m_y_tlast = y_last_reg;
    assign error = err_reg;
endmodule

`default_nettype wire
