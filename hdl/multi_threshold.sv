// multi_threshold: cnt_o = sum_{i < Thresholds} [x_i >= thr_i[i]]  (combinational helper).
//
// FINN / QONNX MultiThreshold without scale and bias: the output is the number of thresholds the
// value reaches (signed comparison, Width-bit two's complement). With one threshold the output bit
// is the bipolar sign (1 = +1, 0 = -1, i.e. out = 2*cnt - 1); with T thresholds it is an unsigned
// clog2(T+1)-bit activation. Thresholds need not be sorted: every comparison counts.
// thr_i packs threshold i in bits [i*Width +: Width].
`default_nettype none

module multi_threshold #(
  parameter int unsigned Width = 16,
  parameter int unsigned Thresholds = 1,
  localparam int unsigned CntW = $clog2(Thresholds + 1)
) (
  input  logic [Width-1:0]            x_i,
  input  logic [Thresholds*Width-1:0] thr_i,
  output logic [CntW-1:0]             cnt_o
);
  if (Width < 1 || Thresholds < 1) begin : g_bad_params
    $error("multi_threshold: Width and Thresholds must be >= 1");
  end

  logic [Thresholds-1:0] ge;
  for (genvar i = 0; i < Thresholds; i++) begin : g_cmp
    assign ge[i] = $signed(x_i) >= $signed(thr_i[i*Width +: Width]);
  end

  popcount_tree #(.Width(Thresholds)) u_count (.bits_i(ge), .cnt_o(cnt_o));
endmodule

`default_nettype wire
