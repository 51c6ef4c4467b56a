// ntc_tans_core — streaming decoder of the ntc stream format (spec/stream.md), tANS coder,
// static model, split types (every code has RAW_BITS raw bits): LANES words per clock (1 or 2).
// VAR_RAW = 1 (LANES = 1): each code has its own raw-bit count (0 .. RAW_BITS, from a table
// outside: rb_code -> rb_bits) and each chunk's raw part is preceded by its byte length as a
// varint (S_RLEN); VAR_RAW = 2: no code has raw bits, every raw part is empty (m_raw is 0).
// ADAPTIVE = 1 (LANES = 1): one model per stream; after the header the core hands the model
// section to ntc_tans_builder bit by bit (S_MODEL, ports mdl_*), drops its padding once the table
// is built, and reads each initial state in the model's log bits (mdl_log) instead of TABLE_LOG.
// BLOCK != 0 (with ADAPTIVE): a model per block of BLOCK words; the varint n goes to the words
// left in the stream, each block (S_BLK) takes min(BLOCK, left) of them as its own count, reads
// its model and initial states, and ends with the final-state check (S_FIN).
//
// Data flow. Input words go into a circular buffer (BUF_LOG). Two readers walk it:
//   - the ANS reader (a byte fetch and an 8-bit-refilled bit window; with LANES = 2 two bytes a
//     clock into a 16-bit-refilled one) parses the header, jumps over each chunk's raw part,
//     reads the sentinel, the initial states and, per word, nb state bits [and an escaped code];
//   - the raw reader reads RAW_BITS per word from the raw part that the ANS reader jumped over:
//     with one byte per word (RAW_BITS = 8, LANES = 1) a byte address (the RAM reads bytes), the
//     chunk ending at the raw part's last byte; otherwise a 32-bit-refilled window and a word
//     counter; with no raw bits at all (VAR_RAW = 2) only the word counter (no raw RAM, no window).
// The raw part of a chunk precedes its ANS part, so the buffer holds a chunk's raw part and its
// worst-case ANS part (the wrapper sizes BUF_LOG); then no valid or corrupt stream can deadlock.
// The word count n is loaded (7 bits per varint byte) and cleared; its high part counts the full
// chunks down.
// The decode table is outside (a ROM in the wrapper, or the builder's RAM; one registered read): cell =
// {escape, symbol[CODE_BITS], nb[NB_BITS], base[TABLE_LOG]}. The STREAM_LANES states rotate
// through a ring of registers whose last stage is the ROM's own address register, so lane i+1's
// cell is read while lane i is decoded; a single lane closes the loop through the ROM.
// LANES = 2: two ROM read ports; words i and i + 1 (different lanes) are decoded in the same clock
// from one read of both words' state bits, their raw bits taken together (the 32-bit window
// reader at any width); an escape or an odd stream's last word goes alone (see g_two).
// Checks (sticky `error`): magic, kind, fingerprint, varint form and size, the model section (mdl_err), zero sentinel byte,
// escaped code >= NCODES, an ANS part not ending on a byte, raw padding, final states, nonzero
// bytes after the stream in its last word, a stream not ending in the word marked by tlast, a
// stream needing bytes after that word. After an error every input word is accepted and dropped.
`default_nettype none
`timescale 1ns / 1ps

