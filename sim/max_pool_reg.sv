// max_pool_reg: the verification shell of hdl/max_pool.sv (`lowbit verify --unit max_pool`,
// src/rtl/units/max_pool.ts). max_pool is combinational; the unit harness (sim/harness.cpp) drives a
// clocked top (clk_i, rst_ni) and samples every output before the rising edge, so this shell registers
// y_o once, as accel_top does (its stage-D register c_v_q takes max_pool's y_o at the next edge):
// y_o in cycle t + 1 = max_pool(inputs of cycle t), 0 after reset. Nothing else is added.
`default_nettype none

module max_pool_reg #(
  parameter int unsigned HBits   = 8,
  parameter int unsigned Signed  = 1,
  parameter int unsigned PoolMax = 3,
  localparam int unsigned Taps   = PoolMax * PoolMax
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  input  logic [Taps*HBits-1:0] x_i,
  input  logic [31:0]           kh_i,
  input  logic [31:0]           kw_i,
  input  logic                  bipolar_i,
  output logic [31:0]           y_o
);
  logic [31:0] y;
  max_pool #(.HBits(HBits), .Signed(Signed), .PoolMax(PoolMax)) u_pool (
    .x_i, .kh_i, .kw_i, .bipolar_i, .y_o(y)
  );
  always_ff @(posedge clk_i) begin
    if (!rst_ni) y_o <= '0;
    else y_o <= y;
  end
endmodule

`default_nettype wire
