`default_nettype none
// A user's sequential matrix-multiply core (written for lowbit's examples, not derived from hdl/):
// C = A x B with A 2x4 and B 4x2 signed 8-bit, C 2x2 32-bit (wrapping), one k step per cycle (4 cycles
// per product). Buses are row-major with element 0 in the low bits:
//   a_data[8*(4*m + k) +: 8] = A[m][k],  b_data[8*(2*k + n) +: 8] = B[k][n],  c_data[32*(2*m + n) +: 32] = C[m][n].
// valid/ready on both sides (a transfer happens at a rising edge where valid and ready are both 1); it
// takes a new product only when idle and holds its result until it is taken. Reset: active high, synchronous.
module matmul_core (
  input  logic         clk,
  input  logic         reset,
  input  logic         in_valid,
  output logic         in_ready,
  input  logic [63:0]  a_data,
  input  logic [63:0]  b_data,
  output logic         out_valid,
  input  logic         out_ready,
  output logic [127:0] c_data
);
  typedef enum logic [1:0] { Idle, Busy, Done } state_e;
  state_e             state_q;
  logic [63:0]        a_q, b_q;
  logic [1:0]         k_q;
  logic signed [31:0] acc_q [4];
  logic signed [31:0] prod_w [4];

  assign in_ready  = state_q == Idle;
  assign out_valid = state_q == Done;

  for (genvar i = 0; i < 4; i++) begin : g_mac
    // C[m][n], m = i / 2, n = i % 2: this cycle's product A[m][k] * B[k][n]
    logic signed [7:0] x;
    logic signed [7:0] y;
    assign x = a_q[8*(4*(i/2) + int'(k_q)) +: 8];
    assign y = b_q[8*(2*int'(k_q) + (i%2)) +: 8];
    assign prod_w[i] = 32'(x * y);
    assign c_data[32*i +: 32] = acc_q[i];
  end

  always_ff @(posedge clk) begin
    if (reset) begin
      state_q <= Idle;
      k_q     <= '0;
      a_q     <= '0;
      b_q     <= '0;
      for (int i = 0; i < 4; i++) acc_q[i] <= '0;
    end else begin
      unique case (state_q)
        Idle: if (in_valid) begin
          a_q     <= a_data;
          b_q     <= b_data;
          k_q     <= '0;
          for (int i = 0; i < 4; i++) acc_q[i] <= 32'sd0;
          state_q <= Busy;
        end
        Busy: begin
          for (int i = 0; i < 4; i++) acc_q[i] <= acc_q[i] + prod_w[i];
          k_q <= k_q + 2'd1;
          if (k_q == 2'd3) state_q <= Done;
        end
        Done: if (out_ready) state_q <= Idle;
        default: state_q <= Idle;
      endcase
    end
  end
endmodule
`default_nettype wire
