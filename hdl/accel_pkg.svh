// accel_pkg: the accelerator's layer descriptor. GENERATED from src/hw/accel_desc.ts
// (accelPackage); do not edit: change DESC_FIELDS and run `npx tsx scripts/gen-hdl.ts`.
// Field i is the 32-bit slot [32i, 32i + 32) of a descriptor; the struct lists the slots from the
// most significant (packed struct order), each as its unused high bits and the field.
`ifndef ACCEL_PKG_SVH
`define ACCEL_PKG_SVH
`default_nettype none

package accel_pkg;
  // a user of the package need not read every constant
  /* verilator lint_off UNUSEDPARAM */
  localparam int unsigned DescFields = 46;
  localparam int unsigned DescBits = 1472;

  // engine: the engine of the dot products
  localparam logic [1:0] EngineMac = 2'd0;
  localparam logic [1:0] EngineXnor = 2'd1;
  localparam logic [1:0] EngineSerial = 2'd2;
  localparam logic [1:0] EnginePool = 2'd3;

  // stage: the output stage
  localparam logic [1:0] StageRequant = 2'd0;
  localparam logic [1:0] StageThreshold = 2'd1;
  localparam logic [1:0] StageRaw = 2'd2;

  // out_kind: the output layout
  localparam logic [1:0] OutKindSlots = 2'd0;
  localparam logic [1:0] OutKindPlanes = 2'd1;
  localparam logic [1:0] OutKindOutbuf = 2'd2;
  /* verilator lint_on UNUSEDPARAM */

  typedef struct packed {
    logic [31:0] g_base;       // first group-multiplier row (gmem: one per fold and weight group)
    logic [31:0] wpasses;      // mac: passes per patch, pass p in group p mod G (1: none)
    logic [31:0] wgroups;      // mac: weight groups G per patch (1: none); gmem rows per fold
    logic [31:0] wgroup_size;  // mac: per-group weight scales, beats per pass (0: none)
    logic [31:0] origin_x;     // window column of output column 0 in elements: -pl*C
    logic [31:0] origin;       // window address of output pixel 0: -(pt*W + pl)*C
    logic [31:0] step_y;       // window address step to the next output row (sh*W - (Wo-1)*sw)*C
    logic [31:0] step_x;       // window address step of one output column sw*C
    logic [31:0] in_row;       // elements per input row W*C
    logic [31:0] row_len;      // elements per kernel row kw*C
    logic [31:0] pad;          // mac: value fed for a padded position (two's complement)
    logic [31:0] pixels;       // output pixels M = Ho*Wo
    logic [31:0] out_w;        // output map width Wo
    logic [31:0] pl;           // left padding
    logic [31:0] pt;           // top padding
    logic [31:0] sw;           // horizontal stride
    logic [31:0] sh;           // vertical stride
    logic [31:0] kw;           // window width
    logic [31:0] kh;           // window height
    logic [31:0] map_c;        // input map channels C
    logic [31:0] map_w;        // input map width W
    logic [31:0] map_h;        // input map height H (NHWC)
    logic [31:0] rows;         // output pixels per tile (mac: array rows in use; else 1)
    logic [31:0] folds;        // groups per tile: mac ceil(N/C), xnor/serial N, pool C
    logic [30:0] last_hi;
    logic last;                // the last layer (writes the output buffer)
    logic [30:0] out_bipolar_hi;
    logic out_bipolar;         // planes layout of +-1 values: bit = (value > 0)
    logic [23:0] steps_hi;
    logic [7:0] steps;         // threshold: thresholds per output
    logic [29:0] signs_hi;
    logic [1:0] signs;         // bit 0: x signed, bit 1: w signed
    logic [31:0] w_planes;     // serial: weight bit planes Bw
    logic [31:0] in_stride;    // planes input layout: bits per plane
    logic [31:0] x_planes;     // serial: activation bit planes Bx; else input planes
    logic [31:0] out_stride;   // planes layout: bits per plane
    logic [31:0] out_planes;   // planes layout: bit planes written
    logic [29:0] out_kind_hi;
    logic [1:0] out_kind;      // the output layout
    logic [30:0] thr_bipolar_hi;
    logic thr_bipolar;         // threshold: y = 2*(count + offset) - 1
    logic [31:0] max;          // requant: clamp maximum (two's complement)
    logic [31:0] min;          // requant: clamp minimum (two's complement)
    logic [31:0] zp;           // requant: zero point; threshold: offset (two's complement)
    logic [29:0] stage_hi;
    logic [1:0] stage;         // the output stage
    logic [31:0] p_base;       // first parameter row
    logic [31:0] w_base;       // first weight-memory word
    logic [31:0] wd;           // words per vector on the XNOR unit ceil(K/L); K for mac
    logic [31:0] groups;       // issue groups: mac tiles x folds, xnor/serial M*N, pool M*C
    logic [31:0] n;            // N, outputs
    logic [31:0] k;            // K, inputs of each dot product
    logic [29:0] engine_hi;
    logic [1:0] engine;        // the engine of the dot products
  } accel_desc_t;
endpackage

`default_nettype wire
`endif  // ACCEL_PKG_SVH
