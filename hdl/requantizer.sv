// requantizer: int accumulator -> low-bit output, one element per cycle, 3-stage pipeline.
//
// Maths (docs/arithmetic.md section 2; the TS model src/hw/requantizer.ts computes it through
// src/arith):
//   Mode 0 "double" (TFLite MultiplyByQuantizedMultiplier, the default build), x = int32(acc_i):
//     xl  = x << max(shift, 0)                       (int32 multiply: wraps)
//     h   = SRDHM(xl, M) = xl == M == INT32_MIN ? INT32_MAX : floor((xl*M + 2^30) / 2^31)
//     v   = RDBPOT(h, max(-shift, 0))                (ties away from zero), shift in -31..30
//   Mode 1 "single" (TFLite single rounding): M >= 0, shift in -31..30, ts = 31 - shift,
//     v   = int32(floor((int64(x)*M + 2^(ts-1)) / 2^ts))  (ties toward +inf; low 32 bits kept)
//   Mode 2 "shift" (power-of-two scaling): v = roundShift(acc, n, Rounding), n = shift in 0..63,
//     Rounding one of the 8 ap_fixed modes (round_shift.sv); acc up to 53 bits.
//   then y = v + ZeroPoint (exact), clamped to [lo, Qmax] with
//   lo = Relu ? max(Qmin, ZeroPoint) : Qmin, where [Qmin, Qmax] is the OutBits-bit
//   signed/unsigned range; data_o = y in OutBits bits.
//
// Parameters (M, shift) per channel: a table of Channels entries, reset to (0, 0), written through
// cfg_we_i/cfg_ch_i/cfg_mult_i/cfg_shift_i at the rising edge (cfg_shift_i is two's complement in
// modes 0/1, unsigned in mode 2). Element (valid_i, ch_i, acc_i) reads the table in the cycle it is
// applied, so it sees writes made in earlier cycles. A channel index >= Channels (on either port)
// reads as (0, 0); writes to it are ignored. Per-tensor scaling is Channels = 1.
//
// Timing: all outputs registered; synchronous active-low reset clears every register. An element
// applied in cycle t (inputs set, then rising edge t) appears on valid_o/data_o in cycle t+3
// (Latency = 3):
//   stage 1: table read, (shift left,) 32x32 -> 64-bit product;  stage 2: the rounding shift(s);
//   stage 3: + zero point, clamp, saturate -> data_o. One element per cycle, no bubbles.
// Stall: while stall_i is 1 no pipeline register changes (the element on the inputs is not taken;
// the producer holds it), table writes still happen.
`default_nettype none

module requantizer #(
  parameter int unsigned AccBits   = 32,
  parameter int unsigned Channels  = 1,
  parameter int unsigned Mode      = 0,
  parameter int unsigned Rounding  = 2,
  parameter int unsigned OutBits   = 8,
  parameter int unsigned OutSigned = 1,
  parameter int          ZeroPoint = 0,
  parameter int unsigned Relu      = 0,
  localparam int unsigned ChBits   = Channels > 1 ? $clog2(Channels) : 1
) (
  input  logic               clk_i,
  input  logic               rst_ni,
  // parameter write port
  input  logic               cfg_we_i,
  input  logic [ChBits-1:0]  cfg_ch_i,
  input  logic [31:0]        cfg_mult_i,
  input  logic [5:0]         cfg_shift_i,
  // element stream
  input  logic               valid_i,
  input  logic [ChBits-1:0]  ch_i,
  input  logic [AccBits-1:0] acc_i,
  input  logic               stall_i,
  output logic               valid_o,
  output logic [OutBits-1:0] data_o
);
  // ---- elaboration checks: illegal combinations stop here --------------------------------------
  if (Mode > 2) begin : g_bad_mode
    $error("requantizer: Mode must be 0 (double), 1 (single) or 2 (shift)");
  end
  if (Mode < 2 && (AccBits < 2 || AccBits > 32)) begin : g_bad_acc_tflite
    $error("requantizer: AccBits must be 2..32 in modes double/single (int32 accumulator)");
  end
  if (Mode == 2 && (AccBits < 2 || AccBits > 53)) begin : g_bad_acc_shift
    $error("requantizer: AccBits must be 2..53 in mode shift");
  end
  if (Channels < 1) begin : g_bad_channels
    $error("requantizer: Channels must be >= 1");
  end
  if (OutBits < 1 || OutBits > 32) begin : g_bad_out
    $error("requantizer: OutBits must be 1..32");
  end
  if (Rounding > 7) begin : g_bad_rounding
    $error("requantizer: Rounding must be 0..7");
  end
  if (OutSigned > 1 || Relu > 1) begin : g_bad_flag
    $error("requantizer: OutSigned and Relu must be 0 or 1");
  end

  localparam int unsigned YW = 66;  // holds any stage-2 value plus any int32 zero point exactly
  localparam logic signed [YW-1:0] Qmax = OutSigned != 0 ? (YW'(1) <<< (OutBits - 1)) - YW'(1)
                                                    : (YW'(1) <<< OutBits) - YW'(1);
  localparam logic signed [YW-1:0] Qmin = OutSigned != 0 ? -(YW'(1) <<< (OutBits - 1)) : '0;
  localparam logic signed [YW-1:0] Zp   = YW'(ZeroPoint);
  localparam logic signed [YW-1:0] Lo   = (Relu != 0 && Zp > Qmin) ? Zp : Qmin;
  if (Zp < Qmin || Zp > Qmax) begin : g_bad_zero_point
    $error("requantizer: ZeroPoint must lie in the output range");
  end

  // ---- parameter table --------------------------------------------------------------------------
  logic [31:0] mult_q [Channels];
  logic [5:0]  shift_q[Channels];
  logic [31:0] mult_rd;
  logic [5:0]  shift_rd;

  for (genvar c = 0; c < Channels; c++) begin : g_table
    always_ff @(posedge clk_i) begin
      if (!rst_ni) begin
        mult_q[c]  <= '0;
        shift_q[c] <= '0;
      end else if (cfg_we_i && 32'(cfg_ch_i) == c) begin
        mult_q[c]  <= cfg_mult_i;
        shift_q[c] <= cfg_shift_i;
      end
    end
  end

  always_comb begin
    mult_rd  = '0;
    shift_rd = '0;
    for (int c = 0; c < Channels; c++) begin
      if (32'(ch_i) == c) begin
        mult_rd  = mult_q[c];
        shift_rd = shift_q[c];
      end
    end
  end

  // ---- stages 1 and 2 (per mode) ----------------------------------------------------------------
  logic            en;
  logic            v1_q, v2_q, v3_q;
  logic [63:0]     s2_d;   // stage-2 result, sign-extended
  logic [63:0]     s2_q;
  logic [OutBits-1:0] y3_q;

  assign en = ~stall_i;

  if (Mode == 0) begin : g_double
    logic signed [31:0] x, xl, m;
    logic [4:0]         ls, e;
    logic [63:0]        p_q;     // xl * M
    logic               sat_q;   // xl == M == INT32_MIN
    logic [4:0]         e_q;     // RDBPOT exponent
    logic [63:0]        h_wide;
    logic [31:0]        h, v;
    logic               unused_mult_hi;

    assign x  = 32'($signed(acc_i));
    assign m  = mult_rd;
    assign ls = shift_rd[5] ? 5'd0 : shift_rd[4:0];
    assign e  = shift_rd[5] ? 5'(-shift_rd) : 5'd0;   // -shift, 1..32; 32 (shift = -32) is illegal
    assign xl = x << ls;

    always_ff @(posedge clk_i) begin
      if (!rst_ni) begin
        p_q   <= '0;
        sat_q <= 1'b0;
        e_q   <= '0;
      end else if (en) begin
        p_q   <= 64'(xl) * 64'(m);
        sat_q <= (xl == 32'sh8000_0000) && (m == 32'sh8000_0000);
        e_q   <= e;
      end
    end

    round_shift #(.Width(64), .Rounding(2)) u_srdhm (.x_i(p_q), .n_i(7'd31), .y_o(h_wide));
    assign h = sat_q ? 32'h7fff_ffff : h_wide[31:0];
    round_shift #(.Width(32), .Rounding(5)) u_rdbpot (.x_i(h), .n_i({1'b0, e_q}), .y_o(v));
    assign s2_d = 64'($signed(v));
    assign unused_mult_hi = ^h_wide[63:32];
  end else if (Mode == 1) begin : g_single
    logic signed [31:0] x;
    logic [63:0]        p_q;   // int64(x) * M
    logic [5:0]         ts_q;  // 31 - shift
    logic [63:0]        v;

    assign x = 32'($signed(acc_i));
    always_ff @(posedge clk_i) begin
      if (!rst_ni) begin
        p_q  <= '0;
        ts_q <= '0;
      end else if (en) begin
        p_q  <= 64'(x) * 64'($signed(mult_rd));
        ts_q <= 6'd31 - shift_rd;
      end
    end
    logic        unused_v_hi;
    round_shift #(.Width(64), .Rounding(2)) u_round (.x_i(p_q), .n_i({1'b0, ts_q}), .y_o(v));
    // TFLite DCHECKs that the result fits int32 and release builds truncate (static_cast<int32_t>):
    // keep the low 32 bits, as arith's mbqmSingle does.
    assign s2_d = 64'($signed(v[31:0]));
    assign unused_v_hi = ^v[63:32];
  end else begin : g_shift
    logic [63:0] a_q;
    logic [5:0]  n_q;
    logic [63:0] v;
    logic        unused_mult;

    always_ff @(posedge clk_i) begin
      if (!rst_ni) begin
        a_q <= '0;
        n_q <= '0;
      end else if (en) begin
        a_q <= 64'($signed(acc_i));
        n_q <= shift_rd;
      end
    end
    round_shift #(.Width(64), .Rounding(Rounding)) u_round (.x_i(a_q), .n_i({1'b0, n_q}), .y_o(v));
    assign s2_d = v;
    assign unused_mult = ^mult_rd;
  end

  // ---- stage 3: + zero point, clamp / ReLU, saturate --------------------------------------------
  logic signed [YW-1:0] y;
  logic signed [YW-1:0] yc;
  logic [YW-OutBits-1:0] unused_y_hi;
  assign y  = YW'($signed(s2_q)) + Zp;
  assign yc = y < Lo ? Lo : (y > Qmax ? Qmax : y);
  assign unused_y_hi = yc[YW-1:OutBits];

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      v1_q <= 1'b0;
      v2_q <= 1'b0;
      v3_q <= 1'b0;
      s2_q <= '0;
      y3_q <= '0;
    end else if (en) begin
      v1_q <= valid_i;
      v2_q <= v1_q;
      v3_q <= v2_q;
      s2_q <= s2_d;
      y3_q <= yc[OutBits-1:0];
    end
  end

  assign valid_o = v3_q;
  assign data_o  = y3_q;
endmodule

`default_nettype wire
