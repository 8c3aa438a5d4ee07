// round_shift: y_o = round(x_i / 2^n_i) by a named ap_fixed rounding mode (combinational helper).
//
// The RTL twin of arith's roundShift (docs/arithmetic.md section 1): the exact quotient is
// floored by an arithmetic right shift, then 1 is added when the mode's rule holds, with qb = the
// first dropped bit, r = OR of the other dropped bits, s = sign of x_i, lsb = lowest kept bit:
//   0 TRN          never                  (floor)
//   1 TRN_ZERO     s && (qb || r)         (toward zero)
//   2 RND          qb                     (nearest, ties toward +inf)
//   3 RND_ZERO     qb && (s || r)         (nearest, ties toward zero)
//   4 RND_MIN_INF  qb && r                (nearest, ties toward -inf)
//   5 RND_INF      qb && (!s || r)        (nearest, ties away from zero)
//   6 RND_CONV     qb && (lsb || r)       (nearest, ties to even)
//   7 RND_CONV_ODD qb && (!lsb || r)      (nearest, ties to odd)
// (the numbering is the order of ROUNDINGS in src/arith/modes.ts).
// x_i is signed two's complement; 0 <= n_i <= Width. The result never overflows Width bits: for
// n_i = 0 nothing is dropped (qb = 0, no increment); for n_i >= 1 the floored value has a spare
// bit. Requantizer uses it for SRDHM's rounding (RND by 31), RoundingDivideByPOT (RND_INF), TFLite
// single rounding (RND) and the shift-only mode (the Design's rounding).
`default_nettype none

module round_shift #(
  parameter int unsigned Width = 32,
  parameter int unsigned Rounding = 0,
  localparam int unsigned NW = $clog2(Width + 1)
) (
  input  logic [Width-1:0] x_i,
  input  logic [NW-1:0]    n_i,
  output logic [Width-1:0] y_o
);
  if (Width < 2) begin : g_bad_width
    $error("round_shift: Width must be >= 2");
  end
  if (Rounding > 7) begin : g_bad_rounding
    $error("round_shift: Rounding must be 0..7 (TRN..RND_CONV_ODD)");
  end

  // {x, Width zero bits} shifted right arithmetically by n: the high half is floor(x / 2^n),
  // the low half holds the dropped bits, first dropped bit on top.
  logic [2*Width-1:0] wide;
  logic [Width-1:0]   kept;
  logic [Width-1:0]   dropped;
  logic qb, r, s, lsb, inc;

  assign wide    = $signed({x_i, {Width{1'b0}}}) >>> n_i;
  assign kept    = wide[2*Width-1:Width];
  assign dropped = wide[Width-1:0];
  assign qb      = dropped[Width-1];
  assign r       = |dropped[Width-2:0];
  assign s       = x_i[Width-1];
  assign lsb     = kept[0];

  always_comb begin
    unique case (Rounding)
      0:       inc = 1'b0;
      1:       inc = s & (qb | r);
      2:       inc = qb;
      3:       inc = qb & (s | r);
      4:       inc = qb & r;
      5:       inc = qb & (~s | r);
      6:       inc = qb & (lsb | r);
      default: inc = qb & (~lsb | r);
    endcase
  end

  assign y_o = kept + Width'(inc);
endmodule

`default_nettype wire
