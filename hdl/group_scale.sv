// group_scale: one lane (array column) of the accelerator's per-group weight scales
// (docs/accelerator.md "Per-group weight scales"; TS model: groupAccumulate, src/hw/accel_top.ts).
//
// Maths: with per-group scales a patch of K beats is cut into passes (each a run of beats of one
// weight group j), and the MAC array drains each pass's partial sum acc_p = sum_{k in p} w'[n][k]
// x[k] of every array row on its own. For the partial sum dot_i of array row row_i this lane
// computes, mod 2^32,
//   acc_o = (first_i ? base_i : wide[row_i]) + dot_i * m_i        (m_i = m[n][j] unsigned, MBits)
// and, when valid_i, keeps it: wide[row_i] <= acc_o. base_i is the output's bias', so after the
// last pass acc_o = wrap32(bias' + sum_p m[n][j(p)] acc_p), what the output stage reads. acc_o is
// combinational (accel_top's capture register takes it); the low 32 bits of the product do not
// depend on the sign convention, so dot_i * m_i is a 32 x 32 multiply of the zero-extended m_i,
// kept mod 2^32.
// Timing: one bank of Rows 32-bit group accumulators; synchronous active-low reset clears it.
`default_nettype none

module group_scale #(
  parameter int unsigned Rows  = 4,
  parameter int unsigned MBits = 17,
  localparam int unsigned RowW = Rows > 1 ? $clog2(Rows) : 1
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             valid_i,
  input  logic             first_i,
  input  logic [RowW-1:0]  row_i,
  input  logic [31:0]      dot_i,
  input  logic [MBits-1:0] m_i,
  input  logic [31:0]      base_i,
  output logic [31:0]      acc_o
);
  if (Rows < 1 || MBits < 1 || MBits > 32) begin : g_bad_params
    $error("group_scale: Rows = %0d must be >= 1 and MBits = %0d 1..32", Rows, MBits);
  end

  logic [31:0] wide_q [Rows];
  logic [31:0] prev;
  assign prev = first_i ? base_i : wide_q[row_i];
  assign acc_o = prev + dot_i * 32'(m_i);

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      for (int r = 0; r < Rows; r++) wide_q[r] <= '0;
    end else if (valid_i) begin
      wide_q[row_i] <= acc_o;
    end
  end
endmodule

`default_nettype wire
