// skew_buffer: a delay line of Depth registers, Width bits wide: q_o(t) = d_i(t - Depth).
// Depth = 0 is a plain wire (q_o = d_i). Used by mac_array for the operand skew at the array edges
// and the output deskew (row r of the left edge is delayed by r cycles, column c of the top edge
// by c, output lane c by Cols-1-c). Synchronous active-low reset clears every stage to 0.
`default_nettype none

module skew_buffer #(
  parameter int unsigned Width = 1,
  parameter int unsigned Depth = 0
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic [Width-1:0] d_i,
  output logic [Width-1:0] q_o
);
  if (Width < 1) begin : g_bad_width
    $error("skew_buffer: Width = %0d; allowed: >= 1", Width);
  end

  if (Depth == 0) begin : g_wire
    assign q_o = d_i;
    // the clock and reset are not needed by a zero-length delay
    logic unused_clk_rst;
    assign unused_clk_rst = clk_i ^ rst_ni;
  end else if (Depth == 1) begin : g_one
    logic [Width-1:0] stage_q;
    always_ff @(posedge clk_i) begin
      if (!rst_ni) stage_q <= '0;
      else         stage_q <= d_i;
    end
    assign q_o = stage_q;
  end else begin : g_regs
    // stage k (k = 0 .. Depth-1) is bits [k*Width +: Width]; stage 0 takes d_i, the last drives q_o
    logic [Depth*Width-1:0] stage_q;
    always_ff @(posedge clk_i) begin
      if (!rst_ni) stage_q <= '0;
      else         stage_q <= {stage_q[(Depth-1)*Width-1:0], d_i};
    end
    assign q_o = stage_q[Depth*Width-1 -: Width];
  end
endmodule

`default_nettype wire
