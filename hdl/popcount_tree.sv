// popcount_tree: cnt_o = number of ones in bits_i (combinational helper).
//
// A balanced binary adder tree built by recursion: the vector is split into a low half of
// floor(Width/2) bits and a high half of the rest, each counted by a smaller popcount_tree, and the
// two counts are added in CntW = clog2(Width+1) bits (which always holds the largest count, Width).
// Depth ceil(log2(Width)) adders. Width 1 is the leaf (the bit itself). Used by xnor_popcount (the
// XNOR/AND popcount) and multi_threshold (the count of passed thresholds).
`default_nettype none

module popcount_tree #(
  parameter int unsigned Width = 8,
  localparam int unsigned CntW = $clog2(Width + 1)
) (
  input  logic [Width-1:0] bits_i,
  output logic [CntW-1:0]  cnt_o
);
  if (Width < 1) begin : g_bad_width
    $error("popcount_tree: Width must be >= 1");
  end

  if (Width == 1) begin : g_leaf
    assign cnt_o = bits_i;
  end else begin : g_node
    localparam int unsigned Lo = Width / 2;
    localparam int unsigned Hi = Width - Lo;
    localparam int unsigned LoW = $clog2(Lo + 1);
    localparam int unsigned HiW = $clog2(Hi + 1);
    logic [LoW-1:0] cnt_lo;
    logic [HiW-1:0] cnt_hi;
    popcount_tree #(.Width(Lo)) u_lo (.bits_i(bits_i[Lo-1:0]),     .cnt_o(cnt_lo));
    popcount_tree #(.Width(Hi)) u_hi (.bits_i(bits_i[Width-1:Lo]), .cnt_o(cnt_hi));
    assign cnt_o = CntW'(cnt_lo) + CntW'(cnt_hi);
  end
endmodule

`default_nettype wire
