// A user-style requantizer (written for lowbit's examples, independent of hdl/): four signed 32-bit
// accumulators per beat scaled by a power of two with rounding half up, plus a zero point, saturated to
// signed 8 bits:  y = clamp(floor((acc + 2^(n-1)) / 2^n) + zp, -128, 127)  (for n = 0: acc + zp).
//
// Stream in : in_valid/in_ready, in_acc packs 4 lanes (lane i at bits [32*i+31:32*i]).
// Stream out: out_valid/out_ready, out_q packs 4 signed 8-bit lanes the same way.
// Config    : cfg_shift (n, 0..63) and cfg_zp, static while data flows.
// Pipeline  : 2 stages (round and shift, then add the zero point and saturate); stalls under backpressure.
// Reset     : rst_n, active low, synchronous.
module rq_shift4 (
  input  logic              clk,
  input  logic              rst_n,
  input  logic [5:0]        cfg_shift,
  input  logic signed [7:0] cfg_zp,
  input  logic              in_valid,
  output logic              in_ready,
  input  logic [127:0]      in_acc,
  output logic              out_valid,
  input  logic              out_ready,
  output logic [31:0]       out_q
);
  logic advance;
  assign advance = !out_valid || out_ready;
  assign in_ready = advance;

  // stage 1: round half up and shift right (arithmetic), in 64 bits so n up to 63 is exact
  logic signed [63:0] bias, scaled_q [4];
  logic v1_q;
  assign bias = (cfg_shift == 6'd0) ? 64'sd0 : (64'sd1 <<< (cfg_shift - 6'd1));
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      v1_q <= 1'b0;
    end else if (advance) begin
      v1_q <= in_valid;
      for (int i = 0; i < 4; i++) begin
        scaled_q[i] <= (64'($signed(in_acc[32*i +: 32])) + bias) >>> cfg_shift;
      end
    end
  end

  // stage 2: zero point and saturation to int8
  logic signed [63:0] with_zp [4];
  always_comb begin
    for (int i = 0; i < 4; i++) with_zp[i] = scaled_q[i] + 64'(cfg_zp);
  end
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      out_valid <= 1'b0;
      out_q <= '0;
    end else if (advance) begin
      out_valid <= v1_q;
      for (int i = 0; i < 4; i++) begin
        if (with_zp[i] > 64'sd127) out_q[8*i +: 8] <= 8'sd127;
        else if (with_zp[i] < -64'sd128) out_q[8*i +: 8] <= -8'sd128;
        else out_q[8*i +: 8] <= with_zp[i][7:0];
      end
    end
  end
endmodule
