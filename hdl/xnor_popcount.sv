// xnor_popcount: binary (XNOR) and bit-serial (AND) dot products, Lanes bits per cycle, with
// multi-threshold activation. 3-stage pipeline.
//
// Maths (docs/arithmetic.md section 5; the TS model is src/hw/xnor_popcount.ts,
// src/hw/bit_serial.ts):
//   A dot product arrives as words w = 0..W-1 of Lanes bits (first_i on word 0, last_i on word
//   W-1). Valid bits per word: nb = min(nbits_i, Lanes); bits at positions >= nb are padding and
//   masked off.
//   XNOR word (and_i = 0), +-1 vectors with bit 1 = +1 (arith packBits):
//     pop = popcount(~(a ^ w) & mask),   contribution c = 2*pop - nb
//   so over all words dot = sum(2*pop - nb) = 2*popcount(XNOR(a,w)) - n  (n = total valid bits).
//   AND word (and_i = 1), one bit plane pair (m, k) of multi-bit vectors, bit-serial:
//     pop = popcount(a & w & mask),      c = (neg_i ? -1 : 1) * pop * 2^shift_i
//   with shift_i = m + k and neg_i set for the two's complement sign planes (exactly one of m, k
//   the MSB plane of a signed operand), so sum_m sum_k c = x . y (src/hw/bit_serial.ts sequences
//   the planes).
//   acc = (first_i ? 0 : acc) + c, all in AccBits-bit two's complement (wraps mod 2^AccBits).
//   On the last word: dot = acc, act = sum_{i<Thresholds} [dot >= thr[ch][i]]
//   (multi_threshold.sv; Thresholds = 1 gives the bipolar sign bit, 1 = +1).
//
// Thresholds: a table of Channels x Thresholds signed AccBits-bit values, reset to 0, written
// through thr_we_i/thr_ch_i/thr_idx_i/thr_val_i at the rising edge; out-of-range channel or index
// writes are ignored and an out-of-range ch_i reads all-zero thresholds. ch_i is taken with the
// last word.
//
// Timing: all outputs registered; synchronous active-low reset clears every register. One word
// per cycle, dot products back to back. A dot product whose last word is applied in cycle t
// appears in cycle t+3 (valid_o = 1 for that one cycle; dot_o holds the latest result, act_o is
// recomputed every cycle from it):
//   stage 1: XNOR/AND, mask, popcount tree;  stage 2: correction/shift, accumulate (acc_q);
//   stage 3: thresholds -> dot_o, act_o.
// Stall: while stall_i is 1 no pipeline register changes (the word is not taken); threshold writes
// still happen.
`default_nettype none

module xnor_popcount #(
  parameter int unsigned Lanes      = 32,
  parameter int unsigned AccBits    = 16,
  parameter int unsigned Thresholds = 1,
  parameter int unsigned Channels   = 1,
  localparam int unsigned ChBits    = Channels > 1 ? $clog2(Channels) : 1,
  localparam int unsigned TBits     = Thresholds > 1 ? $clog2(Thresholds) : 1,
  localparam int unsigned NbW       = $clog2(Lanes + 1),
  localparam int unsigned CntW      = $clog2(Lanes + 1),
  localparam int unsigned ActW      = $clog2(Thresholds + 1)
) (
  input  logic               clk_i,
  input  logic               rst_ni,
  // threshold write port
  input  logic               thr_we_i,
  input  logic [ChBits-1:0]  thr_ch_i,
  input  logic [TBits-1:0]   thr_idx_i,
  input  logic [AccBits-1:0] thr_val_i,
  // word stream
  input  logic               valid_i,
  input  logic               first_i,
  input  logic               last_i,
  input  logic               and_i,
  input  logic               neg_i,
  input  logic [4:0]         shift_i,
  input  logic [NbW-1:0]     nbits_i,
  input  logic [ChBits-1:0]  ch_i,
  input  logic [Lanes-1:0]   a_i,
  input  logic [Lanes-1:0]   w_i,
  input  logic               stall_i,
  output logic               valid_o,
  output logic [AccBits-1:0] dot_o,
  output logic [ActW-1:0]    act_o
);
  // ---- elaboration checks -----------------------------------------------------------------------
  if (Lanes < 1 || Lanes > 1024) begin : g_bad_lanes
    $error("xnor_popcount: Lanes must be 1..1024");
  end
  if (AccBits < 2 || AccBits > 32) begin : g_bad_acc
    $error("xnor_popcount: AccBits must be 2..32");
  end
  if (Thresholds < 1 || Thresholds > 255) begin : g_bad_thresholds
    $error("xnor_popcount: Thresholds must be 1..255");
  end
  if (Channels < 1) begin : g_bad_channels
    $error("xnor_popcount: Channels must be >= 1");
  end

  logic en;
  assign en = ~stall_i;

  // ---- stage 1: XNOR / AND, padding mask, popcount ----------------------------------------------
  logic [NbW-1:0]   nb;
  logic [Lanes-1:0] mask, bits;
  logic [CntW-1:0]  pop;

  if ((1 << NbW) - 1 > Lanes) begin : g_nb_clamp
    assign nb = nbits_i > NbW'(Lanes) ? NbW'(Lanes) : nbits_i;
  end else begin : g_nb_direct
    assign nb = nbits_i;
  end
  for (genvar i = 0; i < Lanes; i++) begin : g_mask
    assign mask[i] = NbW'(i) < nb;
  end
  assign bits = (and_i ? (a_i & w_i) : ~(a_i ^ w_i)) & mask;
  popcount_tree #(.Width(Lanes)) u_pop (.bits_i(bits), .cnt_o(pop));

  logic             v1_q, first1_q, last1_q, and1_q, neg1_q;
  logic [4:0]       sh1_q;
  logic [NbW-1:0]   nb1_q;
  logic [CntW-1:0]  pop1_q;
  logic [ChBits-1:0] ch1_q;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      v1_q <= 1'b0; first1_q <= 1'b0; last1_q <= 1'b0; and1_q <= 1'b0; neg1_q <= 1'b0;
      sh1_q <= '0; nb1_q <= '0; pop1_q <= '0; ch1_q <= '0;
    end else if (en) begin
      v1_q <= valid_i; first1_q <= first_i; last1_q <= last_i; and1_q <= and_i; neg1_q <= neg_i;
      sh1_q <= shift_i; nb1_q <= nb; pop1_q <= pop; ch1_q <= ch_i;
    end
  end

  // ---- stage 2: contribution and accumulation (mod 2^AccBits) -----------------------------------
  localparam int unsigned CW = AccBits + CntW + 2;
  logic [CW-1:0]      popw, xc, tc, c;
  logic [AccBits-1:0] sum, acc_q, dot2_q;
  logic [ChBits-1:0]  ch2_q;
  logic               v2_q;
  logic [CW-AccBits-1:0] unused_c_hi;

  assign popw = CW'(pop1_q);
  assign xc   = (popw << 1) - CW'(nb1_q);
  assign tc   = popw << sh1_q;
  assign c    = and1_q ? (neg1_q ? -tc : tc) : xc;
  assign sum  = (first1_q ? '0 : acc_q) + c[AccBits-1:0];
  assign unused_c_hi = c[CW-1:AccBits];

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      acc_q <= '0; dot2_q <= '0; ch2_q <= '0; v2_q <= 1'b0;
    end else if (en) begin
      v2_q <= v1_q & last1_q;
      if (v1_q) acc_q <= sum;
      if (v1_q && last1_q) begin
        dot2_q <= sum;
        ch2_q  <= ch1_q;
      end
    end
  end

  // ---- threshold table and stage 3 --------------------------------------------------------------
  logic [AccBits-1:0] thr_q [Channels][Thresholds];
  logic [Thresholds*AccBits-1:0] thr_rd;
  logic [ActW-1:0] act;

  for (genvar ch = 0; ch < Channels; ch++) begin : g_thr_ch
    for (genvar t = 0; t < Thresholds; t++) begin : g_thr
      always_ff @(posedge clk_i) begin
        if (!rst_ni) begin
          thr_q[ch][t] <= '0;
        end else if (thr_we_i && 32'(thr_ch_i) == ch && 32'(thr_idx_i) == t) begin
          thr_q[ch][t] <= thr_val_i;
        end
      end
    end
  end

  always_comb begin
    thr_rd = '0;
    for (int ch = 0; ch < Channels; ch++) begin
      if (32'(ch2_q) == ch) begin
        for (int t = 0; t < Thresholds; t++) thr_rd[t*AccBits +: AccBits] = thr_q[ch][t];
      end
    end
  end

  multi_threshold #(.Width(AccBits), .Thresholds(Thresholds)) u_thr (
    .x_i(dot2_q), .thr_i(thr_rd), .cnt_o(act)
  );

  logic               v3_q;
  logic [AccBits-1:0] dot3_q;
  logic [ActW-1:0]    act3_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      v3_q <= 1'b0; dot3_q <= '0; act3_q <= '0;
    end else if (en) begin
      v3_q <= v2_q; dot3_q <= dot2_q; act3_q <= act;
    end
  end

  assign valid_o = v3_q;
  assign dot_o   = dot3_q;
  assign act_o   = act3_q;
endmodule

`default_nettype wire
