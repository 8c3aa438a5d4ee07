// max_pool: the accelerator's max-pooling unit, one output element per cycle. TS model:
// maxPoolNhwc in src/hw/conv_window.ts; instantiated by accel_top, which reads the window's taps
// at the element indices of conv_window's pool_idx_o.
//
// Maths: y = max over the taps (i, j), i < kh_i, j < kw_i (of PoolMax x PoolMax; POOL_MAX in
// src/hw/accel_compile.ts) of the tap value x[i*PoolMax + j], where a tap is an HBits-bit slot
// (signed when Signed) or, with bipolar_i, a ±1 plane bit in bit 0 (1 = +1, 0 = -1) — so on ±1
// values the max is the OR of the bits, +1 or -1. The compare runs on 33 bits from -2^32, which
// every tap exceeds; y_o is the max in 32-bit two's complement. Combinational.
`default_nettype none

module max_pool #(
  parameter int unsigned HBits   = 8,
  parameter int unsigned Signed  = 1,
  parameter int unsigned PoolMax = 3,
  localparam int unsigned Taps   = PoolMax * PoolMax
) (
  input  logic [Taps*HBits-1:0] x_i,
  input  logic [31:0]           kh_i,
  input  logic [31:0]           kw_i,
  input  logic                  bipolar_i,
  output logic [31:0]           y_o
);
  always_comb begin
    logic signed [32:0] best, v;
    logic [HBits-1:0] t;
    best = -33'sd4294967296;
    for (int i = 0; i < PoolMax; i++) begin
      for (int j = 0; j < PoolMax; j++) begin
        t = x_i[(i*PoolMax + j)*HBits +: HBits];
        if (bipolar_i) v = t[0] ? 33'sd1 : -33'sd1;
        else if (Signed != 0) v = 33'($signed(t));
        else v = 33'(t);
        if (32'(i) < kh_i && 32'(j) < kw_i && v > best) best = v;
      end
    end
    y_o = best[31:0];
  end
endmodule

`default_nettype wire
