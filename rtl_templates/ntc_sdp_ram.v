// ntc_sdp_ram — simple dual-port RAM: one write port, one registered read port (block RAM).
//
// The read port may be narrower than the write port (RD_BITS < DATA_BITS: the word at write
// address w holds read words w * DATA_BITS / RD_BITS and up, the lowest bits first); block RAM
// has such ports, so a byte read costs no multiplexer.
// A read of the address being written in the same cycle returns the old word; the decoder core
// never relies on that word (it counts a word as readable only after the cycle that wrote it).
`default_nettype none
`timescale 1ns / 1ps

module ntc_sdp_ram #(
    parameter ADDR_BITS = 10,       // 2^ADDR_BITS words written
    parameter DATA_BITS = 32,       // bits per written word
    parameter RD_BITS = DATA_BITS,  // bits per read word: DATA_BITS / 2^j
    parameter RD_ADDR_BITS = ADDR_BITS + $clog2(DATA_BITS / RD_BITS) // width of a read address
) (
    input  wire                    clk,
    input  wire                    wr_en,
    input  wire [ADDR_BITS-1:0]    wr_addr,
    input  wire [DATA_BITS-1:0]    wr_data,
    input  wire                    rd_en,
    input  wire [RD_ADDR_BITS-1:0] rd_addr,
    output wire [RD_BITS-1:0]      rd_data
);
    localparam RL = RD_ADDR_BITS - ADDR_BITS;   // read words per written word: 2^RL

    reg [RD_BITS-1:0] mem [0:(1 << RD_ADDR_BITS) - 1];
    reg [RD_BITS-1:0] rd_data_reg;

    genvar i;
    generate
        if (RL == 0) begin : g_same
            always @(posedge clk)
                if (wr_en)
                    mem[wr_addr] <= wr_data;
        end else begin : g_narrow
            for (i = 0; i < (1 << RL); i = i + 1) begin : g_lane
                localparam [RL-1:0] LO = i;
                always @(posedge clk)
                    if (wr_en)
                        mem[{wr_addr, LO}] <= wr_data[i * RD_BITS +: RD_BITS];
            end
        end
    endgenerate

    always @(posedge clk)
        if (rd_en)
            rd_data_reg <= mem[rd_addr];

    assign rd_data = rd_data_reg;
endmodule

`default_nettype wire
