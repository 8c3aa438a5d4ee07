`default_nettype none
// A user's bit-serial dot-product core (written for lowbit's examples, not derived from hdl/): each beat
// brings one bit-plane pair of 32 elements (plane_x: bit m of every x_i, plane_y: bit k of every y_i),
// its weight 2^pshift (pshift = m + k) and sign (pneg: exactly one of the planes is a sign plane);
// plast marks the last beat of a dot product. res = sum over the beats of +-2^pshift * popcount(x & y),
// mod 2^32: for B_x x B_y-bit two's complement elements, sum_i x_i * y_i.
// Two pipeline stages (popcount, then weighted accumulation), no input backpressure (always ready),
// res_valid for one cycle per dot product. Reset: active low, synchronous.
module bs_dot32 (
  input  logic        clk,
  input  logic        rst_n,
  input  logic        in_valid,
  input  logic [31:0] plane_x,
  input  logic [31:0] plane_y,
  input  logic [4:0]  pshift,
  input  logic        pneg,
  input  logic        plast,
  output logic        res_valid,
  output logic [31:0] res
);
  // stage 1: popcount of the AND of the two planes
  logic       v1_q, neg1_q, last1_q;
  logic [4:0] sh1_q;
  logic [5:0] pop1_q;
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      v1_q    <= 1'b0;
      neg1_q  <= 1'b0;
      last1_q <= 1'b0;
      sh1_q   <= '0;
      pop1_q  <= '0;
    end else begin
      v1_q    <= in_valid;
      neg1_q  <= pneg;
      last1_q <= plast;
      sh1_q   <= pshift;
      pop1_q  <= 6'($countones(plane_x & plane_y));
    end
  end

  // stage 2: the weighted term added or subtracted; the sum is emitted and cleared on the last beat
  logic [31:0] acc_q, term, sum;
  assign term = {26'd0, pop1_q} << sh1_q;
  assign sum  = neg1_q ? acc_q - term : acc_q + term;
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      acc_q     <= '0;
      res_valid <= 1'b0;
      res       <= '0;
    end else begin
      res_valid <= v1_q && last1_q;
      if (v1_q) begin
        acc_q <= last1_q ? 32'd0 : sum;
        if (last1_q) res <= sum;
      end
    end
  end
endmodule
`default_nettype wire
