// A user-style binarized MLP engine (FINN SFC/LFC style: 4 dense layers, uint8 pixels x ±1 weights in
// layer 0, ±1 x ±1 after it, one threshold per neuron, int32 logits out), written for lowbit's
// accelerator binding (docs/verify.md, "A whole accelerator"); it shares nothing with hdl/.
//
// Maths, layer l = 0..3 with K_l inputs x and N_l outputs, weights w[n][k] = ±1:
//   acc[n] = sum_k w[n][k] * x[k]                       (32-bit, never overflows for these sizes)
//   l < 3: y[n] = acc[n] >= thr_l[n] ? +1 : -1           (the next layer's x)
//   l = 3: logit[n] = acc[n], streamed out one per beat, y_last on logit N3-1
// Parameter memory, written through ld_* (one 64-bit word per handshake) in lowbit's parameter-image
// layout for a 64-bit data port: per layer its weights, N_l rows of ceil(K_l / 64) words (bit k mod 64
// of word k / 64 is w[n][k], 1 = +1), then (l < 3) its thresholds, one int32 per word (bits 31:0).
// Host side: ld_* words before the first image; then per image ceil(K0 / 8) beats of 8 uint8 pixels
// on x_* (pixel 8b + i in bits 8i+7:8i of beat b, x_last on the last beat); N3 logits come out on y_*.
// Timing: the engine reads one weight word per cycle (64 products), so an image takes
// sum_l N_l * ceil(K_l / 64) cycles plus one per logit; y_* holds a logit until y_ready.
// Reset: synchronous, active high. Loading is accepted while the engine waits for an image.
`default_nettype none

module bnn_mlp #(
  parameter int unsigned K0 = 784,
  parameter int unsigned N0 = 256,
  parameter int unsigned N1 = 256,
  parameter int unsigned N2 = 256,
  parameter int unsigned N3 = 10,
  parameter int unsigned AddrBits = 13
) (
  input  logic                clk,
  input  logic                rst,
  input  logic                ld_valid,
  output logic                ld_ready,
  input  logic [AddrBits-1:0] ld_addr,
  input  logic [63:0]         ld_data,
  input  logic                x_valid,
  output logic                x_ready,
  input  logic [63:0]         x_data,
  input  logic                x_last,
  output logic                y_valid,
  input  logic                y_ready,
  output logic [31:0]         y_data,
  output logic                y_last
);
  localparam int unsigned RW0 = (K0 + 63) / 64, RW1 = (N0 + 63) / 64;
  localparam int unsigned RW2 = (N1 + 63) / 64, RW3 = (N2 + 63) / 64;
  localparam int unsigned WB0 = 0, TB0 = WB0 + N0 * RW0;
  localparam int unsigned WB1 = TB0 + N0, TB1 = WB1 + N1 * RW1;
  localparam int unsigned WB2 = TB1 + N1, TB2 = WB2 + N2 * RW2;
  localparam int unsigned WB3 = TB2 + N2, Depth = WB3 + N3 * RW3;
  localparam int unsigned MaxK = K0 > N0 ? (K0 > N1 ? (K0 > N2 ? K0 : N2) : (N1 > N2 ? N1 : N2))
                                         : (N0 > N1 ? (N0 > N2 ? N0 : N2) : (N1 > N2 ? N1 : N2));
  localparam int unsigned ActDepth = (MaxK + 63) / 64 * 64;
  if (Depth > (1 << AddrBits)) begin : g_bad_addr
    $error("bnn_mlp: %0d parameter words need a wider ld_addr than %0d bits", Depth, AddrBits);
  end

  typedef enum logic [1:0] { SIn, SRun, SOut } state_e;
  state_e state_q;

  logic [63:0]        mem_q [Depth];
  logic signed [9:0]  act_q [2][ActDepth];  // uint8 pixels in buffer 0, then ±1
  logic [1:0]         layer_q;
  logic [15:0]        n_q, j_q, beat_q;
  logic signed [31:0] acc_q, logit_q;

  // the current layer's shape and regions
  logic [15:0] k_l, n_l, rw_l;
  logic [31:0] wb_l, tb_l;
  always_comb begin
    unique case (layer_q)
      2'd0: begin k_l = 16'(K0); n_l = 16'(N0); rw_l = 16'(RW0); wb_l = WB0; tb_l = TB0; end
      2'd1: begin k_l = 16'(N0); n_l = 16'(N1); rw_l = 16'(RW1); wb_l = WB1; tb_l = TB1; end
      2'd2: begin k_l = 16'(N1); n_l = 16'(N2); rw_l = 16'(RW2); wb_l = WB2; tb_l = TB2; end
      default: begin k_l = 16'(N2); n_l = 16'(N3); rw_l = 16'(RW3); wb_l = WB3; tb_l = '0; end
    endcase
  end

  // one weight word: 64 products of ±1 with the layer's inputs (lanes past K_l add nothing)
  logic [63:0]        w_word;
  logic signed [31:0] dot, acc_d, thr;
  logic               cur;
  assign cur    = layer_q[0];
  assign w_word = mem_q[wb_l + 32'(n_q) * 32'(rw_l) + 32'(j_q)];
  assign thr    = layer_q == 2'd3 ? '0 : mem_q[tb_l + 32'(n_q)][31:0];
  always_comb begin
    dot = '0;
    for (int i = 0; i < 64; i++) begin
      if (32'(j_q) * 64 + i < 32'(k_l)) begin
        if (w_word[i]) dot = dot + 32'(act_q[cur][32'(j_q) * 64 + i]);
        else           dot = dot - 32'(act_q[cur][32'(j_q) * 64 + i]);
      end
    end
  end
  assign acc_d = acc_q + dot;

  logic row_end, last_row;
  assign row_end  = j_q == rw_l - 16'd1;
  assign last_row = n_q == n_l - 16'd1;

  assign ld_ready = state_q == SIn;
  assign x_ready  = state_q == SIn;
  assign y_valid  = state_q == SOut;
  assign y_data   = logit_q;
  assign y_last   = n_q == 16'(N3 - 1);

  always_ff @(posedge clk) begin
    if (ld_valid && ld_ready && 32'(ld_addr) < Depth) mem_q[ld_addr] <= ld_data;
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      state_q <= SIn;
      layer_q <= '0;
      n_q     <= '0;
      j_q     <= '0;
      beat_q  <= '0;
      acc_q   <= '0;
      logit_q <= '0;
    end else begin
      unique case (state_q)
        SIn: if (x_valid) begin
          for (int i = 0; i < 8; i++) begin
            if (32'(beat_q) * 8 + i < K0) act_q[0][32'(beat_q) * 8 + i] <= 10'(x_data[8*i +: 8]);
          end
          beat_q <= beat_q + 16'd1;
          if (x_last) begin
            state_q <= SRun;
            layer_q <= '0;
            n_q     <= '0;
            j_q     <= '0;
            acc_q   <= '0;
          end
        end
        SRun: begin
          if (!row_end) begin
            j_q   <= j_q + 16'd1;
            acc_q <= acc_d;
          end else if (layer_q == 2'd3) begin
            logit_q <= acc_d;
            state_q <= SOut;
          end else begin
            act_q[!cur][32'(n_q)] <= acc_d >= thr ? 10'sd1 : -10'sd1;
            j_q   <= '0;
            acc_q <= '0;
            n_q   <= last_row ? '0 : n_q + 16'd1;
            if (last_row) layer_q <= layer_q + 2'd1;
          end
        end
        default: if (y_ready) begin  // SOut
          j_q   <= '0;
          acc_q <= '0;
          if (last_row) begin
            state_q <= SIn;
            beat_q  <= '0;
          end else begin
            n_q     <= n_q + 16'd1;
            state_q <= SRun;
          end
        end
      endcase
    end
  end
endmodule
`default_nettype wire
