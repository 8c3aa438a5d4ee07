// accel_pkg: the accelerator's layer descriptor. GENERATED from src/hw/accel_desc.ts
// (accelPackage); do not edit: change DESC_FIELDS and run `npx tsx scripts/gen-hdl.ts`.
// Field i is the 32-bit slot [32i, 32i + 32) of a descriptor; the struct lists the slots from the
// most significant (packed struct order), each as its unused high bits and the field.
`default_nettype none

package accel_pkg;
  // a user of the package need not read every constant
  /* verilator lint_off UNUSEDPARAM */
  localparam int unsigned DescFields = 22;
  localparam int unsigned DescBits = 704;

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
    logic [31:0] groups;       // parameter groups: mac folds ceil(N/C), xnor/serial N
    logic [31:0] n;            // N, outputs
    logic [31:0] k;            // K, inputs of each dot product
    logic [29:0] engine_hi;
    logic [1:0] engine;        // the engine of the dot products
  } accel_desc_t;
endpackage

`default_nettype wire