module ntc_tans_core #(
    parameter TABLE_LOG = 11,           // R: 2^R table cells; a state is R bits
    parameter STREAM_LANES = 4,         // L: interleaved states in the stream (word i: lane i mod L)
    parameter CODE_BITS = 8,            // width of a code number (escaped codes, the code output)
    parameter NCODES = 256,             // codes of the type; an escaped code must be below this
    parameter RAW_BITS = 8,             // raw bits per word (the same for every code); VAR_RAW = 1: the
                                        //   most of any code (the width of m_raw); VAR_RAW = 2: 1
    parameter VAR_RAW = 0,              // 0: every code has RAW_BITS raw bits; 1: per-code counts (rb_bits),
                                        //   a varint raw-part length per chunk (LANES = 1); 2: no raw bits
    parameter RB_BITS = $clog2(RAW_BITS + 1), // width of a raw-bit count (rb_bits)
    parameter KIND = 8'h10,             // header byte 2: version, adaptive flag, coder
    parameter FINGERPRINT = 16'h0000,   // header bytes 3 and 4 (little-endian)
    parameter CHUNK_LOG = 10,           // words per chunk: 2^CHUNK_LOG
    parameter BUF_LOG = 10,             // input buffer: 2^BUF_LOG 32-bit words
    parameter COUNT_BITS = 32,          // widest word count n accepted in a header (> CHUNK_LOG)
    parameter NB_BITS = 4,              // width of a cell's nb field
    parameter LANES = 1,                // words out per clock: 1, or 2 (needs STREAM_LANES >= 2)
    parameter ADAPTIVE = 0,             // 1: each stream has a model section before its first chunk, read by
                                        //   ntc_tans_builder (mdl_*), which builds the table (LANES = 1)
    parameter BLOCK = 0,                // ADAPTIVE: words per block, each with its model (0: one block a stream)
    parameter CELL_BITS = 1 + CODE_BITS + NB_BITS + TABLE_LOG // width of a decode cell
) (
    input  wire                 clk,
    input  wire                 rst,

    input  wire [31:0]          s_axis_tdata,
    input  wire                 s_axis_tvalid,
    output wire                 s_axis_tready,
    input  wire                 s_axis_tlast,

    output wire [LANES*TABLE_LOG-1:0] rom_addr,   // read port j: rom_addr[j*TABLE_LOG +: TABLE_LOG]
    output wire                 rom_en,
    input  wire [LANES*CELL_BITS-1:0] rom_data,   // read port j's cell, one clock after rom_en

    output wire [CODE_BITS-1:0] rb_code,          // VAR_RAW = 1: the code of the word being decoded
    input  wire [RB_BITS-1:0]   rb_bits,          //   its raw-bit count (combinational, from a table outside)

    output wire [LANES*CODE_BITS-1:0] m_code,     // word j of the beat: m_code[j*CODE_BITS +: CODE_BITS]
    output wire [LANES*RAW_BITS-1:0]  m_raw,      //   and m_raw[j*RAW_BITS +: RAW_BITS] (VAR_RAW: right-aligned,
                                                  //   zero above the code's count)
    output wire [LANES-1:0]     m_keep,           // word j of the beat is valid (all but an odd stream's last beat: all)
    output wire                 m_valid,
    input  wire                 m_ready,
    output wire                 m_last,

    output wire                 mdl_start,        // ADAPTIVE: a model section begins
    output wire                 mdl_valid,        //   mdl_bit is its next bit (taken when mdl_want)
    output wire                 mdl_bit,
    input  wire                 mdl_want,         //   the builder reads a bit
    input  wire                 mdl_ready,        //   no table build running
    input  wire                 mdl_err,          //   the section is malformed
    input  wire [4:0]           mdl_log,          //   the table log: bits of an initial state

    output wire                 error
);
    localparam R = TABLE_LOG;
    localparam L = STREAM_LANES;
    localparam CB = CODE_BITS;
    localparam K0 = (R > CB ? (R > 8 ? R : 8) : (CB > 8 ? CB : 8)); // widest ANS read of one word
    localparam K1 = (VAR_RAW == 1 && K0 < 16) ? 16 : K0;          //   or of a raw-part length (two bytes)
    localparam K = (LANES == 2 && 2 * R > K1) ? 2 * R : K1;       //   of a step (two words: 2 nb)
    localparam AWIN = (LANES == 2) ? 16 + K - 1 : K + 7;          // ANS window
    localparam ACW = $clog2(AWIN + K + 1);
    localparam RG = (RAW_BITS % 8 == 0 && VAR_RAW == 0) ? 8 : 1;  // raw read granularity
    localparam RK = VAR_RAW != 0 ? (RAW_BITS > 7 ? RAW_BITS : 7) :  // raw peek: a word's bits or the padding (VAR_RAW)
                    (RAW_BITS % 8 == 0) ? LANES * RAW_BITS : LANES * RAW_BITS + 7; // the bits and padding
    localparam RWIN = 32 + LANES * RAW_BITS - RG;
    localparam RCW = $clog2(RWIN + RK + 1);
    localparam BA = BUF_LOG + 3;                                 // byte address with a wrap bit
    localparam HI = COUNT_BITS - CHUNK_LOG;
    localparam LCW = $clog2(L + 1);
    localparam [BA-1:0] FULL_RAW_BYTES = ((1 << CHUNK_LOG) * RAW_BITS) / 8;

    localparam [3:0] S_HDR = 4'd0, S_VAR = 4'd1, S_JUMP = 4'd2, S_SENT = 4'd3, S_STATE = 4'd4,
                     S_DEC = 4'd5, S_ESC = 4'd6, S_FIN = 4'd7, S_END = 4'd8, S_MODEL = 4'd9,
                     S_RLEN = 4'd10, S_BLK = 4'd11;
    // the state before each chunk's jump: the raw part's length first when it is given
    localparam [3:0] S_NEXT = VAR_RAW == 1 ? S_RLEN : S_JUMP;

    localparam [ACW-1:0] N8 = 8, N16 = 16, NR = R, NCB = CB;

    // LANES = 2 needs two words of different lanes at once
    generate
        if (LANES != 1 && (LANES != 2 || STREAM_LANES < 2)) begin : g_check
            LANES_must_be_1_or_2_with_STREAM_LANES_at_least_2 check ();
        end
        if (ADAPTIVE != 0 && LANES != 1) begin : g_check_adaptive
            LANES_must_be_1_with_an_adaptive_model check ();
        end
        if (VAR_RAW != 0 && LANES != 1) begin : g_check_var_raw
            LANES_must_be_1_with_per_code_raw_bits check ();
        end
        if (VAR_RAW != 1) begin : g_no_rb
            /* verilator lint_off UNUSED */
            wire unused_rb = ^rb_bits;           // no per-code raw-bit counts
            /* verilator lint_on UNUSED */
        end
    endgenerate

    reg [3:0] state_reg;
    reg       err_reg;
    wire      err_set;
    // forward declarations
    wire [ACW-1:0] a_cnt;
    wire [BA-1:0]  target, p_byte;
    wire           word_out;    // a word goes out (two with pair_fire): its raw bits are taken
    wire           pair_fire;   // LANES = 2: two words are decoded at once
    wire           full_chunk;  // the next chunk has 2^CHUNK_LOG words
    wire           chunk_end;   // the next word out is the chunk's last
    wire           chunk_end2;  //   the one after it is (LANES = 2)
    wire [CHUNK_LOG-1:0] rem_lo;
    reg            m_valid_reg, m_last_reg;
    reg            mstart_reg;  // ADAPTIVE: the first clock of S_MODEL (the builder starts)
    wire           more_blocks; // BLOCK: words left after the current block

    // ------------------------------------------------------------------ input buffer
    reg [BUF_LOG:0] wr_ptr_reg;
    reg             eop_pend_reg;       // a tlast word is in the buffer (the current stream's end)
    reg             eop_old_reg;        //   and was already last cycle
    reg [BUF_LOG:0] lim_reg;            // words below it belong to the stream: wr_ptr, or the tlast word + 1
    reg [BUF_LOG:0] awa_reg;            // ANS reader: word of the next byte to load
    reg [1:0]       abi_reg;            //   and the byte in it
    reg             a_dv_reg;           //   the RAM output holds word awa

    wire full = (wr_ptr_reg ^ r_keep) == {1'b1, {BUF_LOG{1'b0}}};
    wire wr_ok = !full && !(eop_pend_reg && s_axis_tlast);
    wire wr_en = s_axis_tvalid && wr_ok && !err_reg;
    assign s_axis_tready = wr_ok || err_reg;

    wire stream_done;
    wire [BUF_LOG:0] wr_ptr_next = wr_ptr_reg + {{BUF_LOG{1'b0}}, wr_en};

    always @(posedge clk) begin
        if (wr_en) begin
            wr_ptr_reg <= wr_ptr_next;
            if (s_axis_tlast)
                eop_pend_reg <= 1'b1;
        end
        // the limit follows the writer until the tlast word, then waits for the stream's end
        if (!eop_pend_reg || stream_done)
            lim_reg <= wr_ptr_next;
        eop_old_reg <= eop_pend_reg;
        if (stream_done)
            eop_pend_reg <= 1'b0;
        if (rst) begin
            wr_ptr_reg <= {(BUF_LOG+1){1'b0}};
            lim_reg <= {(BUF_LOG+1){1'b0}};
            eop_pend_reg <= 1'b0;
            eop_old_reg <= 1'b0;
        end
    end

    // The buffer is written a 32-bit word at a time and read by byte where a reader takes bytes
    // (the block RAM's read port is then narrower: no byte select).
    localparam AD = 8 * LANES;                             // ANS RAM read width: a byte, or (LANES = 2) a half word
    localparam AAB = BUF_LOG + 3 - LANES;                  //   its read address
    localparam RD = (RAW_BITS == 8 && LANES == 1 && VAR_RAW == 0) ? 8 : 32;  // raw RAM read width: a byte (the byte path) or a word
    localparam RAB = (RD == 8) ? BUF_LOG + 2 : BUF_LOG;      //   its read address
    wire [BUF_LOG:0] awa_next;
    wire [1:0]       abi_next;
    wire [AAB-1:0]   a_rd_addr;         // ANS reader: the byte or word the RAM reads next
    wire [RAB-1:0]   r_rd_addr;         // raw reader: the byte or word the RAM reads next
    wire [AD-1:0]    a_word;
    wire [RD-1:0]    r_word;

    ntc_sdp_ram #(.ADDR_BITS(BUF_LOG), .DATA_BITS(32), .RD_BITS(AD)) ram_ans (
        .clk(clk), .wr_en(wr_en), .wr_addr(wr_ptr_reg[BUF_LOG-1:0]), .wr_data(s_axis_tdata),
        .rd_en(1'b1), .rd_addr(a_rd_addr), .rd_data(a_word));
    generate
        if (VAR_RAW != 2) begin : g_ram_raw
            ntc_sdp_ram #(.ADDR_BITS(BUF_LOG), .DATA_BITS(32), .RD_BITS(RD)) ram_raw (
                .clk(clk), .wr_en(wr_en), .wr_addr(wr_ptr_reg[BUF_LOG-1:0]), .wr_data(s_axis_tdata),
                .rd_en(1'b1), .rd_addr(r_rd_addr), .rd_data(r_word));
        end else begin : g_no_ram_raw
            assign r_word = {RD{1'b0}};    // no raw bits: no raw reader
            /* verilator lint_off UNUSED */
            wire [RAB-1:0] unused_r_rd_addr = r_rd_addr;
            /* verilator lint_on UNUSED */
        end
    endgenerate

    // ------------------------------------------------------------------ ANS reader
    wire [K-1:0]   a_peek;
    wire           have;                // the window holds the bits the current step reads
    reg  [ACW-1:0] need;                // bits the current step reads
    reg  [ACW-1:0] a_take_k;
    wire           a_take_en;
    wire           a_in_take;
    wire           rlen_jump;           // VAR_RAW = 1: the raw part's length is read: jump
    wire [1:0]     rlen_bytes;          //   the bytes of its varint
    wire           jump = (state_reg == S_JUMP || rlen_jump) && !err_reg;

    // past the word marked by tlast: nothing more of this stream will come. a_dv_reg compares
    // awa with last cycle's limit, which is the tlast word + 1 once eop has been pending for a cycle.
    wire stop = eop_pend_reg && eop_old_reg && !a_dv_reg;

    generate
        if (LANES == 1) begin : g_abyte
            // one byte per clock: byte abi of word awa, read by byte
            wire [7:0] a_byte = a_word;
            assign a_rd_addr = {awa_next[BUF_LOG-1:0], abi_next};
            ntc_bit_window #(.WIN(AWIN), .IN_BITS(8), .K(K), .G(1), .CW(ACW), .ZERO_FILL(0)) win_ans (
                .clk(clk), .rst(rst), .clear(jump),
                .in_data(a_byte), .in_valid(a_dv_reg), .in_allow(!err_reg),
                .in_skip({ACW{1'b0}}), .in_take(a_in_take),
                .peek_k(need), .peek(a_peek), .enough(have),
                .take_en(a_take_en), .take_k(a_take_k), .cnt(a_cnt));
        end else begin : g_aword
            // LANES = 2 reads up to 2 R bits a clock: two bytes per clock, the half word abi[1]
            // of word awa, its first byte dropped when abi is odd (only from a jump to the first
            // load after it)
            wire [15:0] a_half = a_word;
            assign a_rd_addr = {awa_next[BUF_LOG-1:0], abi_next[1]};
            wire [15:0] a_half_msb = {a_half[7:0], a_half[15:8]};
            ntc_bit_window #(.WIN(AWIN), .IN_BITS(16), .K(K), .G(1), .CW(ACW), .ZERO_FILL(0)) win_ans (
                .clk(clk), .rst(rst), .clear(jump),
                .in_data(a_half_msb), .in_valid(a_dv_reg), .in_allow(!err_reg),
                .in_skip({{(ACW-4){1'b0}}, abi_reg[0], 3'b000}), .in_take(a_in_take),
                .peek_k(need), .peek(a_peek), .enough(have),
                .take_en(a_take_en), .take_k(a_take_k), .cnt(a_cnt));
        end
    endgenerate

    // {awa, abi} is one byte pointer: a load moves it on by a byte (LANES = 1) or to the next half
    // word (LANES = 2), a jump sets it
    wire [BA-1:0] a_ptr = {awa_reg, abi_reg};
    wire [BA-1:0] a_ptr_step = LANES == 1 ? a_ptr + {{(BA-1){1'b0}}, a_in_take}
                                          : {a_ptr[BA-1:1] + {{(BA-2){1'b0}}, a_in_take}, a_ptr[0] && !a_in_take};
    wire [BA-1:0] a_ptr_next = jump ? target : a_ptr_step;
    assign awa_next = a_ptr_next[BA-1:2];
    assign abi_next = a_ptr_next[1:0];
    wire [BUF_LOG:0] a_avail_diff = awa_next - lim_reg;   // negative: word awa_next is readable

    always @(posedge clk) begin
        a_dv_reg <= a_avail_diff[BUF_LOG];
        awa_reg <= awa_next;
        abi_reg <= abi_next;
        if (rst) begin
            awa_reg <= {(BUF_LOG+1){1'b0}};
            abi_reg <= 2'd0;
            a_dv_reg <= 1'b0;
        end
    end

    // No mask on the peeked bits: the byte-wide reads use the low bits of a full peek, and a new
    // state takes bit j from the stream below need and from the cell's base above it.
    wire starve = stop && !have;

    // ------------------------------------------------------------------ raw reader
    // r_bits: the raw bits of the next word; r_have: they are at hand; r_keep: the oldest buffer
    // word the readers still need; r_pad_nz: the raw part's padding (after its last word) is not 0;
    // r_bad (VAR_RAW): the raw part is not as long as its words' raw bits and padding need.
    wire                r_have;
    wire                r_have2;        // LANES = 2: the raw bits of the next two words are at hand
    wire [LANES*RAW_BITS-1:0] r_bits;   // word j's at [j*RAW_BITS +: RAW_BITS]
    wire [BUF_LOG:0]    r_keep;
    wire                r_pad_nz;
    wire                r_bad;
    wire [BA-1:0]       rlen;           // VAR_RAW = 1: the chunk's raw part length (varint), else 0
    assign p_byte = {awa_reg, abi_reg} - {{(BA-ACW+3){1'b0}}, a_cnt[ACW-1:3]};
    // where the raw part starts at a jump: p_byte, or (VAR_RAW = 1) past the varint's last byte,
    // which the jump reads
    wire [BA-1:0] r_start = VAR_RAW == 1 ? p_byte + {{(BA-2){1'b0}}, rlen_bytes} : p_byte;

    generate
        if (RAW_BITS == 8 && LANES == 1 && VAR_RAW == 0) begin : g_raw_byte
            // One byte per word: a byte address into the buffer (the RAM reads bytes). The raw
            // part lies wholly before the ANS part, so by the time the ANS reader has read the
            // sentinel every raw byte of the chunk is in the buffer and the RAM, which re-reads
            // the current word every cycle, shows it.
            // The raw part ends where the ANS reader jumped to: the chunk ends at its last byte.
            reg  [BA-1:0] rba_reg;
            reg  [BA-1:0] raw_end_reg;
            wire [BA-1:0] rba_inc = rba_reg + 1'b1;
            wire [BA-1:0] rba_next = (jump || stream_done) ? p_byte : word_out ? rba_inc : rba_reg;
            always @(posedge clk) begin
                rba_reg <= rba_next;
                if (jump)
                    raw_end_reg <= target;
                if (rst)
                    rba_reg <= {BA{1'b0}};
            end
            assign chunk_end = rba_inc == raw_end_reg;
            assign chunk_end2 = 1'b0;
            assign r_rd_addr = rba_next[BA-2:0];
            assign r_bits = r_word;
            assign r_have = 1'b1;
            assign r_have2 = 1'b0;
            assign r_keep = rba_reg[BA-1:2];
            assign r_pad_nz = 1'b0;
            assign r_bad = 1'b0;
        end else begin : g_raw_count
            // The chunk's end from a count of its words, and the oldest buffer word the ANS reader
            // may still hold (what the buffer keeps once the raw part is loaded, or when there is none).
            reg [BUF_LOG:0] aold_reg;           // oldest word whose bytes the ANS reader may still hold
            wire            a_word_step = a_in_take && (LANES == 1 ? abi_reg == 2'd3 : abi_reg[1]); // the ANS load takes the last bytes of word awa
            always @(posedge clk) begin
                if (jump)
                    aold_reg <= target[BA-1:2];
                else if (a_word_step)   // LANES = 2: the window may still hold bits of the word before
                    aold_reg <= LANES == 1 ? awa_reg : awa_reg - 1'b1;
                if (stream_done)
                    aold_reg <= awa_reg;
                if (rst)
                    aold_reg <= {(BUF_LOG+1){1'b0}};
            end

            // words left in the chunk, modulo 2^CHUNK_LOG: 0 for a full chunk, else n_lo
            reg [CHUNK_LOG-1:0] wc_reg;
            always @(posedge clk)
                if (jump)
                    wc_reg <= full_chunk ? {CHUNK_LOG{1'b0}} : rem_lo;
                else if (word_out)
                    wc_reg <= wc_reg - {{(CHUNK_LOG-2){1'b0}}, pair_fire ? 2'd2 : 2'd1};
            assign chunk_end = wc_reg == {{(CHUNK_LOG-1){1'b0}}, 1'b1};
            assign chunk_end2 = wc_reg == {{(CHUNK_LOG-2){1'b0}}, 2'd2};

            if (VAR_RAW == 2) begin : g_raw_none
                // No raw bits (every code has none): every raw part is empty, nothing to read.
                /* verilator lint_off UNUSED */
                wire [RD-1:0] unused_r_word = r_word;
                /* verilator lint_on UNUSED */
                assign r_rd_addr = {RAB{1'b0}};
                assign r_keep = aold_reg;
                assign r_bits = {(LANES*RAW_BITS){1'b0}};
                assign r_have = 1'b1;
                assign r_have2 = 1'b0;
                assign r_pad_nz = 1'b0;
                assign r_bad = 1'b0;
            end else begin : g_raw_win
                // Any width, and LANES = 2, and per-code raw bits: a 32-bit-refilled window that loads
                // the words of the raw part; a step takes one word's raw bits or (pair_fire) two words'.
                reg [BUF_LOG:0] rwa_reg;            // next word to load
                reg [BUF_LOG:0] rlast_reg;          // last word of the current raw part
                reg             rload_done_reg;     // every word of the raw part loaded
                reg             rfirst_reg;         // next load is the first of the part
                reg [1:0]       rskip_reg;          // bytes of that word before the part
                reg             r_dv_reg;
                wire [RCW-1:0] r_cnt;
                wire [RK-1:0]  r_peek;
                wire           r_enough;
                wire [RCW-1:0] r_peek_k, r_take_k;
                /* verilator lint_off UNUSED */
                wire [BA-1:0]  target_m1 = target - 1'b1;   // only its word address is used
                /* verilator lint_on UNUSED */
                wire           r_in_take;
                wire [31:0]    r_word_msb = {r_word[7:0], r_word[15:8], r_word[23:16], r_word[31:24]};
                wire [RCW-1:0] r_skip = rfirst_reg ? {{(RCW-5){1'b0}}, rskip_reg, 3'b000} : {RCW{1'b0}};
                localparam integer RK_I = RK;
                localparam integer RAW2_I = 2 * RAW_BITS;
                localparam [RCW-1:0] RK_W = RK_I[RCW-1:0];
                localparam [RCW-1:0] RAW_W = RAW_BITS;
                localparam [RCW-1:0] RAW2_W = RAW2_I[RCW-1:0];

                ntc_bit_window #(.WIN(RWIN), .IN_BITS(32), .K(RK), .G(RG), .CW(RCW)) win_raw (
                    .clk(clk), .rst(rst), .clear(jump),
                    .in_data(r_word_msb), .in_valid(r_dv_reg), .in_allow(!rload_done_reg && !err_reg),
                    .in_skip(r_skip), .in_take(r_in_take),
                    .peek_k(r_peek_k), .peek(r_peek), .enough(r_enough),
                    .take_en(word_out), .take_k(r_take_k), .cnt(r_cnt));

                wire [BUF_LOG:0] rwa_next = jump ? r_start[BA-1:2] : stream_done ? awa_reg : rwa_reg + {{BUF_LOG{1'b0}}, r_in_take};
                assign r_rd_addr = rwa_next[BUF_LOG-1:0];
                assign r_keep = rload_done_reg ? aold_reg : rwa_reg;

                always @(posedge clk) begin
                    r_dv_reg <= rwa_next != wr_ptr_reg;
                    rwa_reg <= rwa_next;
                    if (jump) begin
                        rlast_reg <= target_m1[BA-1:2];
                        rload_done_reg <= VAR_RAW != 0 && rlen == {BA{1'b0}};   // an empty raw part
                        rfirst_reg <= 1'b1;
                        rskip_reg <= r_start[1:0];
                    end else if (r_in_take) begin
                        rfirst_reg <= 1'b0;
                        if (rwa_reg == rlast_reg)
                            rload_done_reg <= 1'b1;
                    end
                    if (rst) begin
                        rwa_reg <= {(BUF_LOG+1){1'b0}};
                        rload_done_reg <= 1'b1;
                        rfirst_reg <= 1'b0;
                        r_dv_reg <= 1'b0;
                    end
                end

                if (VAR_RAW == 0) begin : g_fixed
                    // RAW_BITS per word: the peek holds RK bits, the word's (or the pair's) at its top
                    /* verilator lint_off UNUSED */
                    wire unused_enough = r_enough;   // r_have counts RAW_BITS, not RK
                    /* verilator lint_on UNUSED */
                    assign r_peek_k = RK_W;
                    assign r_take_k = pair_fire ? RAW2_W : RAW_W;
                    assign r_have = r_cnt >= RAW_W;
                    assign r_have2 = r_cnt >= RAW2_W;
                    genvar rj;
                    for (rj = 0; rj < LANES; rj = rj + 1) begin : g_rbits
                        assign r_bits[rj * RAW_BITS +: RAW_BITS] = r_peek[RK-1 - rj * RAW_BITS -: RAW_BITS];
                    end
                    assign r_bad = 1'b0;
                    wire [RK-1:0] pad_mask;
                    if (RK > LANES * RAW_BITS) begin : g_pad
                        reg [2:0] rem_pad_reg;
                        wire [2:0] pad = 3'd0 - rem_pad_reg;   // padding bits after the last raw bits
                        always @(posedge clk)
                            if (jump)
                                rem_pad_reg <= full_chunk ? 3'd0 : rem_lo[2:0] * RAW_BITS[2:0];
                        wire [6:0] m7 = ~(7'h7f >> pad);
                        // the padding follows the step's last raw bits: one word's or (pair_fire) two words'
                        if (LANES == 2) begin : g_pad2
                            assign pad_mask = pair_fire ? {{(2 * RAW_BITS){1'b0}}, m7} : {{RAW_BITS{1'b0}}, m7, {RAW_BITS{1'b0}}};
                        end else begin : g_pad1
                            assign pad_mask = {{RAW_BITS{1'b0}}, m7};
                        end
                    end else begin : g_nopad
                        assign pad_mask = {RK{1'b0}};
                    end
                    assign r_pad_nz = (r_peek & pad_mask) != {RK{1'b0}};
                end else begin : g_var
                    // Per-code raw bits (VAR_RAW = 1): the word takes rb bits, which the peek shows right-aligned.
                    // rrem counts the bits of the raw part not yet taken (8 rlen at the jump). A word
                    // asking for more overruns the part: error (and the word goes out, so that nothing
                    // waits for bits that never come). In the clock after the chunk's last word (the
                    // core is then in S_RLEN, S_JUMP or S_FIN and takes no raw bits) the peek shows
                    // the rest of the part: fewer than 8 bits (they lie in the byte of the last raw
                    // bit, so the window holds them), all zero; else error.
                    wire [RB_BITS-1:0] rb = rb_bits;
                    /* verilator lint_off UNUSED */
                    wire [RCW-1:0] unused_cnt = r_cnt;   // r_have comes from the window's `enough`
                    /* verilator lint_on UNUSED */
                    reg  [BA+2:0] rrem_reg;
                    reg           rend_reg;            // the chunk's last word went out last clock
                    wire          rover = {{(BA+3-RB_BITS){1'b0}}, rb} > rrem_reg; // the word's raw bits overrun the part
                    wire [RAW_BITS-1:0] rmask = ~({RAW_BITS{1'b1}} << rb);
                    wire [6:0]    pmask = ~(7'h7f << rrem_reg[2:0]);
                    always @(posedge clk) begin
                        if (jump)
                            rrem_reg <= {rlen, 3'b000};
                        else if (word_out)
                            rrem_reg <= rrem_reg - {{(BA+3-RB_BITS){1'b0}}, rb};
                        rend_reg <= word_out && chunk_end && !err_reg;
                        if (rst)
                            rend_reg <= 1'b0;
                    end
                    assign r_peek_k = rend_reg ? {{(RCW-3){1'b0}}, rrem_reg[2:0]} : {{(RCW-RB_BITS){1'b0}}, rb};
                    assign r_take_k = {{(RCW-RB_BITS){1'b0}}, rb};
                    assign r_have = r_enough || rover;
                    assign r_have2 = 1'b0;
                    assign r_bits = r_peek[RAW_BITS-1:0] & rmask;
                    assign r_pad_nz = 1'b0;
                    assign r_bad = (word_out && rover) ||
                                   (rend_reg && (rrem_reg[BA+2:3] != {BA{1'b0}} || (r_peek[6:0] & pmask) != 7'd0));
                end
            end
        end
    endgenerate

    // ------------------------------------------------------------------ counts
    // n is loaded by the varint and cleared; its high part then counts the full chunks not yet
    // started down (one loadable counter: no separate chunk index and no compare). At a jump,
    // n_hi != 0 means the next chunk is full (2^CHUNK_LOG words); n_hi = 0 and n_lo != 0, the
    // short last one; n_hi = 0 and n_lo = 0, no chunk left. Inside a full chunk, n_hi = 0 (after
    // the jump's decrement) and n_lo = 0 say it is the stream's last.
    reg [HI-1:0]         hic_reg;        // ~n_hi: the full chunks not yet started, complemented
    reg [CHUNK_LOG-1:0]  lo_reg;         // n_lo: words mod 2^CHUNK_LOG
    wire [COUNT_BITS-1:0] n_reg = {~hic_reg, lo_reg};
    reg [3:0]            vidx_reg;       // header byte / varint byte index
    reg                  cshort_reg;     // the chunk is the short last one
    reg                  cfirst_reg;     // the chunk is the stream's first
    reg [LCW-1:0]        lc_reg;         // initial states read
    assign               rem_lo = lo_reg;
    wire                 lo_zero = rem_lo == {CHUNK_LOG{1'b0}};
    wire                 hi_zero = hic_reg == {HI{1'b1}};
    wire                 n_zero = hi_zero && lo_zero;        // at a jump: no chunk left
    assign               full_chunk = !hi_zero;
    wire                 clast = cshort_reg || (hi_zero && lo_zero);   // the chunk is the stream's last

    // raw bytes of this chunk (VAR_RAW = 1: the most it may have; VAR_RAW = 2: none)
    wire [BA-1:0] raw_bytes;
    generate
        if (VAR_RAW == 2) begin : g_rb_none
            assign raw_bytes = {BA{1'b0}};
        end else if (RAW_BITS % 8 == 0) begin : g_rb_bytes
            localparam [BA-1:0] RB = RAW_BITS / 8;
            wire [BA-1:0] part = {{(BA-CHUNK_LOG){1'b0}}, rem_lo} * RB;
            assign raw_bytes = full_chunk ? FULL_RAW_BYTES : part;
        end else begin : g_rb_bits
            localparam [BA+2:0] RBITS = RAW_BITS;
            localparam [BA+2:0] SEVEN = 7;
            /* verilator lint_off UNUSED */
            wire [BA+2:0] bits = {{(BA+3-CHUNK_LOG){1'b0}}, rem_lo} * RBITS + SEVEN;
            /* verilator lint_on UNUSED */
            assign raw_bytes = full_chunk ? FULL_RAW_BYTES : bits[BA+2:3];
        end
    endgenerate
    assign target = r_start + (VAR_RAW == 1 ? rlen : raw_bytes);

    // ------------------------------------------------------------------ decode cells and states
    // cell of read port 0: the next word's
    wire [R-1:0]       cell_base = rom_data[R-1:0];
    wire [NB_BITS-1:0] cell_nb = rom_data[R +: NB_BITS];
    wire [CB-1:0]      cell_sym = rom_data[R + NB_BITS +: CB];
    wire               cell_esc = rom_data[CELL_BITS-1];

    // next state of one step: base + b, b the next nb bits; base has its low nb bits zero
    // (base = x 2^nb - M). An initial state (S_STATE) reads all R bits.
    reg  [R-1:0] nsv;
    integer si;
    always @*
        for (si = 0; si < R; si = si + 1)
            nsv[si] = state_reg == S_STATE ? ((ADAPTIVE == 0 || si < need) ? a_peek[si] : 1'b0)
                                           : (si < cell_nb ? a_peek[si] : cell_base[si]);
    wire         out_free = !m_valid_reg || m_ready;
    wire         out_ok;                 // a word may be decoded: its output has room
    wire         pair_mode;              // LANES = 2: the next step decodes two words
    wire         states_nz;              // some state is not 0 (checked after the last word)

    wire load_fire = state_reg == S_STATE && have && !err_reg;
    wire dec_fire = state_reg == S_DEC && !pair_mode && have && (cell_esc || (r_have && out_ok)) && !err_reg;
    wire esc_fire = state_reg == S_ESC && have && r_have && out_ok && !err_reg;
    assign pair_fire = state_reg == S_DEC && pair_mode && have && r_have2 && out_free && !err_reg;
    wire advance = load_fire || dec_fire || pair_fire;
    assign word_out = (dec_fire && !cell_esc) || esc_fire || pair_fire;
    wire step_end = pair_fire ? chunk_end2 : chunk_end;   // the step decodes the chunk's last word
    wire [CB-1:0] esc_code = a_peek[CB-1:0];
    assign rb_code = state_reg == S_ESC ? esc_code : cell_sym;

    generate
        if (LANES == 1) begin : g_one
            // The STREAM_LANES states rotate through a ring whose last stage is the ROM's address
            // register; one step moves it on by one. Nothing reads the ring but its head, so it
            // maps to shift-register LUTs (SRL16E). Each step writes one lane's next state, in
            // lane order from the L initial states on, so the last L states written are the
            // final states: the FIN check looks at L flags (state written was not 0), not the ring.
            reg  [L-1:0] nz_reg;                 // the last L states written were not 0
            wire [R-1:0] ring_head;
            if (L == 1) begin : g_l1
                assign ring_head = nsv;
            end else if (L == 2) begin : g_l2
                reg [R-1:0] ring_reg;
                always @(posedge clk)
                    if (advance)
                        ring_reg <= nsv;
                assign ring_head = ring_reg;
            end else begin : g_ln
                reg [(L-1)*R-1:0] ring_reg;
                always @(posedge clk)
                    if (advance)
                        ring_reg <= {nsv, ring_reg[(L-1)*R-1:R]};
                assign ring_head = ring_reg[R-1:0];
            end
            assign rom_addr = ring_head;
            if (L == 1) begin : g_nz1
                always @(posedge clk)
                    if (advance)
                        nz_reg <= nsv != {R{1'b0}};
            end else begin : g_nzn
                always @(posedge clk)
                    if (advance)
                        nz_reg <= {nsv != {R{1'b0}}, nz_reg[L-1:1]};
            end
            assign states_nz = nz_reg != {L{1'b0}};
            assign pair_mode = 1'b0;
            assign out_ok = out_free;

            // the output word
            reg [CB-1:0] m_code_reg;
            reg [RAW_BITS-1:0] m_raw_reg;
            always @(posedge clk) begin
                if (word_out) begin
                    m_code_reg <= esc_fire ? esc_code : cell_sym;
                    m_raw_reg <= r_bits;
                    m_last_reg <= clast && chunk_end && !more_blocks;
                end
                if (word_out)
                    m_valid_reg <= 1'b1;
                else if (m_ready)
                    m_valid_reg <= 1'b0;
                if (rst)
                    m_valid_reg <= 1'b0;
            end
            assign m_code = m_code_reg;
            assign m_raw = m_raw_reg;
            assign m_keep = 1'b1;
        end else begin : g_two
            // Two words per step. Read port j holds the cell of word i + j; the states form a
            // list of L (index 0: the next word's lane), whose first two entries are the ROM's
            // address registers. A pair step decodes words i and i + 1 at once: their state bits
            // follow each other in the stream, so one peek of nb0 + nb1 bits holds word i + 1's
            // nb1 bits at the bottom and word i's nb0 bits above them; the list moves on by two.
            // A single step (an escaped code in either cell, an odd stream's last word, or the
            // second word of a pair split by an escape) decodes word i alone as with LANES = 1
            // and moves the list on by one, so the ROM then reads words i + 1 and i + 2.
            // Single words are packed into beats: a beat always starts with an even word.
            wire [R-1:0]       base1 = rom_data[CELL_BITS +: R];
            wire [NB_BITS-1:0] nb1 = rom_data[CELL_BITS + R +: NB_BITS];
            wire [CB-1:0]      sym1 = rom_data[CELL_BITS + R + NB_BITS +: CB];
            wire               esc1 = rom_data[2 * CELL_BITS - 1];
            wire [K-1:0]       peek_hi = a_peek >> nb1;    // word i's bits, above word i + 1's
            reg  [R-1:0]       ns0, ns1;                   // the pair's next states
            integer pj;
            always @*
                for (pj = 0; pj < R; pj = pj + 1) begin
                    ns0[pj] = pj < cell_nb ? peek_hi[pj] : cell_base[pj];
                    ns1[pj] = pj < nb1 ? a_peek[pj] : base1[pj];
                end

            reg  [L*R-1:0] lst_reg;
            wire [L*R-1:0] lst_next;
            if (L == 2) begin : g_l2
                assign lst_next = pair_fire ? {ns1, ns0} : {nsv, lst_reg[2*R-1:R]};
            end else begin : g_ln
                assign lst_next = pair_fire ? {ns1, ns0, lst_reg[L*R-1:2*R]} : {nsv, lst_reg[L*R-1:R]};
            end
            always @(posedge clk)
                if (advance)
                    lst_reg <= lst_next;
            assign rom_addr = lst_next[2*R-1:0];
            assign states_nz = lst_reg != {(L*R){1'b0}};

            // the output beat; hold: the beat's first word, decoded alone
            reg               half_reg;          // the hold has the beat's first word
            reg [CB-1:0]      hold_code_reg;
            reg [RAW_BITS-1:0] hold_raw_reg;
            reg [2*CB-1:0]    m_code_reg;
            reg [2*RAW_BITS-1:0] m_raw_reg;
            reg               m_keep1_reg;
            wire              odd_end = clast && chunk_end;      // a single step decodes the stream's last word
            wire              beat_now = half_reg || odd_end;    // a single word ends a beat
            wire [CB-1:0]     one_code = esc_fire ? esc_code : cell_sym;
            wire [RAW_BITS-1:0] one_raw = r_bits[RAW_BITS-1:0];
            wire              single_out = word_out && !pair_fire;
            assign pair_mode = !half_reg && !cell_esc && !esc1 && !chunk_end;
            assign out_ok = beat_now ? out_free : 1'b1;
            always @(posedge clk) begin
                if (pair_fire) begin
                    m_code_reg <= {sym1, cell_sym};
                    m_raw_reg <= r_bits;
                    m_keep1_reg <= 1'b1;
                    m_last_reg <= clast && chunk_end2;
                end else if (single_out) begin
                    if (half_reg) begin                // the beat's second word
                        m_code_reg <= {one_code, hold_code_reg};
                        m_raw_reg <= {one_raw, hold_raw_reg};
                        m_keep1_reg <= 1'b1;
                        m_last_reg <= odd_end;
                    end else if (odd_end) begin        // an odd stream's last word: a beat of one
                        m_code_reg <= {{CB{1'b0}}, one_code};
                        m_raw_reg <= {{RAW_BITS{1'b0}}, one_raw};
                        m_keep1_reg <= 1'b0;
                        m_last_reg <= 1'b1;
                    end else begin                     // the beat's first word waits in the hold
                        hold_code_reg <= one_code;
                        hold_raw_reg <= one_raw;
                    end
                    half_reg <= !beat_now;
                end
                if (pair_fire || (single_out && beat_now))
                    m_valid_reg <= 1'b1;
                else if (m_ready)
                    m_valid_reg <= 1'b0;
                if (rst) begin
                    m_valid_reg <= 1'b0;
                    half_reg <= 1'b0;
                end
            end
            assign m_code = m_code_reg;
            assign m_raw = m_raw_reg;
            assign m_keep = {m_keep1_reg, 1'b1};
        end
    endgenerate
    assign rom_en = advance;

    // ------------------------------------------------------------------ control
    wire [7:0] hdr_expect = vidx_reg == 4'd0 ? 8'h6E : vidx_reg == 4'd1 ? 8'h74 : vidx_reg == 4'd2 ? KIND[7:0] :
                            vidx_reg == 4'd3 ? FINGERPRINT[7:0] : FINGERPRINT[15:8];
    wire [7:0] byte8 = a_peek[7:0];
    reg  [3:0] zeros;                    // leading zeros of the sentinel byte
    integer zi;
    always @* begin
        zeros = 4'd8;
        for (zi = 0; zi < 8; zi = zi + 1)
            if (byte8[zi])
                zeros = 4'd7 - zi[3:0];
    end
    // the stream position (p_byte and the bits of the window past a byte) is on a word boundary
    wire end_aligned = p_byte[1:0] == 2'd0 && a_cnt[2:0] == 3'd0;

    always @* begin
        need = {ACW{1'b0}};
        case (state_reg)
            S_HDR, S_VAR, S_SENT: need = N8;
            S_END: need = end_aligned ? {ACW{1'b0}} : N8;
            S_STATE: need = ADAPTIVE != 0 ? {{(ACW-5){1'b0}}, mdl_log} : NR;
            S_MODEL: need = mstart_reg ? {ACW{1'b0}} : mdl_ready ? {{(ACW-3){1'b0}}, a_cnt[2:0]} :
                            mdl_want ? {{(ACW-1){1'b0}}, 1'b1} : {ACW{1'b0}};
            S_DEC: need = pair_mode ? {{(ACW-NB_BITS){1'b0}}, cell_nb} + {{(ACW-NB_BITS){1'b0}}, rom_data[CELL_BITS*(LANES-1) + R +: NB_BITS]}
                                    : {{(ACW-NB_BITS){1'b0}}, cell_nb};
            S_ESC: need = NCB;
            S_RLEN: need = n_zero ? {ACW{1'b0}} : N16;
            default: need = {ACW{1'b0}};
        endcase
    end
    always @* begin
        a_take_k = state_reg == S_SENT ? {{(ACW-4){1'b0}}, zeros} + 1'b1 : need;
    end
    assign a_take_en = !err_reg && have && (state_reg == S_HDR || state_reg == S_VAR || state_reg == S_SENT ||
                       (state_reg == S_END && !end_aligned) || (state_reg == S_MODEL && !mstart_reg && (mdl_ready || mdl_want)) || load_fire || dec_fire || esc_fire || pair_fire);

    // varint payload: byte vidx goes to bits 7*vidx.. of n; bits past COUNT_BITS must be 0
    reg var_big;
    integer gi, bi;
    always @* begin
        var_big = 1'b0;
        for (gi = 0; gi < 9; gi = gi + 1)
            for (bi = 0; bi < 7; bi = bi + 1)
                if (vidx_reg == gi[3:0] && 7 * gi + bi >= COUNT_BITS && byte8[bi])
                    var_big = 1'b1;
    end
    wire var_load = state_reg == S_VAR && have && !err_reg;
    // n's next value: the varint byte vidx loads bits 7*vidx.. (the other bits hold), and a jump
    // to a full chunk takes one from the high part
    reg  [COUNT_BITS-1:0] n_in;
    integer ni;
    wire [COUNT_BITS-1:0] n_blk;         // n, or (BLOCK, S_BLK) the next block's count
    always @*
        for (ni = 0; ni < COUNT_BITS; ni = ni + 1)
            n_in[ni] = (BLOCK == 0 && var_load && {28'd0, vidx_reg} == ni / 7) ? byte8[ni % 7] : n_blk[ni];
    generate
        if (BLOCK == 0) begin : g_one_block
            assign n_blk = n_reg;
            assign more_blocks = 1'b0;
        end else begin : g_blocks
            // the varint loads the words left (srem); each block takes min(BLOCK, srem) of them
            localparam [63:0] BLOCK64 = BLOCK;
            reg  [COUNT_BITS-1:0] srem_reg;
            wire                  blk_start = state_reg == S_BLK && !err_reg;
            wire [63:0]           srem64 = {{(64-COUNT_BITS){1'b0}}, srem_reg};
            wire [COUNT_BITS-1:0] bn = srem64 > BLOCK64 ? BLOCK64[COUNT_BITS-1:0] : srem_reg;
            integer sj;
            always @(posedge clk) begin
                for (sj = 0; sj < COUNT_BITS; sj = sj + 1)
                    if (var_load && {28'd0, vidx_reg} == sj / 7)
                        srem_reg[sj] <= byte8[sj % 7];
                if (blk_start)
                    srem_reg <= srem_reg - bn;
                if (rst || stream_done)
                    srem_reg <= {COUNT_BITS{1'b0}};
            end
            assign n_blk = blk_start ? bn : n_reg;
            assign more_blocks = srem_reg != {COUNT_BITS{1'b0}};
        end
    endgenerate
    // (the high part is kept complemented, so that the count down is an increment)
    wire [HI-1:0] hic_next = ~n_in[COUNT_BITS-1:CHUNK_LOG] + {{(HI-1){1'b0}}, jump && full_chunk};
    always @(posedge clk) begin
        hic_reg <= hic_next;
        lo_reg <= n_in[CHUNK_LOG-1:0];
        if (rst || stream_done) begin
            hic_reg <= {HI{1'b1}};
            lo_reg <= {CHUNK_LOG{1'b0}};
        end
    end

    // VAR_RAW = 1: each chunk's raw-part length, a varint read in one clock of S_RLEN, which jumps.
    // It has at most two bytes: a raw part holds at most 2^CHUNK_LOG RAW_BITS / 8 < 2^14 bytes
    // (the buffer holds that much), so a longer varint, a two-byte one ending in 0 (not the
    // shortest form) or a length beyond that is an error. Peeking two bytes is safe: at least the
    // ANS part's sentinel byte follows the varint.
    wire rlen_bad;
    generate
        if (VAR_RAW == 1) begin : g_rlen
            localparam LW = BA > 14 ? BA : 14;
            wire [7:0]    b0 = a_peek[15:8];     // the varint's first byte
            wire [7:0]    b1 = a_peek[7:0];      //   and the next
            wire          two = b0[7];
            wire [LW-1:0] len = two ? {{(LW-14){1'b0}}, b1[6:0], b0[6:0]} : {{(LW-7){1'b0}}, b0[6:0]};
            wire [LW-1:0] most = {{(LW-BA){1'b0}}, raw_bytes};
            wire          rlen_read = state_reg == S_RLEN && !n_zero && have && !err_reg;
            assign rlen_jump = rlen_read;
            assign rlen = len[BA-1:0];
            assign rlen_bytes = two ? 2'd2 : 2'd1;
            assign rlen_bad = rlen_read && ((two && (b1[7] || b1 == 8'd0)) || len > most);
            if ((1 << CHUNK_LOG) * RAW_BITS / 8 >= (1 << 14)) begin : g_check_rlen
                VAR_RAW_needs_raw_parts_below_16_KiB check ();
            end
        end else begin : g_no_rlen
            assign rlen = {BA{1'b0}};
            assign rlen_jump = 1'b0;
            assign rlen_bytes = 2'd0;
            assign rlen_bad = 1'b0;
        end
    endgenerate

    wire esc_bad = NCODES < (1 << CB) && {1'b0, esc_code} >= NCODES[CB:0];
    wire pad_bad = word_out && step_end && clast && r_pad_nz;

    assign err_set = !err_reg && (
        (state_reg == S_HDR && have && byte8 != hdr_expect) ||
        (state_reg == S_VAR && have && (var_big || (vidx_reg != 4'd0 && byte8 == 8'd0) ||
                                        (vidx_reg == 4'd8 && byte8[7]))) ||
        (state_reg == S_SENT && have && byte8 == 8'd0) ||
        (jump && a_cnt[2:0] != 3'd0) ||
        (esc_fire && esc_bad) || pad_bad || rlen_bad || r_bad || (ADAPTIVE != 0 && mdl_err) ||
        (state_reg == S_FIN && (a_cnt[2:0] != 3'd0 || states_nz)) ||
        (state_reg == S_END && end_aligned && !(a_cnt == {ACW{1'b0}} && stop)) ||
        (state_reg == S_END && !end_aligned && have && byte8 != 8'd0) ||
        (state_reg != S_JUMP && state_reg != S_FIN && starve && need != {ACW{1'b0}}));

    assign stream_done = state_reg == S_END && end_aligned && a_cnt == {ACW{1'b0}} && stop && !err_reg;

    // the model section (ADAPTIVE): bit by bit to the builder, then its padding dropped at once
    always @(posedge clk)
        mstart_reg <= ADAPTIVE != 0 && !err_reg && !rst &&
                      (BLOCK == 0 ? state_reg == S_VAR && have && !byte8[7] : state_reg == S_BLK);
    assign mdl_start = mstart_reg && !n_zero;
    assign mdl_valid = state_reg == S_MODEL && !mstart_reg && have && mdl_want && !err_reg;
    assign mdl_bit = a_peek[0];

    always @(posedge clk) begin
        if (err_set)
            err_reg <= 1'b1;
        if (!err_reg) begin
            case (state_reg)
                S_HDR, S_VAR: if (have) begin
                    vidx_reg <= vidx_reg + 1'b1;
                    if (state_reg == S_HDR && vidx_reg == 4'd4) begin
                        state_reg <= S_VAR;
                        vidx_reg <= 4'd0;
                    end
                    if (state_reg == S_VAR) begin
                        if (!byte8[7])
                            state_reg <= ADAPTIVE == 0 ? S_NEXT : BLOCK != 0 ? S_BLK : S_MODEL;
                    end
                end
                S_JUMP: begin
                    if (n_zero) begin
                        state_reg <= S_END;           // n = 0: the header is the stream
                    end else begin
                        state_reg <= S_SENT;
                        cshort_reg <= !full_chunk;
                    end
                end
                S_SENT: if (have)
                    state_reg <= cfirst_reg ? S_STATE : S_DEC;
                S_STATE: if (have) begin
                    lc_reg <= lc_reg + 1'b1;
                    if (lc_reg == L[LCW-1:0] - 1'b1)
                        state_reg <= S_DEC;
                end
                S_DEC: if (dec_fire) begin
                    if (cell_esc)
                        state_reg <= S_ESC;
                    else if (chunk_end)
                        state_reg <= clast ? S_FIN : S_NEXT;
                end else if (pair_fire && chunk_end2) begin
                    state_reg <= clast ? S_FIN : S_NEXT;
                end
                S_ESC: if (esc_fire)
                    state_reg <= chunk_end ? (clast ? S_FIN : S_NEXT) : S_DEC;
                S_FIN: state_reg <= BLOCK != 0 && more_blocks ? S_BLK : S_END;
                S_MODEL: if (n_zero)
                    state_reg <= S_END;             // n = 0: no block, no model
                else if (!mstart_reg && mdl_ready && have)
                    state_reg <= S_NEXT;            // the table is built, the padding dropped
                default: ;   // S_END; S_BLK and S_RLEN below
            endcase
            // the states of the optional features, apart, so that a decoder without them has no
            // trace of them
            if (BLOCK != 0 && state_reg == S_BLK) begin   // a block starts: its count is loaded
                state_reg <= S_MODEL;
                cfirst_reg <= 1'b1;
                lc_reg <= {LCW{1'b0}};
            end
            if (VAR_RAW == 1 && state_reg == S_RLEN) begin
                if (n_zero)
                    state_reg <= S_END;               // n = 0: no chunk, no raw part
                else if (have) begin                  // the varint read and the jump (rlen_jump), as S_JUMP
                    state_reg <= S_SENT;
                    cshort_reg <= !full_chunk;
                end
            end
            if (state_reg == S_SENT && have)
                cfirst_reg <= 1'b0;
            if (stream_done) begin
                state_reg <= S_HDR;
                vidx_reg <= 4'd0;
                cfirst_reg <= 1'b1;
                lc_reg <= {LCW{1'b0}};
            end
        end
        if (rst) begin
            state_reg <= S_HDR;
            err_reg <= 1'b0;
            vidx_reg <= 4'd0;
            cfirst_reg <= 1'b1;
            lc_reg <= {LCW{1'b0}};
        end
    end

    assign m_valid = m_valid_reg;
    assign m_last = m_last_reg;
    assign error = err_reg;
endmodule

`default_nettype wire
