// A user-style binary (+1/-1) dot-product core with 64 packed lanes (written for lowbit's examples,
// independent of hdl/). Bit 1 encodes +1, bit 0 encodes -1; lane 0 is the most significant bit.
//
// Input : in_vld qualifies in_act / in_wgt (64 lanes each) and in_end (the final word of a dot product).
//         There is no ready: the core takes a word every cycle in_vld is high.
// Output: out_vld for one cycle with out_dot = sum over the words of a dot product of
//         (2 * popcount(XNOR(act, wgt)) - 64), a signed 16-bit count of agreeing minus disagreeing lanes.
// Timing: fixed latency 2: a word with in_end taken at the end of cycle c gives out_vld in cycle c+2.
// Reset : aresetn, active low, synchronous.
module xnor_pop64 (
  input  logic               clk,
  input  logic               aresetn,
  input  logic               in_vld,
  input  logic [63:0]        in_act,
  input  logic [63:0]        in_wgt,
  input  logic               in_end,
  output logic               out_vld,
  output logic signed [15:0] out_dot
);
  // stage 1: matches per word
  logic [6:0] pop_q;
  logic       v1_q, end1_q;
  always_ff @(posedge clk) begin
    if (!aresetn) begin
      v1_q <= 1'b0;
      end1_q <= 1'b0;
      pop_q <= '0;
    end else begin
      v1_q <= in_vld;
      end1_q <= in_end;
      pop_q <= 7'($countones(~(in_act ^ in_wgt)));
    end
  end

  // stage 2: accumulate 2*pop - 64 per word; emit on the final word
  logic signed [15:0] acc_q, sum_d;
  assign sum_d = acc_q + 16'($signed({8'd0, pop_q, 1'b0})) - 16'sd64;
  always_ff @(posedge clk) begin
    if (!aresetn) begin
      acc_q <= '0;
      out_vld <= 1'b0;
      out_dot <= '0;
    end else begin
      out_vld <= v1_q && end1_q;
      if (v1_q) begin
        if (end1_q) begin
          out_dot <= sum_d;
          acc_q <= '0;
        end else begin
          acc_q <= sum_d;
        end
      end
    end
  end
endmodule
