// conv_window: the accelerator's sliding-window input generator (FINN's ConvolutionInputGenerator
// is the idea). It walks the output pixels of a layer and the elements of each pixel's patch over
// the NHWC input map (H x W x C, element (y, x, c) at (y*W + x)*C + c) and names the activation
// buffer elements to read, straight from the buffer (no im2col copy). TS model of the addressing:
// src/hw/conv_window.ts (patchIndex, gatherPatches, maxPoolNhwc, windowStrides); instantiated by
// accel_top. Address arithmetic is adds and compares only (modulo 2^32; the descriptor carries the
// strides, windowStrides): no multiplier.
//
// The walk: array row r of a tile is at output pixel p = pix_o + r, (oy, ox) of the Wo-wide output
// map; row 0 also serves the XNOR/bit-serial unit and the pooling unit. A pixel's window corner is
// the input position (iy, ix) = (oy*sh - pt, ox*sw - pl) with address base = (iy*W + ix)*C.
//   registers: row 0's ox, iy, xc = ix*C (its corner column in elements) and base; the patch
//     element counters ki, kiw = ki*W*C, kjc = kj*C, kc.
//   rows 1 .. Rows (combinational, each from the one before, ox < Wo): the next pixel is
//     (ox + 1, iy, xc + sw*C, base + sw*C), or past the last column (ox + 1 = Wo) (0, iy + sh,
//     -pl*C, base + (sh*W - (Wo - 1)*sw)*C).
//   init_i (a layer's first cycle): row 0 at pixel 0: (0, -pt, -pl*C, -(pt*W + pl)*C), pix_o = 0,
//     patch element 0;
//   tile_i: row 0 moves `rows` pixels on, to the walk's row `rows` (1 <= rows <= Rows); pix_o +=
//     rows;
//   step_i: the next patch element; with last_i (the patch's last element) back to element 0.
//     mac (seg_i = 0): element k = (ki*kw + kj)*C + kc, kc fastest (kj*C + C = kw*C ends a row);
//     xnor/serial (seg_i = 1): word k = ki*segs + kc/Lanes, kc = the segment's first element of
//     kernel row ki, stepping by Lanes while kc + Lanes < kw*C.
// The taps (combinational):
//   mac: row r reads input (iy + ki, ix + kj), tap_idx_o[r] = base + kiw + kjc + kc; h_o[r] =
//     tap_i[r] (the slot read there), or pad_i when iy + ki is outside [0, H) or xc + kjc outside
//     [0, W*C) (the tap is in the padding).
//   xnor/serial: kernel row ki of row 0's pixel is input row iy + ki, columns ix + j (j < kw): its
//     kw*C elements e = j*C + c lie contiguous in the map from base + kiw, read in segments of
//     Lanes (elements [kc, kc + Lanes)). A tap in the padding adds 0 (the pad value of these
//     engines is 0 = the input zero point; for ±1 inputs the popcount leaves it out,
//     docs/accelerator.md): of the segment only the elements [lo, hi) count, lo = max(kc, jlo),
//     hi = min(kc + Lanes, jhi), jlo = max(0, -xc), jhi = min(kw*C, W*C - xc), none when iy + ki
//     is outside the map. seg_pos_o = base + kiw + lo (the word is read from there), seg_sh_o =
//     lo - kc (the weight word's shift), seg_nbits_o = hi - lo (the valid bits the unit masks);
//     all 0 for an empty segment.
//   pool: tap (i, j) of row 0's window (unpadded: base = (oy*sh*W + ox*sw)*C), channel chan_i:
//     pool_idx_o[i*PoolMax + j] = base + chan_i + i*W*C + j*C, i, j < PoolMax.
// Addresses are 32-bit; the window coordinates iy, xc signed 34-bit.
`default_nettype none

module conv_window #(
  parameter int unsigned Rows    = 4,
  parameter int unsigned Lanes   = 64,
  parameter int unsigned HBits   = 8,
  parameter int unsigned PoolMax = 3,
  localparam int unsigned NbW    = $clog2(Lanes + 1),
  localparam int unsigned Taps   = PoolMax * PoolMax
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  // the walk
  input  logic                  init_i,
  input  logic                  tile_i,
  input  logic                  step_i,
  input  logic                  last_i,
  input  logic                  seg_i,
  // the layer's geometry and strides (descriptor fields, accel_pkg)
  input  logic [31:0]           map_h_i,
  input  logic [31:0]           map_c_i,
  input  logic [31:0]           sh_i,
  input  logic [31:0]           pt_i,
  input  logic [31:0]           out_w_i,
  input  logic [31:0]           rows_i,
  input  logic [31:0]           row_len_i,
  input  logic [31:0]           in_row_i,
  input  logic [31:0]           step_x_i,
  input  logic [31:0]           step_y_i,
  input  logic [31:0]           origin_i,
  input  logic [31:0]           origin_x_i,
  input  logic [HBits-1:0]      pad_i,
  // mac taps: element indices, the slots read there, the array's row inputs
  output logic [Rows*32-1:0]    tap_idx_o,
  input  logic [Rows*HBits-1:0] tap_i,
  output logic [Rows*HBits-1:0] h_o,
  // xnor/serial segment of row 0
  output logic [31:0]           seg_pos_o,
  output logic [31:0]           seg_sh_o,
  output logic [NbW-1:0]        seg_nbits_o,
  // pool taps of row 0, channel chan_i
  input  logic [31:0]           chan_i,
  output logic [Taps*32-1:0]    pool_idx_o,
  // the tile's first output pixel
  output logic [31:0]           pix_o
);
  // ---- the walk ---------------------------------------------------------------------------------
  logic [31:0]        ox_q, ox_d, base_q, base_d, pix_q, pix_d;
  logic signed [33:0] iy_q, iy_d, xc_q, xc_d;
  logic [31:0]        ki_q, ki_d, kiw_q, kiw_d, kjc_q, kjc_d, kc_q, kc_d;

  // the window corners of rows 0 .. Rows (row r: bits [32r, 32r + 32) / [34r, 34r + 34))
  logic [(Rows+1)*32-1:0] w_ox, w_base;
  logic [(Rows+1)*34-1:0] w_iy, w_xc;
  always_comb begin
    logic [31:0] ox, base;
    logic [33:0] iy, xc;
    {ox, iy, xc, base} = {ox_q, iy_q, xc_q, base_q};
    w_ox[31:0] = ox;
    w_iy[33:0] = iy;
    w_xc[33:0] = xc;
    w_base[31:0] = base;
    for (int r = 1; r <= Rows; r++) begin
      if (ox + 32'd1 == out_w_i) begin
        ox = '0;
        iy = iy + 34'(sh_i);
        xc = 34'($signed(origin_x_i));
        base = base + step_y_i;
      end else begin
        ox = ox + 32'd1;
        xc = xc + 34'(step_x_i);
        base = base + step_x_i;
      end
      w_ox[r*32 +: 32] = ox;
      w_iy[r*34 +: 34] = iy;
      w_xc[r*34 +: 34] = xc;
      w_base[r*32 +: 32] = base;
    end
  end

  always_comb begin
    {ox_d, iy_d, xc_d, base_d, pix_d} = {ox_q, iy_q, xc_q, base_q, pix_q};
    {ki_d, kiw_d, kjc_d, kc_d} = {ki_q, kiw_q, kjc_q, kc_q};
    if (init_i) begin
      {ox_d, pix_d} = '0;
      iy_d = -(34'(pt_i));
      xc_d = 34'($signed(origin_x_i));
      base_d = origin_i;
      {ki_d, kiw_d, kjc_d, kc_d} = '0;
    end
    if (tile_i) begin
      pix_d = pix_q + rows_i;
      for (int r = 1; r <= Rows; r++) begin
        if (rows_i == 32'(r)) begin
          ox_d = w_ox[r*32 +: 32];
          iy_d = w_iy[r*34 +: 34];
          xc_d = w_xc[r*34 +: 34];
          base_d = w_base[r*32 +: 32];
        end
      end
    end
    if (step_i) begin
      if (last_i) {ki_d, kiw_d, kjc_d, kc_d} = '0;
      else if (seg_i) begin
        if (kc_q + 32'(Lanes) < row_len_i) kc_d = kc_q + 32'(Lanes);
        else begin
          kc_d = '0;
          ki_d = ki_q + 1;
          kiw_d = kiw_q + in_row_i;
        end
      end else if (kc_q != map_c_i - 1) kc_d = kc_q + 1;
      else begin
        kc_d = '0;
        if (kjc_q + map_c_i != row_len_i) kjc_d = kjc_q + map_c_i;
        else begin
          kjc_d = '0;
          ki_d = ki_q + 1;
          kiw_d = kiw_q + in_row_i;
        end
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      {ox_q, iy_q, xc_q, base_q, pix_q} <= '0;
      {ki_q, kiw_q, kjc_q, kc_q} <= '0;
    end else begin
      {ox_q, iy_q, xc_q, base_q, pix_q} <= {ox_d, iy_d, xc_d, base_d, pix_d};
      {ki_q, kiw_q, kjc_q, kc_q} <= {ki_d, kiw_d, kjc_d, kc_d};
    end
  end
  assign pix_o = pix_q;

  // ---- mac taps: addresses, then the padding (two blocks: h_o depends on the reads of tap_idx_o)
  logic [Rows-1:0] tap_pad;
  logic [31:0]     k_off;
  assign k_off = kiw_q + kjc_q + kc_q;
  always_comb begin
    for (int r = 0; r < Rows; r++) begin
      logic signed [33:0] iy, ix;
      iy = $signed(w_iy[r*34 +: 34]) + $signed(34'(ki_q));
      ix = $signed(w_xc[r*34 +: 34]) + $signed(34'(kjc_q));
      tap_idx_o[r*32 +: 32] = w_base[r*32 +: 32] + k_off;
      tap_pad[r] = iy < 0 || ix < 0 || iy >= $signed(34'(map_h_i)) || ix >= $signed(34'(in_row_i));
    end
  end
  always_comb begin
    for (int r = 0; r < Rows; r++) begin
      h_o[r*HBits +: HBits] = tap_pad[r] ? pad_i : tap_i[r*HBits +: HBits];
    end
  end

  // ---- xnor/serial: the segment of kernel row ki, cut at the padding ----------------------------
  logic signed [33:0] xiy, jlo, jhi, seg, seg_end, lo, hi;
  logic               seg_ok;
  always_comb begin
    xiy = iy_q + $signed(34'(ki_q));
    jlo = xc_q < 0 ? -xc_q : '0;
    jhi = $signed(34'(in_row_i)) - xc_q;
    if (jhi > $signed(34'(row_len_i))) jhi = $signed(34'(row_len_i));
    seg = $signed(34'(kc_q));
    seg_end = seg + $signed(34'(Lanes));
    lo = jlo < seg ? seg : jlo;
    hi = jhi > seg_end ? seg_end : jhi;
    seg_ok = xiy >= 0 && xiy < $signed(34'(map_h_i)) && hi > lo;
    seg_pos_o = seg_ok ? base_q + kiw_q + 32'(lo) : '0;
    seg_sh_o = seg_ok ? 32'(lo - seg) : '0;
    seg_nbits_o = seg_ok ? NbW'(hi - lo) : '0;
  end

  // ---- pool taps --------------------------------------------------------------------------------
  always_comb begin
    logic [31:0] row, col;
    row = base_q + chan_i;
    for (int i = 0; i < PoolMax; i++) begin
      col = row;
      for (int j = 0; j < PoolMax; j++) begin
        pool_idx_o[(i*PoolMax + j)*32 +: 32] = col;
        col = col + map_c_i;
      end
      row = row + in_row_i;
    end
  end
endmodule

`default_nettype wire
