// conv_window: the accelerator's sliding-window input generator (FINN's ConvolutionInputGenerator
// is the idea). It walks the output pixels of a layer and the elements of each pixel's patch over
// the NHWC input map (H x W x C, element (y, x, c) at (y*W + x)*C + c) and names the activation
// buffer elements to read, straight from the buffer (no im2col copy). TS model of the addressing:
// src/hw/conv_window.ts (patchIndex, gatherPatches, maxPoolNhwc); instantiated by accel_top.
//
// The walk (registers): array row r of a tile is at output pixel (oy, ox) = (py[r], px[r]) of the
// Wo-wide output map; row 0 also serves the XNOR/bit-serial unit and the pooling unit.
//   init_i (a layer's first cycle): row r at pixel r, the tile's first pixel pix_o = 0, patch
//     element 0;
//   tile_i: every row moves `rows` pixels on (tile_dy rows and tile_dx columns, carrying a column
//     past Wo into the next row), pix_o += rows;
//   step_i: the next patch element; with last_i (the patch's last element) back to element 0.
//     mac (seg_i = 0): element k = (ki*kw + kj)*C + kc, kc fastest;
//     xnor/serial (seg_i = 1): word k = ki*segs + kc, kc the segment of kernel row ki.
// The taps (combinational):
//   mac: row r reads input (iy, ix) = (oy*sh - pt + ki, ox*sw - pl + kj), tap_idx_o[r] =
//     (iy*W + ix)*C + kc; h_o[r] = tap_i[r] (the slot read there), or pad_i when (iy, ix) is
//     outside the map.
//   xnor/serial: kernel row ki of row 0's pixel is input row iy = oy*sh - pt + ki, columns ix0 + j
//     (j < kw), ix0 = ox*sw - pl: its kw*C elements e = j*C + c lie contiguous in the map from
//     (iy*W + ix0)*C, read in segments kc of Lanes (elements [kc*Lanes, kc*Lanes + Lanes)). A tap
//     in the padding adds 0 (the pad value of these engines is 0 = the input zero point; for ±1
//     inputs the popcount leaves it out, docs/accelerator.md): of the segment only the elements
//     [lo, hi) count, lo = max(kc*Lanes, jlo*C), hi = min(kc*Lanes + Lanes, jhi*C), jlo =
//     max(0, -ix0), jhi = min(kw, W - ix0), none when iy is outside the map. seg_pos_o is the map
//     element of lo (the word is read from there), seg_sh_o = lo - kc*Lanes (the weight word's
//     shift), seg_nbits_o = hi - lo (the valid bits the unit masks); all 0 for an empty segment.
//     (An unpadded window: lo = kc*Lanes, nb = min(Lanes, kw*C - kc*Lanes).)
//   pool: tap (i, j) of row 0's window (unpadded), channel chan_i: pool_idx_o[i*PoolMax + j] =
//     ((oy*sh + i)*W + ox*sw + j)*C + chan_i, i, j < PoolMax.
// All coordinates are 32-bit (descriptor slots); signed window coordinates 34 / 40 bits.
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
  // the layer's geometry (descriptor fields, accel_pkg)
  input  logic [31:0]           map_h_i,
  input  logic [31:0]           map_w_i,
  input  logic [31:0]           map_c_i,
  input  logic [31:0]           kw_i,
  input  logic [31:0]           sh_i,
  input  logic [31:0]           sw_i,
  input  logic [31:0]           pt_i,
  input  logic [31:0]           pl_i,
  input  logic [31:0]           out_w_i,
  input  logic [31:0]           rows_i,
  input  logic [31:0]           tile_dy_i,
  input  logic [31:0]           tile_dx_i,
  input  logic [31:0]           segs_i,
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
  // bits [64r, 64r + 64) of pos = {oy, ox} of array row r
  logic [Rows*64-1:0] pos_q, pos_d;
  logic [31:0]        pix_q, pix_d, ki_q, ki_d, kj_q, kj_d, kc_q, kc_d;

  // pixel (py, px) advanced by dy rows and dx columns of a Wo-wide map
  function automatic logic [63:0] advance(logic [31:0] py, logic [31:0] px, logic [31:0] dy,
                                          logic [31:0] dx, logic [31:0] wo);
    logic [31:0] x;
    x = px + dx;
    advance = x >= wo ? {py + dy + 32'd1, x - wo} : {py + dy, x};
  endfunction

  always_comb begin
    pos_d = pos_q;
    pix_d = pix_q;
    {ki_d, kj_d, kc_d} = {ki_q, kj_q, kc_q};
    if (init_i) begin
      pix_d = '0;
      {ki_d, kj_d, kc_d} = '0;
      pos_d[63:0] = '0;
      for (int r = 1; r < Rows; r++) begin
        pos_d[r*64 +: 64] = advance(pos_d[r*64-32 +: 32], pos_d[r*64-64 +: 32], '0, 32'd1, out_w_i);
      end
    end
    if (tile_i) begin
      pix_d = pix_q + rows_i;
      for (int r = 0; r < Rows; r++) begin
        pos_d[r*64 +: 64] = advance(pos_q[r*64+32 +: 32], pos_q[r*64 +: 32],
                                    tile_dy_i, tile_dx_i, out_w_i);
      end
    end
    if (step_i) begin
      if (last_i) {ki_d, kj_d, kc_d} = '0;
      else if (seg_i) begin
        if (kc_q != segs_i - 1) kc_d = kc_q + 1;
        else begin
          kc_d = '0;
          ki_d = ki_q + 1;
        end
      end else if (kc_q != map_c_i - 1) kc_d = kc_q + 1;
      else begin
        kc_d = '0;
        if (kj_q != kw_i - 1) kj_d = kj_q + 1;
        else begin
          kj_d = '0;
          ki_d = ki_q + 1;
        end
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      pos_q <= '0;
      {pix_q, ki_q, kj_q, kc_q} <= '0;
    end else begin
      pos_q <= pos_d;
      {pix_q, ki_q, kj_q, kc_q} <= {pix_d, ki_d, kj_d, kc_d};
    end
  end
  assign pix_o = pix_q;

  // ---- mac taps: addresses, then the padding (two blocks: h_o depends on the reads of tap_idx_o)
  logic [Rows-1:0] tap_pad;
  always_comb begin
    for (int r = 0; r < Rows; r++) begin
      logic signed [33:0] iy, ix;
      iy = 34'(pos_q[r*64+32 +: 32] * sh_i) - 34'(pt_i) + 34'(ki_q);
      ix = 34'(pos_q[r*64 +: 32] * sw_i) - 34'(pl_i) + 34'(kj_q);
      tap_idx_o[r*32 +: 32] = (32'(iy) * map_w_i + 32'(ix)) * map_c_i + kc_q;
      tap_pad[r] = iy < 0 || ix < 0 || iy >= 34'(map_h_i) || ix >= 34'(map_w_i);
    end
  end
  always_comb begin
    for (int r = 0; r < Rows; r++) begin
      h_o[r*HBits +: HBits] = tap_pad[r] ? pad_i : tap_i[r*HBits +: HBits];
    end
  end

  // ---- xnor/serial: the segment of kernel row ki, cut at the padding ----------------------------
  logic signed [39:0] iy0, ix0, jlo, jhi, seg, lo, hi;
  logic               seg_ok;
  always_comb begin
    iy0 = 40'(pos_q[63:32] * sh_i) - 40'(pt_i) + 40'(ki_q);
    ix0 = 40'(pos_q[31:0] * sw_i) - 40'(pl_i);
    jlo = ix0 < 0 ? -ix0 : '0;
    jhi = 40'(map_w_i) - ix0;
    if (jhi > 40'(kw_i)) jhi = 40'(kw_i);
    seg = 40'(kc_q * Lanes);
    lo = jlo * 40'(map_c_i);
    if (lo < seg) lo = seg;
    hi = jhi * 40'(map_c_i);
    if (hi > seg + 40'(Lanes)) hi = seg + 40'(Lanes);
    seg_ok = iy0 >= 0 && iy0 < 40'(map_h_i) && hi > lo;
    seg_pos_o = seg_ok ? 32'((iy0 * 40'(map_w_i) + ix0) * 40'(map_c_i) + lo) : '0;
    seg_sh_o = seg_ok ? 32'(lo - seg) : '0;
    seg_nbits_o = seg_ok ? NbW'(hi - lo) : '0;
  end

  // ---- pool taps --------------------------------------------------------------------------------
  always_comb begin
    for (int i = 0; i < PoolMax; i++) begin
      for (int j = 0; j < PoolMax; j++) begin
        pool_idx_o[(i*PoolMax + j)*32 +: 32] =
          ((pos_q[63:32] * sh_i + i) * map_w_i + pos_q[31:0] * sw_i + j) * map_c_i + chan_i;
      end
    end
  end
endmodule

`default_nettype wire
