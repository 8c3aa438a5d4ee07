// accel_top: a quantized-network accelerator — a layer-program controller over the systolic MAC
// array (mac_array, output stationary), the XNOR-popcount unit (xnor_popcount, XNOR and bit-serial
// AND paths), the sliding-window generator (conv_window), the pooling unit (max_pool), per-lane
// requantizers and threshold comparators, ping-pong activation buffers and an output buffer. TS
// model: src/hw/accel_top.ts (cycle-exact); compiler and memory layout: src/hw/accel_compile.ts,
// src/hw/accel_program.ts, src/hw/accel_images.ts; the layer descriptor: accel_pkg (generated from
// src/hw/accel_desc.ts); docs/accelerator.md.
//
// Maths, per layer: a sliding window over the NHWC input map (H x W x C, element (y, x, c) at
// (y*W + x)*C + c); output pixel m = oy*Wo + ox reads patch element k = (i*kw + j)*C + c at
// (oy*sh - pt + i, ox*sw - pl + j), or the pad value outside the map (a dense layer: H = images,
// W = 1, C = K, 1 x 1). For pixel m and output n:
//   dot = sum_k w'[n][k] * x[k]
//         (mac: the array; xnor: 2*popcount(XNOR) - K; serial: bit planes)
//   acc = wrap32(dot + bias'[n])
//   (mac with per-group weight scales, GroupBits > 0 and desc.wgroup_size = S > 0: the array
//   sums each pass p of S beats on its own, acc_p = sum_{k in p} w'[n][k] x[k], and the
//   group_scale lanes give acc = wrap32(bias'[n] + sum_p m[n][p mod G] * acc_p), m from gmem,
//   G = desc.wgroups, desc.wpasses passes)
//   requant:   y = clamp(scale(acc) + zp, min, max), scale = the requantizer (ReqMode, ReqRounding)
//   threshold: y = sum_t [acc >= thr[n][t]] + offset, bipolar: 2*y - 1
//   raw:       y = acc
// and y is written at m*N + n into the next layer's input layout (slots, bit planes) or the output
// buffer. A pool layer writes max over the window of (pixel m, channel n) (OR on ±1 bits).
//
// Host interface: while idle, in_we_i writes in_data_i into word in_addr_i of activation buffer 0
// (the first layer's input layout, packed by the host); start_i starts a run; busy_o is high from
// the cycle after start_i until done_o, which is high for one cycle; cycles_o then holds the cycles
// from the start_i cycle to the done_o cycle; out_data_o is word out_addr_i (of the previous cycle)
// of the output buffer, 0 while busy.
//
// Timing (cycle of INIT = c0; each layer: INIT, ISSUE, DRAIN; the next layer's INIT follows the
// write of the last result):
//   mac: group g (tile t = g div F of `rows` output pixels on array rows 0..rows-1, fold f = g mod
//        F of the outputs) has beats k = 0..K-1 in cycles c0 + 1 + g*(K + Rows) + k (Rows idle
//        cycles: the drain rule); its rows leave the array Rows-1 first, row 0
//        K + 2*Rows + Cols - 2 cycles after its first beat, each captured; with P = desc.wpasses
//        the K beats are P passes (the array's last_i ends each), each followed by
//        the Rows idle cycles, so a group takes K + P*Rows cycles and every pass drains on its own;
//   xnor/serial: one word per cycle from c0 + 1, B = M * N * Bx * Bw * Wd words (Wd = kh segments
//        runs of ceil(kw*C/Lanes)), the last result 3 cycles after the last word;
//   pool: one element per cycle from c0 + 1 (M*C of them), each written the next cycle;
//   output stage: capture (+bias) -> requantizer (3 cycles) / threshold / raw -> clamp or offset ->
//        write: the last result is written 5 cycles after its capture, next INIT one cycle later.
//   So a layer takes (G-1)*(K+R) + K + 2R + C + 5 + G*(P-1)*R cycles on the array (G groups),
//   B + 9 on the XNOR unit and M*C + 2 in the pooling unit, and cycles_o = 1 + the sum over layers.
// Memories are loaded with $readmemh from MemDir at time 0 (src/hw/accel_images.ts writes them).
`default_nettype none

// The package is listed first in every build (src/rtl/hdl_manifest.ts), which defines the guard; a
// tool that reads this file alone (verilator --lint-only -Ihdl hdl/accel_top.sv) includes it here.
`ifndef ACCEL_PKG_SVH
`include "accel_pkg.svh"
`endif

module accel_top
  import accel_pkg::*;
