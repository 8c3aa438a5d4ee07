// mac_pe: one processing element of the systolic MAC array (TS model: src/hw/mac_pe.ts).
//
// Maths (accumulator: signed two's complement, AccBits wide; AccSat = 0 WRAP, 1 SAT after EVERY
// add):
//   os (Dataflow 0):      acc <- ovf(acc  + h * v)   accumulator stationary, both operands move
//   ws/is (Dataflow 1/2): acc <- ovf(ps_i + h * s)   partial sum moves down, s = stationary operand
//   ovf = WRAP: keep the low AccBits bits of the exact sum;
//         SAT:  clamp to [-2^(AccBits-1), 2^(AccBits-1)-1].
// Operand placement: h moves left -> right, v moves top -> bottom;
//   os, ws: h = activation (ABits, ASigned), v = weight (WBits, WSigned);
//   is:     h = weight, v = activation.
// A 1-bit signed operand is bipolar (+1/-1); inside the array it travels as a 2-bit two's
// complement lane (-1, 0, +1) so that padding lanes can carry 0. Other operands travel at their
// own width. The product h*v is exact (HBits + VBits + 2 bits), the sum exact in
// max(AccBits, product) + 1 bits.
//
// Multiplier-free PE (WShift = 1): the weight lane carries a power-of-two code instead of an
// integer, {nz, neg, e} = {bit WExpBits+1, bit WExpBits, bits WExpBits-1..0} (no e when
// WExpBits = 0), and the product is formed without a multiplier:
//   w = nz ? (neg ? -2^e : 2^e) : 0,    w * a = nz ? (neg ? -(a << e) : (a << e)) : 0
// exact in ALane + 2^WExpBits + 1 bits; code 0 is the weight 0 (padding lanes carry 0).
// WExpBits = 0 is the add/subtract PE of +-1 and ternary weights. WBits/WSigned are not used
// with WShift = 1 (the code's range is chosen from the weight format in src/hw/pe_kind.ts).
//
// Timing: every output is a register (`_q`); synchronous active-low reset clears them all.
//   h_q <= h_i when h_valid_i; h_valid_q <= h_valid_i; v_q <= v_i when v_valid_i
//   os:    v_valid_q <= v_valid_i; last_q <= v_valid_i & last_i
//          acc_q <= h_valid_i & v_valid_i ? ovf(acc_q + h_i*v_i)
//                 : shift_i ? ps_i : acc_q                          (shift = drain)
//   ws/is: a load beat (v_valid_i) with tag_i == 0 is kept: s_q <= v_i; else it passes on:
//          v_valid_q <= v_valid_i & (tag_i != 0), tag_q <= tag_i - 1
//          acc_q <= h_valid_i ? ovf(ps_i + h_i*s_q) : acc_q
`default_nettype none

module mac_pe #(
  parameter int unsigned WBits    = 8,
  parameter int unsigned ABits    = 8,
  parameter int unsigned WSigned  = 1,   // 1 two's complement (1 bit: bipolar), 0 unsigned
  parameter int unsigned ASigned  = 1,
  parameter int unsigned AccBits  = 32,
  parameter int unsigned AccSat   = 0,   // 0 WRAP, 1 SAT
  parameter int unsigned Dataflow = 0,   // 0 os, 1 ws, 2 is
  parameter int unsigned TagBits  = 1,   // load-beat tag width: max(1, clog2(Rows)) in the array
  parameter int unsigned WShift   = 0,   // 0 integer weights (multiply), 1 power-of-two codes
  parameter int unsigned WExpBits = 0,   // WShift 1: exponent bits of the weight code, 0..4
  localparam bit          HIsW     = (Dataflow == 2),
  localparam int unsigned ALane    = (ABits == 1 && ASigned != 0) ? 2 : ABits,
  localparam int unsigned WLane    = (WShift != 0) ? WExpBits + 2
                                   : (WBits == 1 && WSigned != 0) ? 2 : WBits,
  localparam bit          HSigned  = HIsW ? (WSigned != 0 && WShift == 0) : (ASigned != 0),
  localparam int unsigned HBits    = HIsW ? WLane : ALane,
  localparam bit          VSigned  = HIsW ? (ASigned != 0) : (WSigned != 0 && WShift == 0),
  localparam int unsigned VBits    = HIsW ? ALane : WLane
) (
  input  logic               clk_i,
  input  logic               rst_ni,
  input  logic               h_valid_i,
  input  logic [HBits-1:0]   h_i,
  input  logic               v_valid_i,
  input  logic [VBits-1:0]   v_i,
  input  logic               last_i,
  input  logic [TagBits-1:0] tag_i,
  input  logic               shift_i,
  input  logic [AccBits-1:0] ps_i,
  output logic               h_valid_o,
  output logic [HBits-1:0]   h_o,
  output logic               v_valid_o,
  output logic [VBits-1:0]   v_o,
  output logic               last_o,
  output logic [TagBits-1:0] tag_o,
  output logic [AccBits-1:0] acc_o
);
  // ---- illegal parameters stop elaboration ----
  if (WBits < 1 || WBits > 16) begin : g_bad_wbits
    $error("mac_pe: WBits = %0d; allowed: 1..16", WBits);
  end
  if (ABits < 1 || ABits > 16) begin : g_bad_abits
    $error("mac_pe: ABits = %0d; allowed: 1..16", ABits);
  end
  if (AccBits < 2 || AccBits > 64) begin : g_bad_accbits
    $error("mac_pe: AccBits = %0d; allowed: 2..64", AccBits);
  end
  if (Dataflow > 2) begin : g_bad_dataflow
    $error("mac_pe: Dataflow = %0d; allowed: 0 (os), 1 (ws), 2 (is)", Dataflow);
  end
  if (WSigned > 1 || ASigned > 1 || AccSat > 1) begin : g_bad_flag
    $error("mac_pe: WSigned = %0d, ASigned = %0d, AccSat = %0d; allowed: 0 or 1",
           WSigned, ASigned, AccSat);
  end
  if (TagBits < 1 || TagBits > 10) begin : g_bad_tagbits
    $error("mac_pe: TagBits = %0d; allowed: 1..10", TagBits);
  end
  if (WShift > 1 || WExpBits > 4 || (WShift == 0 && WExpBits != 0)) begin : g_bad_shift
    $error("mac_pe: WShift = %0d, WExpBits = %0d; allowed: WShift 0 (WExpBits 0) or 1 (0..4)",
           WShift, WExpBits);
  end

  localparam int unsigned PBits = (WShift != 0) ? ALane + (1 << WExpBits) + 1
                                                : HBits + VBits + 2;
  localparam int unsigned SBits = (AccBits > PBits ? AccBits : PBits) + 1;
  localparam bit IsOs = (Dataflow == 0);

  logic               h_valid_q, v_valid_q, last_q;
  logic [HBits-1:0]   h_q;
  logic [VBits-1:0]   v_q, s_q, s_d;
  logic [TagBits-1:0] tag_q, tag_d;
  logic [AccBits-1:0] acc_q, acc_d;
  logic               v_valid_d, last_d;

  // ---- the multiply-accumulate: sum = base + h * m, exact, then WRAP or SAT ----
  logic [VBits-1:0]          mul_v;
  logic [AccBits-1:0]        base;
  logic signed [PBits-1:0]   prod;
  logic signed [SBits-1:0]   sum;
  logic [AccBits-1:0]        mac;

  assign mul_v = IsOs ? v_i : s_q;
  assign base  = IsOs ? acc_q : ps_i;
  if (WShift == 0) begin : g_mul
    logic signed [HBits:0] h_ext;
    logic signed [VBits:0] v_ext;
    assign h_ext = {HSigned & h_i[HBits-1], h_i};
    assign v_ext = {VSigned & mul_v[VBits-1], mul_v};
    assign prod  = PBits'(h_ext) * PBits'(v_ext);
  end else begin : g_shift
    // w * a = nz ? (neg ? -(a << e) : a << e) : 0, no multiplier
    logic [WLane-1:0]        code;
    logic [ALane-1:0]        act;
    logic signed [ALane:0]   a_ext;
    logic signed [PBits-1:0] mag;
    if (HIsW) begin : g_code_h
      assign code = h_i;
      assign act  = mul_v;
    end else begin : g_code_v
      assign code = mul_v;
      assign act  = h_i;
    end
    assign a_ext = {(ASigned != 0) & act[ALane-1], act};
    if (WExpBits == 0) begin : g_add
      assign mag = PBits'(a_ext);
    end else begin : g_barrel
      assign mag = PBits'(a_ext) << code[WExpBits-1:0];
    end
    assign prod = !code[WExpBits+1] ? '0 : code[WExpBits] ? -mag : mag;
  end
  assign sum   = {{(SBits-AccBits){base[AccBits-1]}}, base}
               + {{(SBits-PBits){prod[PBits-1]}}, prod};

  localparam logic signed [SBits-1:0] AccMax = SBits'({1'b0, {(AccBits-1){1'b1}}});
  localparam logic signed [SBits-1:0] AccMin = ~AccMax;

  if (AccSat != 0) begin : g_sat
    assign mac = (sum > AccMax) ? AccMax[AccBits-1:0] :
                 (sum < AccMin) ? AccMin[AccBits-1:0] : sum[AccBits-1:0];
    logic unused_sum_hi;
    assign unused_sum_hi = ^{AccMax[SBits-1:AccBits], AccMin[SBits-1:AccBits]};
  end else begin : g_wrap
    assign mac = sum[AccBits-1:0];
    logic unused_sum_hi;
    assign unused_sum_hi = ^{sum[SBits-1:AccBits], AccMax, AccMin};
  end

  // ---- next state per dataflow ----
  if (IsOs) begin : g_os
    assign v_valid_d = v_valid_i;
    assign last_d    = v_valid_i & last_i;
    assign tag_d     = tag_q;
    assign s_d       = s_q;
    assign acc_d     = (h_valid_i & v_valid_i) ? mac : shift_i ? ps_i : acc_q;
    logic unused_tag;
    assign unused_tag = ^tag_i;
  end else begin : g_stationary
    logic keep;
    assign keep      = v_valid_i & (tag_i == '0);
    assign v_valid_d = v_valid_i & ~keep;
    assign last_d    = 1'b0;
    assign tag_d     = (v_valid_i & ~keep) ? tag_i - 1'b1 : tag_q;
    assign s_d       = keep ? v_i : s_q;
    assign acc_d     = h_valid_i ? mac : acc_q;
    logic unused_ctrl;
    assign unused_ctrl = last_i ^ shift_i;
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      h_valid_q <= 1'b0;
      h_q       <= '0;
      v_valid_q <= 1'b0;
      v_q       <= '0;
      last_q    <= 1'b0;
      tag_q     <= '0;
      s_q       <= '0;
      acc_q     <= '0;
    end else begin
      h_valid_q <= h_valid_i;
      if (h_valid_i) h_q <= h_i;
      v_valid_q <= v_valid_d;
      if (v_valid_i) v_q <= v_i;
      last_q    <= last_d;
      tag_q     <= tag_d;
      s_q       <= s_d;
      acc_q     <= acc_d;
    end
  end

  assign h_valid_o = h_valid_q;
  assign h_o       = h_q;
  assign v_valid_o = v_valid_q;
  assign v_o       = v_q;
  assign last_o    = last_q;
  assign tag_o     = tag_q;
  assign acc_o     = acc_q;
endmodule

`default_nettype wire
