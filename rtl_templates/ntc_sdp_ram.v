// ntc_sdp_ram — simple dual-port RAM: one write port, one registered read port (block RAM).
//
// A read of the address being written in the same cycle returns the old word; the decoder core
// never relies on that word (it counts a word as readable only after the cycle that wrote it).
`default_nettype none
`timescale 1ns / 1ps

module ntc_sdp_ram #(
    parameter ADDR_BITS = 10,       // 2^ADDR_BITS words
    parameter DATA_BITS = 32        // bits per word
) (
    input  wire                 clk,
    input  wire                 wr_en,
    input  wire [ADDR_BITS-1:0] wr_addr,
    input  wire [DATA_BITS-1:0] wr_data,
    input  wire                 rd_en,
    input  wire [ADDR_BITS-1:0] rd_addr,
    output wire [DATA_BITS-1:0] rd_data
);
    reg [DATA_BITS-1:0] mem [0:(1 << ADDR_BITS) - 1];
    reg [DATA_BITS-1:0] rd_data_reg;

    always @(posedge clk) begin
        if (wr_en)
            mem[wr_addr] <= wr_data;
        if (rd_en)
            rd_data_reg <= mem[rd_addr];
    end

    assign rd_data = rd_data_reg;
endmodule

`default_nettype wire
