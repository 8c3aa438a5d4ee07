// mac_array: a Rows x Cols systolic array of mac_pe, output stationary (Dataflow 0), weight
// stationary (1) or input stationary (2), with the edge skew and output deskew registers inside
// (TS model: src/hw/mac_array.ts; controller and tiling: src/hw/gemm_schedule.ts;
// docs/mac_array.md).
//
// Maths: Y = A W (A: M x K activations, W: K x N weights); every output accumulates k = 0..K-1
// in order,
//   acc <- ovf(acc + W[k][n] * A[m][k])
// with ovf = WRAP (AccSat 0) or SAT (AccSat 1) at AccBits, signed.
//
// Edge interface: one beat per cycle, unskewed; no backpressure (stall by holding the valids low).
//   lane r of h_i is bits [r*HBits +: HBits], lane c of v_i [c*VBits +: VBits], of ps_i and y_o
//   [c*AccBits +: AccBits]. HBits/VBits: the operand widths (a bipolar 1-bit operand is a 2-bit
//   lane; with WShift = 1 a weight lane is a WExpBits + 2 bit power-of-two code, see mac_pe).
//   Row r of the left edge passes r skew registers, column c of the top edge c, so a beat
//   entering in cycle t meets PE(r,c) in cycle t + r + c.
// os: beat k: h_i = A[m0+r][k], v_i = W[k][n0+c], both valids, last_i on k = K-1. PE(r,c) holds
//   Y[m0+r][n0+c]. When `last` leaves the bottom PE of column c the column drains: in step
//   j = 1..Rows the bottom value goes to ycol_q[c] (then Cols-1-c deskew registers) and rows shift
//   down; row r takes part in steps 1..r+1 only (it receives rows r-1..0, then a zero from the
//   top), so it ends holding 0. y_o carries row m0+Rows-1-j in cycle s + K + Rows + Cols - 1 + j
//   (first beat in cycle s), j = 0..Rows-1.
//   Stall rule: the next fold's first beat comes >= Rows+1 cycles after the last beat of this fold.
// ws/is: Rows load beats j (v_valid_i, v_i = stationary row j, tag_i = j), then stream beats
//   (h_valid_i, h_i = the moving operand of k0..k0+Rows-1, ps_i = partial sums entering the
//   columns). The sum of beat m entering in cycle e+m is on y_o in cycle e + m + Rows + Cols - 1.
//   Rules: stream beats may start right after the load beats; the next fold's load beats may
//   start right after the last stream beat.
// Timing: every output is a register; synchronous active-low reset clears every register.
`default_nettype none

module mac_array #(
  parameter int unsigned Rows     = 4,
  parameter int unsigned Cols     = 4,
  parameter int unsigned WBits    = 8,
  parameter int unsigned ABits    = 8,
  parameter int unsigned WSigned  = 1,
  parameter int unsigned ASigned  = 1,
  parameter int unsigned AccBits  = 32,
  parameter int unsigned AccSat   = 0,
  parameter int unsigned Dataflow = 0,   // 0 os, 1 ws, 2 is
  parameter int unsigned WShift   = 0,   // mac_pe: 1 = weight lanes carry power-of-two codes
  parameter int unsigned WExpBits = 0,   // mac_pe: exponent bits of the weight code
  localparam bit          HIsW     = (Dataflow == 2),
  localparam int unsigned ALane    = (ABits == 1 && ASigned != 0) ? 2 : ABits,
  localparam int unsigned WLane    = (WShift != 0) ? WExpBits + 2
                                   : (WBits == 1 && WSigned != 0) ? 2 : WBits,
  localparam int unsigned HBits    = HIsW ? WLane : ALane,
  localparam int unsigned VBits    = HIsW ? ALane : WLane,
  localparam int unsigned TagBits  = Rows > 1 ? $clog2(Rows) : 1
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  input  logic                    h_valid_i,
  input  logic [Rows*HBits-1:0]   h_i,
  input  logic                    v_valid_i,
  input  logic [Cols*VBits-1:0]   v_i,
  input  logic                    last_i,
  input  logic [TagBits-1:0]      tag_i,
  input  logic [Cols*AccBits-1:0] ps_i,
  output logic                    y_valid_o,
  output logic [Cols*AccBits-1:0] y_o
);
  if (Rows < 1 || Rows > 1024 || Cols < 1 || Cols > 1024) begin : g_bad_dims
    $error("mac_array: Rows = %0d, Cols = %0d; allowed: 1..1024 each", Rows, Cols);
  end
  if (Dataflow > 2) begin : g_bad_dataflow
    $error("mac_array: Dataflow = %0d; allowed: 0 (os), 1 (ws), 2 (is)", Dataflow);
  end

  localparam bit IsOs = (Dataflow == 0);
  localparam int unsigned CntBits = Rows > 1 ? $clog2(Rows) : 1;  // os drain counter, holds Rows-1
  localparam int unsigned VW = VBits + 2 + TagBits;  // {v_valid, last, tag, v} travelling together

  // The buses are unpacked arrays (one element per PE port), not flat vectors: Verilator then
  // connects each PE by its element instead of rebuilding a Rows*Cols*AccBits-bit vector from every
  // PE in every cycle.
  // horizontal buses: index r*(Cols+1)+c is the input of PE(r,c); c = Cols is the right edge
  logic             hb_valid [Rows*(Cols+1)];
  logic [HBits-1:0] hb       [Rows*(Cols+1)];
  // vertical buses: index r*Cols+c is the input of PE(r,c); r = Rows is the bottom edge
  logic [VW-1:0]      vb [(Rows+1)*Cols];
  logic [AccBits-1:0] ab [(Rows+1)*Cols];     // partial sums / accumulators going down
  // os: `last` leaves the bottom of column c (drain step 1)
  logic [Cols-1:0]                  drain_trig;
  // os: Rows - step + 1 for drain steps 2..Rows, else 0
  logic [Cols*CntBits-1:0]          drain_cnt;

  // ---- left edge: row r delayed by r ----
  for (genvar r = 0; r < Rows; r++) begin : g_hskew
    skew_buffer #(.Width(HBits + 1), .Depth(r)) u_skew (
      .clk_i, .rst_ni,
      .d_i({h_valid_i, h_i[r*HBits +: HBits]}),
      .q_o({hb_valid[r*(Cols+1)], hb[r*(Cols+1)]})
    );
  end

  // ---- top edge: column c delayed by c ----
  for (genvar c = 0; c < Cols; c++) begin : g_vskew
    skew_buffer #(.Width(VW), .Depth(c)) u_skew (
      .clk_i, .rst_ni,
      .d_i({v_valid_i, last_i, tag_i, v_i[c*VBits +: VBits]}),
      .q_o(vb[c])
    );
    if (IsOs) begin : g_zero
      assign ab[c] = '0;
    end else begin : g_ps
      skew_buffer #(.Width(AccBits), .Depth(c)) u_ps (
        .clk_i, .rst_ni, .d_i(ps_i[c*AccBits +: AccBits]), .q_o(ab[c])
      );
    end
  end
  if (IsOs) begin : g_ps_unused
    logic unused_ps;
    assign unused_ps = ^ps_i;
  end

  // ---- the PEs ----
  for (genvar r = 0; r < Rows; r++) begin : g_row
    for (genvar c = 0; c < Cols; c++) begin : g_col
      localparam int unsigned H = r * (Cols + 1) + c;
      localparam int unsigned V = r * Cols + c;
      // os: row r shifts in drain steps 1 .. r+1 (it receives rows r-1 .. 0, then a zero), so the
      // next fold's MACs may reach it from step r+2 on; step j >= 2 has drain_cnt = Rows - j + 1.
      logic shift;
      // the PE's vertical outputs, packed as vb's element {v_valid, last, tag, v}
      logic               down_valid, down_last;
      logic [TagBits-1:0] down_tag;
      logic [VBits-1:0]   down_v;
      assign vb[V + Cols] = {down_valid, down_last, down_tag, down_v};
      if (IsOs) begin : g_shift
        assign shift = drain_trig[c] |
                       ({1'b0, drain_cnt[c*CntBits +: CntBits]} >= (CntBits+1)'(Rows - r));
      end else begin : g_no_shift
        assign shift = 1'b0;
      end
      mac_pe #(
        .WBits(WBits), .ABits(ABits), .WSigned(WSigned), .ASigned(ASigned),
        .AccBits(AccBits), .AccSat(AccSat), .Dataflow(Dataflow), .TagBits(TagBits),
        .WShift(WShift), .WExpBits(WExpBits)
      ) u_pe (
        .clk_i, .rst_ni,
        .h_valid_i(hb_valid[H]),
        .h_i      (hb[H]),
        .v_valid_i(vb[V][VW - 1]),
        .last_i   (vb[V][VW - 2]),
        .tag_i    (vb[V][VBits +: TagBits]),
        .v_i      (vb[V][VBits-1:0]),
        .shift_i  (shift),
        .ps_i     (ab[V]),
        .h_valid_o(hb_valid[H + 1]),
        .h_o      (hb[H + 1]),
        .v_valid_o(down_valid),
        .last_o   (down_last),
        .tag_o    (down_tag),
        .v_o      (down_v),
        .acc_o    (ab[V + Cols])
      );
    end
  end

  // ---- result lanes: os drain capture or the bottom partial sums, then deskew ----
  logic [Cols*AccBits-1:0] lane;
  logic                    lane_valid;
  localparam int unsigned Bot = Rows * Cols;
  if (IsOs) begin : g_drain
    logic [Cols-1:0] ycol_valid_q;
    for (genvar c = 0; c < Cols; c++) begin : g_col
      logic               trigger, col_shift;
      logic [CntBits-1:0] cnt_q;
      logic [AccBits-1:0] ycol_q;
      assign trigger   = vb[Bot + c][VW - 2];     // `last` leaving the bottom PE
      assign col_shift = trigger | (cnt_q != '0);     // the bottom row shifts in every drain step
      assign drain_trig[c] = trigger;
      assign drain_cnt[c*CntBits +: CntBits] = cnt_q;
      always_ff @(posedge clk_i) begin
        if (!rst_ni) begin
          cnt_q           <= '0;
          ycol_q          <= '0;
          ycol_valid_q[c] <= 1'b0;
        end else begin
          if (trigger)            cnt_q <= CntBits'(Rows - 1);
          else if (cnt_q != '0)   cnt_q <= cnt_q - 1'b1;
          if (col_shift)          ycol_q <= ab[Bot + c];
          ycol_valid_q[c] <= col_shift;
        end
      end
      assign lane[c*AccBits +: AccBits] = ycol_q;
    end
    assign lane_valid = ycol_valid_q[Cols-1];
    for (genvar c = 0; c < Cols; c++) begin : g_bottom
      logic unused_os;
      assign unused_os = ^{vb[Bot + c][VW - 1], vb[Bot + c][VW - 3:0]};
    end
  end else begin : g_stream
    assign drain_trig = '0;
    assign drain_cnt  = '0;
    for (genvar c = 0; c < Cols; c++) begin : g_bottom
      assign lane[c*AccBits +: AccBits] = ab[Bot + c];
      logic unused_stream;
      assign unused_stream = ^vb[Bot + c];
    end
    assign lane_valid = hb_valid[(Rows-1)*(Cols+1) + Cols];
    logic unused_drain;
    assign unused_drain = ^{drain_trig, drain_cnt};
  end

  for (genvar c = 0; c < Cols; c++) begin : g_deskew
    skew_buffer #(.Width(AccBits), .Depth(Cols - 1 - c)) u_deskew (
      .clk_i, .rst_ni, .d_i(lane[c*AccBits +: AccBits]), .q_o(y_o[c*AccBits +: AccBits])
    );
  end
  assign y_valid_o = lane_valid;

  // the right edge's operands are not used (only PE(Rows-1,Cols-1)'s h_valid, in ws/is)
  for (genvar r = 0; r < Rows; r++) begin : g_right
    logic unused_right;
    assign unused_right = ^{hb[r*(Cols+1) + Cols], hb_valid[r*(Cols+1) + Cols]};
  end
endmodule

`default_nettype wire