#(
  parameter int unsigned Rows        = 4,
  parameter int unsigned Cols        = 4,
  parameter int unsigned WBits       = 8,
  parameter int unsigned ABits       = 8,
  parameter int unsigned WSigned     = 1,
  parameter int unsigned ASigned     = 1,
  parameter int unsigned AccBits     = 32,
  parameter int unsigned AccSat      = 0,
  parameter int unsigned WShift      = 0,   // mac_pe: 1 = power-of-two weight codes (shift PE)
  parameter int unsigned WExpBits    = 0,   // mac_pe: exponent bits of the weight code
  parameter int unsigned ReqMode     = 0,
  parameter int unsigned ReqRounding = 2,
  parameter int unsigned Lanes       = 64,
  parameter int unsigned Steps       = 1,
  parameter int unsigned WordBits    = 64,
  parameter int unsigned WDepth      = 16,
  parameter int unsigned PDepth      = 16,
  parameter int unsigned ActWords    = 32,
  parameter int unsigned OutDepth    = 16,
  parameter int unsigned Layers      = 1,
  parameter int unsigned GroupBits   = 0,   // group multiplier bits (0: no per-group weight scales)
  parameter int unsigned GDepth      = 1,   // group-multiplier memory rows
  parameter              MemDir      = ".",
  localparam int unsigned HBits    = (ABits == 1 && ASigned != 0) ? 2 : ABits,
  localparam int unsigned VBits    = (WShift != 0) ? WExpBits + 2
                                   : (WBits == 1 && WSigned != 0) ? 2 : WBits,
  localparam int unsigned ActW     = ActWords * 32,
  localparam int unsigned InAW     = ActWords > 1 ? $clog2(ActWords) : 1,
  localparam int unsigned OutAW    = OutDepth > 1 ? $clog2(OutDepth) : 1,
  localparam int unsigned NbW      = $clog2(Lanes + 1),
  localparam int unsigned CntW     = $clog2(Steps + 1),
  localparam int unsigned XAcc     = AccBits > 32 ? 32 : AccBits,
  localparam int unsigned WAW      = WDepth > 1 ? $clog2(WDepth) : 1,
  localparam int unsigned PAW      = PDepth > 1 ? $clog2(PDepth) : 1,
  localparam int unsigned LAW      = Layers > 1 ? $clog2(Layers) : 1,
  localparam int unsigned GAW      = GDepth > 1 ? $clog2(GDepth) : 1,
  localparam int unsigned RowW     = Rows > 1 ? $clog2(Rows) : 1,
  localparam int unsigned ActAW    = $clog2(ActW)
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             in_we_i,
  input  logic [InAW-1:0]  in_addr_i,
  input  logic [31:0]      in_data_i,
  input  logic             start_i,
  input  logic [OutAW-1:0] out_addr_i,
  output logic             busy_o,
  output logic             done_o,
  output logic [31:0]      cycles_o,
  output logic [31:0]      out_data_o
);
  if (WordBits < Cols * VBits || WordBits < Lanes) begin : g_bad_word
    $error("accel_top: WordBits = %0d must hold Cols*VBits = %0d and Lanes = %0d",
           WordBits, Cols * VBits, Lanes);
  end
  if (Steps < 1 || Steps > 255 || Layers < 1) begin : g_bad_prog
    $error("accel_top: Steps must be 1..255 and Layers >= 1 %s",
           "(the last layer is flagged in its descriptor)");
  end

  // ---- memories (ROMs from the compiler) and buffers -----------------------------------------
  logic [DescBits-1:0]      prog_q [Layers];
  logic [WordBits-1:0]      wmem_q [WDepth];
  logic [Cols*32-1:0]       bmem_q [PDepth];
  logic [Cols*32-1:0]       mmem_q [PDepth];
  logic [Cols*6-1:0]        smem_q [PDepth];
  logic [Cols*Steps*32-1:0] tmem_q [PDepth];
  initial begin
    $readmemh({MemDir, "/prog.hex"}, prog_q);
    $readmemh({MemDir, "/wmem.hex"}, wmem_q);
    $readmemh({MemDir, "/bmem.hex"}, bmem_q);
    $readmemh({MemDir, "/mmem.hex"}, mmem_q);
    $readmemh({MemDir, "/smem.hex"}, smem_q);
    $readmemh({MemDir, "/tmem.hex"}, tmem_q);
  end
  // the two activation buffers, ActWords 32-bit words each: bit i of a buffer is bit i mod 32 of
  // word i div 32 (word memories rather than ActW-bit vectors: Verilator copies a whole vector
  // for every computed part-select of it)
  logic [31:0] act_q [2][ActWords];
  logic [31:0] out_q [OutDepth];
  // word w of buffer b, 0 past the end
  function automatic logic [31:0] act_word(logic b, logic [31:0] w);
    return w < ActWords ? act_q[b][w[InAW-1:0]] : '0;
  endfunction
  // bits pos .. pos + WinBits - 33 of buffer b at the bottom (WinBits - 32 >= Lanes, 32)
  localparam int unsigned WinBits = ((Lanes + 31) / 32 + 1) * 32;
  function automatic logic [WinBits-1:0] act_bits(logic b, logic [31:0] pos);
    logic [WinBits-1:0] win;
    for (int i = 0; i < WinBits / 32; i++) win[i*32 +: 32] = act_word(b, (pos >> 5) + 32'(i));
    return win >> pos[4:0];
  endfunction
  // bits pos .. pos + 31 of buffer b (a slot of HBits <= 32 bits, or a plane bit, at the bottom)
  function automatic logic [31:0] act_slot(logic b, logic [31:0] pos);
    return 32'({act_word(b, (pos >> 5) + 32'd1), act_word(b, pos >> 5)} >> pos[4:0]);
  endfunction

  // ---- controller state -------------------------------------------------------------------------
  typedef enum logic [2:0] {SIdle, SInit, SIssue, SDrain, SDone} state_e;
  state_e      state_q, state_d;
  logic [15:0] layer_q, layer_d;
  logic        sel_q, sel_d;   // the current layer reads act_q[sel_q], writes act_q[!sel_q]
  logic [31:0] cnt_q, cnt_d, cycles_q, cycles_d;
  // issue: group g; beat (mac) or word (xnor/serial) k of the patch (conv_window walks its kernel
  // rows, columns, channels / segments); idle cycles; fold f (mac) or output n (xnor/serial) or
  // channel (pool) of the tile
  logic [31:0] g_q, g_d, k_q, k_d, gap_q, gap_d, f_q, f_d;
  logic [31:0] m_q, m_d, b_q, b_d;        // serial planes of x and w
  logic [31:0] ycnt_q, ycnt_d, capg_q, capg_d;  // array rows seen in the group, groups captured
  // per-group weight scales: beat within the pass (issue); the pass being captured and its weight
  // group (pass mod wgroups)
  logic [31:0] gk_q, gk_d, capp_q, capp_d, capj_q, capj_d;
  // capture: fold / output of the group being captured, its first output pixel
  logic [31:0] capf_q, capf_d, capm_q, capm_d;

  // the current layer's descriptor (accel_pkg); fields in 32-bit slots, the high bits unused
  /* verilator lint_off UNUSEDSIGNAL */
  accel_desc_t desc;
  /* verilator lint_on UNUSEDSIGNAL */
  assign desc = prog_q[layer_q[LAW-1:0]];
  logic is_mac, is_pool;
  assign is_mac = desc.engine == EngineMac;
  assign is_pool = desc.engine == EnginePool;

  // the sliding-window generator's taps (conv_window, below): element indices of the array rows'
  // patch elements and the slots read there; the XNOR segment (map element, weight shift, valid
  // bits); the pooling window's elements (up to PoolMax x PoolMax: POOL_MAX in
  // src/hw/accel_compile.ts); the tile's first output pixel
  localparam int unsigned PoolMax = 3;
  logic [Rows*32-1:0]            tap_idx;
  logic [Rows*HBits-1:0]         tap;
  logic [31:0]                   x_pix, x_sh;
  logic [NbW-1:0]                x_nbits;
  logic [PoolMax*PoolMax*32-1:0] pool_idx;
  logic [31:0]                   pix;

  // ---- issue: the MAC array beat ----------------------------------------------------------------
  logic                    mac_beat;
  logic [Rows*HBits-1:0]   h_vec;
  logic [Cols*VBits-1:0]   v_vec;
  logic                    y_valid;
  logic [Cols*AccBits-1:0] y_vec;
  logic [WAW-1:0]          mac_waddr;
  assign mac_beat = state_q == SIssue && is_mac && gap_q == 0;
  // the beat ends a pass through the array: the patch's last beat, or a weight group's
  logic pass_end;
  assign pass_end = k_q == desc.k - 1 || (desc.wgroup_size != 0 && gk_q == desc.wgroup_size - 1);
  assign mac_waddr = WAW'(desc.w_base + f_q * desc.k + k_q);
  // the taps of the array rows (conv_window names the elements; padded taps get the pad value)
  always_comb begin
    for (int r = 0; r < Rows; r++) begin
      tap[r*HBits +: HBits] = HBits'(act_slot(sel_q, tap_idx[r*32 +: 32] * HBits));
    end
  end
  assign v_vec = wmem_q[mac_waddr][Cols*VBits-1:0];

  mac_array #(
    .Rows(Rows), .Cols(Cols), .WBits(WBits), .ABits(ABits), .WSigned(WSigned), .ASigned(ASigned),
    .AccBits(AccBits), .AccSat(AccSat), .Dataflow(0), .WShift(WShift), .WExpBits(WExpBits)
  ) u_array (
    .clk_i, .rst_ni,
    .h_valid_i(mac_beat), .h_i(h_vec), .v_valid_i(mac_beat), .v_i(v_vec),
    .last_i(mac_beat && pass_end), .tag_i('0), .ps_i('0),
    .y_valid_o(y_valid), .y_o(y_vec)
  );

  // ---- issue: the XNOR-popcount word (xnor: Bx = Bw = 1) ----------------------------------------
  logic             x_word, x_first, x_last, x_neg, x_and;
  logic [Lanes-1:0] x_a, x_w;
  logic [WAW-1:0]   x_waddr;
  logic [ActAW-1:0] x_aoff;
  logic [31:0]      x_bx, x_bw;
  logic             x_valid;
  logic [XAcc-1:0]  x_dot;
  /* verilator lint_off UNUSEDSIGNAL */
  // the unit's own thresholds are not used: the output stage thresholds
  logic             x_act_unused;
  /* verilator lint_on UNUSEDSIGNAL */
  assign x_and = desc.engine == EngineSerial;
  assign x_bx = x_and ? desc.x_planes : 32'd1;
  assign x_bw = x_and ? desc.w_planes : 32'd1;
  assign x_word = state_q == SIssue && !is_mac && !is_pool;
  assign x_first = m_q == 0 && b_q == 0 && k_q == 0;
  assign x_last = m_q == x_bx - 1 && b_q == x_bw - 1 && k_q == desc.wd - 1;
  assign x_neg = x_and &&
                 ((desc.signs[0] && m_q == x_bx - 1) != (desc.signs[1] && b_q == x_bw - 1));
  assign x_waddr = WAW'(desc.w_base + (f_q * x_bw + b_q) * desc.wd + k_q);
  // the segment of the kernel row, cut at the padding by conv_window: read from map element
  // x_pix (of plane m), the weight word shifted down by x_sh, x_nbits valid bits
  assign x_aoff = ActAW'(m_q * desc.in_stride + x_pix);
  assign x_a = Lanes'(act_bits(sel_q, 32'(x_aoff)));
  assign x_w = wmem_q[x_waddr][Lanes-1:0] >> x_sh;

  xnor_popcount #(.Lanes(Lanes), .AccBits(XAcc), .Thresholds(1), .Channels(1)) u_xnor (
    .clk_i, .rst_ni,
    .thr_we_i(1'b0), .thr_ch_i('0), .thr_idx_i('0), .thr_val_i('0),
    .valid_i(x_word), .first_i(x_first), .last_i(x_last), .and_i(x_and), .neg_i(x_neg),
    .shift_i(5'(m_q + b_q)), .nbits_i(x_nbits), .ch_i('0), .a_i(x_a), .w_i(x_w), .stall_i(1'b0),
    .valid_o(x_valid), .dot_o(x_dot), .act_o(x_act_unused)
  );

  // the issue side finishes a group: the last beat of a mac group, the last word of an output's
  // plane pairs, one pooled element
  logic group_end;
  assign group_end = is_mac ? gap_q == 0 && k_q == desc.k - 1 :
                     is_pool ? 1'b1 : x_last;

  // ---- the pooling unit: max over the kh x kw window of (pixel, channel f) ----------------------
  // a bipolar plane layout holds one bit per element, a slot layout HBits
  logic                            pool_issue, pool_bipolar;
  logic [PoolMax*PoolMax*HBits-1:0] pool_x;
  logic [31:0]                     pool_v;
  assign pool_issue = state_q == SIssue && is_pool;
  assign pool_bipolar = desc.out_kind == OutKindPlanes;
  always_comb begin
    for (int t = 0; t < PoolMax * PoolMax; t++) begin
      logic [31:0] e;
      e = pool_idx[t*32 +: 32];
      pool_x[t*HBits +: HBits] = HBits'(act_slot(sel_q, pool_bipolar ? e : e * HBits));
    end
  end
  max_pool #(.HBits(HBits), .Signed(ASigned), .PoolMax(PoolMax)) u_pool (
    .x_i(pool_x), .kh_i(desc.kh), .kw_i(desc.kw), .bipolar_i(pool_bipolar), .y_o(pool_v)
  );

  // ---- the sliding-window generator -------------------------------------------------------------
  // init: the layer's first cycle; tile: the issue side's group end after the last fold; step: a
  // mac beat or an XNOR word, last: the patch's last beat / word
  conv_window #(.Rows(Rows), .Lanes(Lanes), .HBits(HBits), .PoolMax(PoolMax)) u_window (
    .clk_i, .rst_ni,
    .init_i(state_q == SInit), .tile_i(state_q == SIssue && group_end && f_q == desc.folds - 1),
    .step_i(mac_beat || x_word), .last_i(is_mac ? k_q == desc.k - 1 : k_q == desc.wd - 1),
    .seg_i(!is_mac),
    .map_h_i(desc.map_h), .map_c_i(desc.map_c), .sh_i(desc.sh), .pt_i(desc.pt),
    .out_w_i(desc.out_w), .rows_i(desc.rows), .row_len_i(desc.row_len), .in_row_i(desc.in_row),
    .step_x_i(desc.step_x), .step_y_i(desc.step_y), .origin_i(desc.origin),
    .origin_x_i(desc.origin_x), .pad_i(desc.pad[HBits-1:0]),
    .tap_idx_o(tap_idx), .tap_i(tap), .h_o(h_vec),
    .seg_pos_o(x_pix), .seg_sh_o(x_sh), .seg_nbits_o(x_nbits),
    .chan_i(f_q), .pool_idx_o(pool_idx), .pix_o(pix)
  );

  // ---- output stage A: capture + bias, requantizer configuration --------------------------------
  logic        cap;
  logic [PAW-1:0] prow;
  // every array row of a mac group is captured (rows Rows-1 .. 0 leave in consecutive cycles); the
  // group ends with row 0
  logic        cap_end, cap_fin;
  logic [31:0] cap_row;
  // the capture of the patch's last pass (always, without per-group scales: wpasses = 1)
  assign cap_fin = capp_q == desc.wpasses - 1;
  assign cap = (state_q == SIssue || state_q == SDrain) && (is_mac ? y_valid : x_valid);
  assign cap_end = is_mac ? ycnt_q == Rows - 1 : 1'b1;
  assign cap_row = is_mac ? Rows - 1 - ycnt_q : '0;
  assign prow = PAW'(desc.p_base + capf_q);
  logic [Cols*32-1:0]       p_bias, p_mult;
  logic [Cols*6-1:0]        p_shift;
  logic [Cols*Steps*32-1:0] p_thr;
  assign p_bias = bmem_q[prow];
  assign p_mult = mmem_q[prow];
  assign p_shift = smem_q[prow];
  assign p_thr = tmem_q[prow];

  logic                     a_valid_q, a_end_q, a_ok_q;
  logic [31:0]              a_g_q, a_m_q, a_n_q;
  logic [Cols*32-1:0]       a_acc_q;
  logic [Cols*Steps*32-1:0] a_thr_q;
  logic [Cols*32-1:0]       cap_dot;
  for (genvar c = 0; c < Cols; c++) begin : g_capdot
    if (c == 0) begin : g_lane0
      assign cap_dot[31:0] = is_mac ? 32'($signed(y_vec[AccBits-1:0])) : 32'($signed(x_dot));
    end else begin : g_lane
      assign cap_dot[c*32 +: 32] = 32'($signed(y_vec[c*AccBits +: AccBits]));
    end
  end
  // acc + bias', or with group multipliers the group_scale lanes' wrap32(bias' + sum_j m_j acc_j)
  logic [Cols*32-1:0]       cap_acc;
  if (GroupBits == 0) begin : g_no_groups
    for (genvar c = 0; c < Cols; c++) begin : g_lane
      assign cap_acc[c*32 +: 32] = cap_dot[c*32 +: 32] + p_bias[c*32 +: 32];
    end
  end else begin : g_groups
    // gmem row g_base + f*P + j: fold f, weight group j; lane c's multiplier (1 without groups)
    logic [Cols*GroupBits-1:0] gmem_q [GDepth];
    initial $readmemh({MemDir, "/gmem.hex"}, gmem_q);
    logic [Cols*GroupBits-1:0] g_mult;
    assign g_mult = gmem_q[GAW'(desc.g_base + capf_q * desc.wgroups + capj_q)];
    for (genvar c = 0; c < Cols; c++) begin : g_lane
      logic [GroupBits-1:0] m;
      assign m = desc.wgroup_size == 0 ? GroupBits'(1) : g_mult[c*GroupBits +: GroupBits];
      group_scale #(.Rows(Rows), .MBits(GroupBits)) u_gs (
        .clk_i, .rst_ni, .valid_i(cap), .first_i(capp_q == 0), .row_i(RowW'(cap_row)),
        .dot_i(cap_dot[c*32 +: 32]), .m_i(m), .base_i(p_bias[c*32 +: 32]),
        .acc_o(cap_acc[c*32 +: 32])
      );
    end
  end
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      a_valid_q <= 1'b0;
      {a_end_q, a_ok_q} <= '0;
      {a_g_q, a_m_q, a_n_q} <= '0;
      a_acc_q <= '0;
      a_thr_q <= '0;
    end else begin
      // a patch's value goes on after its last weight group
      a_valid_q <= cap && cap_fin;
      if (cap) begin
        a_g_q <= capg_q;
        a_end_q <= cap_end;
        a_ok_q <= cap_row < desc.rows;
        a_m_q <= capm_q + cap_row;
        a_n_q <= is_mac ? capf_q * Cols : capf_q;
        for (int c = 0; c < Cols; c++) begin
          a_acc_q[c*32 +: 32] <= cap_acc[c*32 +: 32];
        end
        a_thr_q <= p_thr;
      end
    end
  end

  // ---- output stage B: requantizer lanes (3 cycles) beside threshold / raw delay lines ----------
  logic [Cols-1:0]      rq_valid;
  logic [Cols*32-1:0]   rq_data;
  logic [Cols*CntW-1:0] thr_cnt;
  for (genvar c = 0; c < Cols; c++) begin : g_lane
    requantizer #(
      .AccBits(32), .Channels(1), .Mode(ReqMode), .Rounding(ReqRounding),
      .OutBits(32), .OutSigned(1), .ZeroPoint(0), .Relu(0)
    ) u_rq (
      .clk_i, .rst_ni,
      .cfg_we_i(cap), .cfg_ch_i(1'b0), .cfg_mult_i(p_mult[c*32 +: 32]),
      .cfg_shift_i(p_shift[c*6 +: 6]),
      .valid_i(a_valid_q), .ch_i(1'b0), .acc_i(a_acc_q[c*32 +: 32]), .stall_i(1'b0),
      .valid_o(rq_valid[c]), .data_o(rq_data[c*32 +: 32])
    );
    // 33-bit compare: thresholds past the layer's step count become 2^32 - 1, which no int32
    // reaches
    logic [Steps*33-1:0] thr33;
    for (genvar t = 0; t < Steps; t++) begin : g_t
      assign thr33[t*33 +: 33] = t < desc.steps ? 33'($signed(a_thr_q[(c*Steps + t)*32 +: 32]))
                                                : 33'h0_ffff_ffff;
    end
    multi_threshold #(.Width(33), .Thresholds(Steps)) u_thr (
      .x_i(33'($signed(a_acc_q[c*32 +: 32]))), .thr_i(thr33), .cnt_o(thr_cnt[c*CntW +: CntW])
    );
  end
  // the capture's place (group, end of group, row in use, pixel, first output) rides along
  typedef struct packed {
    logic [31:0] g;
    logic        fin;
    logic        ok;
    logic [31:0] m;
    logic [31:0] n;
  } place_t;
  place_t               b_pl_q  [3];
  logic [Cols*32-1:0]   b_acc_q [3];
  logic [Cols*CntW-1:0] b_cnt_q [3];
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      for (int i = 0; i < 3; i++) begin
        b_pl_q[i] <= '0;
        b_acc_q[i] <= '0;
        b_cnt_q[i] <= '0;
      end
    end else begin
      b_pl_q[0] <= '{g: a_g_q, fin: a_end_q, ok: a_ok_q, m: a_m_q, n: a_n_q};
      b_acc_q[0] <= a_acc_q;
      b_cnt_q[0] <= thr_cnt;
      for (int i = 1; i < 3; i++) begin
        b_pl_q[i] <= b_pl_q[i-1];
        b_acc_q[i] <= b_acc_q[i-1];
        b_cnt_q[i] <= b_cnt_q[i-1];
      end
    end
  end

  // ---- output stage C: zero point + clamp / offset + bipolar / raw ------------------------------
  logic               c_valid_q;
  place_t             c_pl_q;
  logic [Cols*32-1:0] c_v_q, c_v_d;
  always_comb begin
    for (int c = 0; c < Cols; c++) begin
      logic signed [33:0] y;
      logic signed [33:0] t;
      y = 34'($signed(rq_data[c*32 +: 32])) + 34'($signed(desc.zp));
      if (y < 34'($signed(desc.min))) y = 34'($signed(desc.min));
      if (y > 34'($signed(desc.max))) y = 34'($signed(desc.max));
      t = 34'(b_cnt_q[2][c*CntW +: CntW]) + 34'($signed(desc.zp));
      if (desc.thr_bipolar) t = 2 * t - 1;
      case (desc.stage)
        StageRequant: c_v_d[c*32 +: 32] = y[31:0];
        StageThreshold: c_v_d[c*32 +: 32] = t[31:0];
        default: c_v_d[c*32 +: 32] = b_acc_q[2][c*32 +: 32];
      endcase
    end
  end
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      c_valid_q <= 1'b0;
      c_pl_q <= '0;
      c_v_q <= '0;
    end else if (is_pool) begin
      // the pooling unit writes through stage D directly: element (pixel, channel f)
      c_valid_q <= pool_issue;
      c_pl_q <= '{g: g_q, fin: 1'b1, ok: 1'b1, m: pix, n: f_q};
      c_v_q <= {{(Cols-1)*32{1'b0}}, pool_v};
    end else begin
      c_valid_q <= &rq_valid;
      c_pl_q <= b_pl_q[2];
      c_v_q <= c_v_d;
    end
  end

  // ---- output stage D: write into the next layout; the controller -------------------------------
  // lane c writes output n = n0 + c of pixel m (mac; lane 0 only for xnor/serial/pool) at NHWC
  // index m*N + n when n < N, m < M and the array row was in use; a bit-plane layout takes bit p of
  // the value, or for a bipolar layout the sign (1 = +1). Buffer bit positions: slot w_idx*HBits
  // (w_slot), plane p: p*out_stride + w_idx (w_plane[p] + w_idx); always below the compiler's
  // actBits <= ActW (the writes of a layer stay inside its output layout).
  logic [Cols-1:0]    w_en;
  logic [Cols*32-1:0] w_idx, w_bit;
  logic [31:0]        w_slot [Cols];
  logic [31:0]        w_plane [32];
  always_comb begin
    for (int p = 0; p < 32; p++) w_plane[p] = 32'(p) * desc.out_stride;
    for (int c = 0; c < Cols; c++) begin
      logic [31:0] v;
      w_idx[c*32 +: 32] = c_pl_q.m * desc.n + c_pl_q.n + 32'(c);
      w_slot[c] = w_idx[c*32 +: 32] * HBits;
      w_en[c] = (is_mac || c == 0) && c_pl_q.n + 32'(c) < desc.n && c_pl_q.m < desc.pixels &&
                c_pl_q.ok;
      v = c_v_q[c*32 +: 32];
      w_bit[c*32 +: 32] = desc.out_bipolar ? {31'b0, !v[31] && v != 0} : v;
    end
  end
  logic last_write;
  assign last_write = c_valid_q && c_pl_q.fin && c_pl_q.g == desc.groups - 1;

  // the buffers: host writes into the input buffer while idle, stage D writes the results
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      out_q <= '{default: '0}; // one delayed write site (a loop of OutDepth > 64 is not unrolled)
      out_data_o <= '0;
    end else begin
      out_data_o <= (state_q == SIdle || state_q == SDone) ? out_q[out_addr_i] : '0;
      if (state_q == SIdle && in_we_i) act_q[0][in_addr_i] <= in_data_i;
      if (c_valid_q) begin
        for (int c = 0; c < Cols; c++) begin
          if (w_en[c]) begin
            case (desc.out_kind)
              // slot: HBits bits from bit w_idx*HBits (one word when HBits divides 32)
              OutKindSlots: if (32 % HBits == 0) begin
                act_q[!sel_q][InAW'(w_slot[c] >> 5)][w_slot[c][4:0] +: HBits] <=
                  c_v_q[c*32 +: HBits];
              end else begin
                for (int j = 0; j < HBits; j++) begin
                  act_q[!sel_q][InAW'((w_slot[c] + 32'(j)) >> 5)][5'(w_slot[c] + 32'(j))] <=
                    c_v_q[c*32 + j];
                end
              end
              OutKindPlanes: for (int p = 0; p < 32; p++) begin
                if (p < desc.out_planes) begin
                  act_q[!sel_q][InAW'((w_plane[p] + w_idx[c*32 +: 32]) >> 5)]
                               [5'(w_plane[p] + w_idx[c*32 +: 32])] <= w_bit[c*32 + p];
                end
              end
              default: out_q[w_idx[c*32 +: OutAW]] <= c_v_q[c*32 +: 32];
            endcase
          end
        end
      end
    end
  end

  // the controller (next state)
  always_comb begin
    state_d = state_q;
    layer_d = layer_q;
    sel_d = sel_q;
    cnt_d = state_q != SIdle ? cnt_q + 1 : cnt_q;
    cycles_d = cycles_q;
    {g_d, k_d, gap_d, f_d, m_d, b_d} = {g_q, k_q, gap_q, f_q, m_q, b_q};
    {ycnt_d, capg_d, capf_d, capm_d} = {ycnt_q, capg_q, capf_q, capm_q};
    {gk_d, capp_d, capj_d} = {gk_q, capp_q, capj_q};
    // capture bookkeeping: a group's end moves to the next fold / output, after the last fold
    // to the next tile of `rows` pixels
    if (state_q == SIssue || state_q == SDrain) begin
      if (is_mac && y_valid) ycnt_d = ycnt_q == Rows - 1 ? '0 : ycnt_q + 1;
      // a pass's rows captured: the next pass (its group wraps at wgroups); after the last the
      // next fold
      if (cap && cap_end && !cap_fin) begin
        capp_d = capp_q + 1;
        capj_d = capj_q == desc.wgroups - 1 ? '0 : capj_q + 1;
      end
      if (cap && cap_end && cap_fin) begin
        {capp_d, capj_d} = '0;
        capg_d = capg_q + 1;
        if (capf_q == desc.folds - 1) begin
          capf_d = '0;
          capm_d = capm_q + desc.rows;
        end else capf_d = capf_q + 1;
      end
    end
    // the issue side's group end: next fold / output / channel; after the last, the next tile
    // (conv_window moves its rows)
    if (state_q == SIssue && group_end) begin
      g_d = g_q + 1;
      if (f_q == desc.folds - 1) f_d = '0;
      else f_d = f_q + 1;
      if (g_q == desc.groups - 1) state_d = SDrain;
    end
    case (state_q)
      SIdle: if (start_i) begin
        state_d = SInit;
        layer_d = '0;
        sel_d = 1'b0;
        cnt_d = 32'd1;
      end
      SInit: begin
        state_d = SIssue;
        {g_d, k_d, gap_d, f_d, m_d, b_d} = '0;
        {ycnt_d, capg_d, capf_d, capm_d} = '0;
        {gk_d, capp_d, capj_d} = '0;
      end
      SIssue: if (is_mac) begin
        // a pass ends with the Rows idle cycles of the drain rule; the patch's last one with k = 0
        if (gap_q != 0) gap_d = gap_q - 1;
        else if (!pass_end) begin
          k_d = k_q + 1;
          gk_d = gk_q + 1;
        end else begin
          k_d = k_q == desc.k - 1 ? '0 : k_q + 1;
          gk_d = '0;
          gap_d = Rows;
        end
      end else if (!is_pool) begin
        if (k_q != desc.wd - 1) k_d = k_q + 1;
        else begin
          k_d = '0;
          if (b_q != x_bw - 1) b_d = b_q + 1;
          else begin
            b_d = '0;
            if (m_q != x_bx - 1) m_d = m_q + 1;
            else m_d = '0;
          end
        end
      end
      SDrain: if (last_write) begin
        if (desc.last) begin
          state_d = SDone;
          cycles_d = cnt_q + 1;
        end else begin
          state_d = SInit;
          layer_d = layer_q + 1;
          sel_d = !sel_q;
        end
      end
      SDone: state_d = SIdle;
      default: state_d = SIdle;
    endcase
  end

  // the controller (registers)
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q <= SIdle;
      layer_q <= '0;
      sel_q <= 1'b0;
      cnt_q <= '0;
      cycles_q <= '0;
      {g_q, k_q, gap_q, f_q, m_q, b_q} <= '0;
      {ycnt_q, capg_q, capf_q, capm_q} <= '0;
      {gk_q, capp_q, capj_q} <= '0;
    end else begin
      state_q <= state_d;
      layer_q <= layer_d;
      sel_q <= sel_d;
      cnt_q <= cnt_d;
      cycles_q <= cycles_d;
      {g_q, k_q, gap_q, f_q, m_q, b_q} <= {g_d, k_d, gap_d, f_d, m_d, b_d};
      {ycnt_q, capg_q, capf_q, capm_q} <= {ycnt_d, capg_d, capf_d, capm_d};
      {gk_q, capp_q, capj_q} <= {gk_d, capp_d, capj_d};
    end
  end

  assign busy_o = state_q == SInit || state_q == SIssue || state_q == SDrain;
  assign done_o = state_q == SDone;
  assign cycles_o = cycles_q;
endmodule

`default_nettype wire
