// A user-style int8 dot-product / MAC core (written for lowbit's examples, independent of hdl/).
//
// Stream in : s_valid/s_ready, s_a and s_b each pack LANES signed 8-bit lanes (lane i at bits
//             [8*i+7:8*i]), s_last ends a dot product.
// Stream out: m_valid/m_ready, m_acc = the sum over the beats of one dot product (up to s_last) of
//             sum_i a[i]*b[i], two's complement, wrapping modulo 2^32.
// Pipeline  : 3 stages (products, adder tree, accumulate/output); a beat accepted at the end of cycle c
//             leaves on m_acc in cycle c+3 when nothing stalls. The whole pipeline stalls while the
//             output holds a result the sink has not taken.
// Reset     : rst, active high, synchronous.
module dot8_core #(
  parameter int LANES = 8
) (
  input  logic                 clk,
  input  logic                 rst,
  input  logic                 s_valid,
  output logic                 s_ready,
  input  logic [8*LANES-1:0]   s_a,
  input  logic [8*LANES-1:0]   s_b,
  input  logic                 s_last,
  output logic                 m_valid,
  input  logic                 m_ready,
  output logic signed [31:0]   m_acc
);
  logic advance;
  assign advance = !m_valid || m_ready;
  assign s_ready = advance;

  // stage 1: lane products
  logic signed [15:0] prod_q [LANES];
  logic               v1_q, last1_q;
  always_ff @(posedge clk) begin
    if (rst) begin
      v1_q <= 1'b0;
      last1_q <= 1'b0;
    end else if (advance) begin
      v1_q <= s_valid;
      last1_q <= s_last;
      for (int i = 0; i < LANES; i++) begin
        prod_q[i] <= $signed(s_a[8*i +: 8]) * $signed(s_b[8*i +: 8]);
      end
    end
  end

  // stage 2: sum of the products
  logic signed [31:0] sum_d, sum_q;
  logic               v2_q, last2_q;
  always_comb begin
    sum_d = '0;
    for (int i = 0; i < LANES; i++) sum_d = sum_d + 32'(prod_q[i]);
  end
  always_ff @(posedge clk) begin
    if (rst) begin
      v2_q <= 1'b0;
      last2_q <= 1'b0;
      sum_q <= '0;
    end else if (advance) begin
      v2_q <= v1_q;
      last2_q <= last1_q;
      sum_q <= sum_d;
    end
  end

  // stage 3: running sum over the beats of one dot product, result register
  logic signed [31:0] run_q;
  always_ff @(posedge clk) begin
    if (rst) begin
      run_q <= '0;
      m_valid <= 1'b0;
      m_acc <= '0;
    end else if (advance) begin
      m_valid <= v2_q && last2_q;
      if (v2_q) begin
        if (last2_q) begin
          m_acc <= run_q + sum_q;
          run_q <= '0;
        end else begin
          run_q <= run_q + sum_q;
        end
      end
    end
  end
endmodule
