import type { Mutation } from './mutate.js';

/**
 * The RTL mutation catalogue (`lowbit verify --mutate`, test/rtl/mutation.rtl.test.ts): for each real
 * unit, faults of the kinds co-simulation must catch — an operator swapped, a shift off by one, a
 * saturation removed, a rounding increment dropped, a popcount correction changed, a pipeline register
 * skipped. Each is an exact text pattern in a named file and its replacement; a pattern that no longer
 * occurs is reported as a stale mutation, never skipped. `designs` names the unit designs that exercise
 * the faulty logic (a saturation mutant needs a saturating design), so each mutant costs one build.
 */
export const MUTATIONS: readonly Mutation[] = [
  // ---- mac_pe ----
  {
    id: 'mac_pe-mac-sub', unit: 'mac_pe', file: 'hdl/mac_pe.sv', designs: ['os-w8a8-acc32-wrap'],
    description: 'operator swapped: acc + h*v becomes acc - h*v',
    pattern: '+ {{(SBits-PBits){prod[PBits-1]}}, prod};', replacement: '- {{(SBits-PBits){prod[PBits-1]}}, prod};',
  },
  {
    id: 'mac_pe-no-sat', unit: 'mac_pe', file: 'hdl/mac_pe.sv', designs: ['ws-w8a8-acc16-sat'],
    description: 'saturation removed: the SAT accumulator wraps',
    pattern: '(sum < AccMin) ? AccMin[AccBits-1:0] : sum[AccBits-1:0];', replacement: 'sum[AccBits-1:0];',
  },
  {
    id: 'mac_pe-h-unregistered', unit: 'mac_pe', file: 'hdl/mac_pe.sv', designs: ['os-w8a8-acc32-wrap'],
    description: 'pipeline register skipped: h_o driven straight from h_i',
    pattern: 'assign h_o       = h_q;', replacement: 'assign h_o       = h_i;',
  },
  // ---- mac_pe_shift (hdl/mac_pe.sv with WShift = 1: the multiplier-free product) ----
  {
    id: 'mac_pe_shift-neg-ignored', unit: 'mac_pe_shift', file: 'hdl/mac_pe.sv', designs: ['os-w8a8-acc32-wrap'],
    description: 'sign bit ignored: a negative power-of-two weight adds a << e instead of subtracting it',
    pattern: "code[WExpBits] ? -mag : mag;", replacement: 'mag;',
  },
  {
    id: 'mac_pe_shift-zero-ignored', unit: 'mac_pe_shift', file: 'hdl/mac_pe.sv', designs: ['ws-w2a8-acc16-sat'],
    description: 'zero flag ignored: a zero weight (code nz = 0) adds +-a',
    pattern: "assign prod = !code[WExpBits+1] ? '0 : ", replacement: 'assign prod = ',
  },
  {
    id: 'mac_pe_shift-shift-off', unit: 'mac_pe_shift', file: 'hdl/mac_pe.sv', designs: ['is-w16a16-acc64-sat'],
    description: 'shift off by one: w * a = a << (e + 1)',
    pattern: "assign mag = PBits'(a_ext) << code[WExpBits-1:0];", replacement: "assign mag = PBits'(a_ext) << (code[WExpBits-1:0] + 1'b1);",
  },
  {
    id: 'mac_pe_shift-act-zero-ext', unit: 'mac_pe_shift', file: 'hdl/mac_pe.sv', designs: ['os-w8a8-acc32-wrap'],
    description: 'sign extension dropped: a signed activation is zero-extended before the shift',
    pattern: "assign a_ext = {(ASigned != 0) & act[ALane-1], act};", replacement: "assign a_ext = {1'b0, act};",
  },
  // ---- mac_array ----
  {
    id: 'mac_array-drain-short', unit: 'mac_array', file: 'hdl/mac_array.sv', designs: ['os-3x5-int8'],
    description: 'off by one: the output-stationary drain counter stops one row early',
    pattern: "cnt_q <= CntBits'(Rows - 1);", replacement: "cnt_q <= CntBits'(Rows - 2);",
  },
  {
    id: 'mac_array-skew-unregistered', unit: 'mac_array', file: 'hdl/skew_buffer.sv', designs: ['os-3x5-int8'],
    description: 'pipeline register skipped: a depth-1 skew stage becomes a wire',
    pattern: 'assign q_o = stage_q;', replacement: 'assign q_o = d_i;',
  },
  // ---- requantizer ----
  {
    id: 'requantizer-rnd-inc-dropped', unit: 'requantizer', file: 'hdl/round_shift.sv', designs: ['int8'],
    description: 'rounding increment dropped: RND (SRDHM nudge) truncates',
    pattern: '2:       inc = qb;', replacement: "2:       inc = 1'b0;",
  },
  {
    id: 'requantizer-single-shift-off', unit: 'requantizer', file: 'hdl/requantizer.sv', designs: ['int2'],
    description: 'shift off by one: single-rounding total shift 31 - s becomes 30 - s',
    pattern: "ts_q <= 6'd31 - shift_rd;", replacement: "ts_q <= 6'd30 - shift_rd;",
  },
  {
    id: 'requantizer-no-clamp', unit: 'requantizer', file: 'hdl/requantizer.sv', designs: ['int8'],
    description: 'saturation removed: the output clamp to [lo, qmax] is dropped',
    pattern: 'assign yc = y < Lo ? Lo : (y > Qmax ? Qmax : y);', replacement: 'assign yc = y;',
  },
  {
    id: 'requantizer-valid-skips-stage', unit: 'requantizer', file: 'hdl/requantizer.sv', designs: ['int8'],
    description: 'pipeline register skipped: valid bypasses stage 1',
    pattern: 'v2_q <= v1_q;', replacement: 'v2_q <= valid_i;',
  },
  // ---- conv_window ----
  {
    id: 'window-row-step', unit: 'conv_window', file: 'hdl/conv_window.sv', designs: ['tiny'],
    description: 'past the last output column the walk steps one column instead of to the next row',
    pattern: 'base = base + step_y_i;', replacement: 'base = base + step_x_i;',
  },
  {
    id: 'window-seg-right', unit: 'conv_window', file: 'hdl/conv_window.sv', designs: ['binary-2x2-l32'],
    description: 'right padding not cut from an XNOR kernel row: the segment runs to kw*C',
    pattern: "jhi = $signed(34'(in_row_i)) - xc_q;", replacement: "jhi = $signed(34'(row_len_i));",
  },
  // ---- max_pool (hdl/max_pool.sv in its registering shell sim/max_pool_reg.sv) ----
  {
    id: 'max_pool-unsigned-compare', unit: 'max_pool', file: 'hdl/max_pool.sv', designs: ['int8'],
    description: 'signedness lost: signed taps are compared as unsigned patterns (-1 beats 127)',
    pattern: "else if (Signed != 0) v = 33'($signed(t));", replacement: "else if (Signed != 0) v = 33'(t);",
  },
  {
    id: 'max_pool-lane-dropped', unit: 'max_pool', file: 'hdl/max_pool.sv', designs: ['int4'],
    description: 'a lane dropped: the last tap of the PoolMax x PoolMax grid never takes part',
    pattern: "if (32'(i) < kh_i && 32'(j) < kw_i && v > best)",
    replacement: "if (32'(i) < kh_i && 32'(j) < kw_i && i*PoolMax + j != Taps - 1 && v > best)",
  },
  {
    id: 'max_pool-window-transposed', unit: 'max_pool', file: 'hdl/max_pool.sv', designs: ['uint7'],
    description: 'window sides swapped: kh bounds the columns and kw the rows',
    pattern: "32'(i) < kh_i && 32'(j) < kw_i", replacement: "32'(i) < kw_i && 32'(j) < kh_i",
  },
  {
    id: 'max_pool-floor-zero', unit: 'max_pool', file: 'hdl/max_pool.sv', designs: ['int16'],
    description: 'the compare starts at 0 instead of below every tap: a window of negative values gives 0',
    pattern: "best = -33'sd4294967296;", replacement: "best = '0;",
  },
  {
    id: 'max_pool-bipolar-zero', unit: 'max_pool', file: 'hdl/max_pool.sv', designs: ['binary'],
    description: 'a -1 plane bit read as 0: a window of -1 values pools to 0',
    pattern: "v = t[0] ? 33'sd1 : -33'sd1;", replacement: "v = t[0] ? 33'sd1 : 33'sd0;",
  },
  // ---- xnor_popcount ----
  {
    id: 'xnor-correction', unit: 'xnor_popcount', file: 'hdl/xnor_popcount.sv', designs: ['binary'],
    description: 'popcount correction changed: 2*pop - n becomes pop - n',
    pattern: "assign xc   = (popw << 1) - CW'(nb1_q);", replacement: "assign xc   = popw - CW'(nb1_q);",
  },
  {
    id: 'xnor-xor', unit: 'xnor_popcount', file: 'hdl/xnor_popcount.sv', designs: ['binary'],
    description: 'operator swapped: XNOR becomes XOR',
    pattern: '~(a_i ^ w_i)', replacement: '(a_i ^ w_i)',
  },
  {
    id: 'popcount-tree-or', unit: 'xnor_popcount', file: 'hdl/popcount_tree.sv', designs: ['binary'],
    description: 'operator swapped: the popcount tree ORs its halves instead of adding',
    pattern: "assign cnt_o = CntW'(cnt_lo) + CntW'(cnt_hi);", replacement: "assign cnt_o = CntW'(cnt_lo) | CntW'(cnt_hi);",
  },
  // ---- accel_top (the whole accelerator, src/rtl/units/accel_top.ts; its CNN datapath: ACCEL_MUTATIONS) ----
  {
    id: 'accel-cycles-short', unit: 'accel_top', file: 'hdl/accel_top.sv', designs: ['tiny-mixed'],
    description: 'off by one: cycles_o reports one cycle fewer than the run took',
    pattern: 'cycles_d = cnt_q + 1;', replacement: 'cycles_d = cnt_q;',
  },
  {
    id: 'accel-shift-not-passed', unit: 'accel_top', file: 'hdl/accel_top.sv', designs: ['tiny-shift'],
    description: 'shift PE not wired: accel_top builds its array without WShift, so power-of-two codes are multiplied as integers',
    pattern: '.Dataflow(0), .WShift(WShift),', replacement: '.Dataflow(0), .WShift(0),',
  },
  {
    id: 'accel-write-busy', unit: 'accel_top', file: 'hdl/accel_top.sv', designs: ['tiny-mixed', 'binary-32'],
    description: 'host writes taken while busy: in_we_i overwrites the input buffer during a run',
    pattern: 'if (state_q == SIdle && in_we_i) act_q[0]', replacement: 'if (in_we_i) act_q[0]',
  },
];

/**
 * Mutations of the accelerator's CNN datapath — the sliding-window generator (`hdl/conv_window.sv`: the
 * tile walk, the taps, the padding, the XNOR segment cutting), the pooling unit (`hdl/max_pool.sv`), the
 * capture of every array row and the weight shift (`hdl/accel_top.sv`), the shift-PE code width. They are
 * checked by co-simulating random CNNs (and power-of-two MLPs on shift PEs) on the whole accelerator
 * (`runAccelMutant` in accel_top.ts, test/slow/accel_mutation.slow.test.ts);
 * `designs` names the test Designs ('tiny-mixed': MAC array CNNs, 'binary-32': XNOR/bit-serial CNNs,
 * 'tiny-shift': power-of-two MLPs and CNNs on an array of shift PEs).
 */
export const ACCEL_MUTATIONS: readonly Mutation[] = [
  {
    id: 'accel-pad-zero', unit: 'accel_top', file: 'hdl/conv_window.sv', designs: ['tiny-mixed'],
    description: 'padding value lost: a padded position feeds 0 instead of the input zero point - shift',
    pattern: 'tap_pad[r] ? pad_i :', replacement: "tap_pad[r] ? '0 :",
  },
  {
    id: 'accel-stride-ignored', unit: 'accel_top', file: 'hdl/conv_window.sv', designs: ['tiny-mixed'],
    description: 'the window walk ignores the vertical stride: its input row moves by 1 per output row',
    pattern: "iy = iy + 34'(sh_i);", replacement: "iy = iy + 34'd1;",
  },
  {
    id: 'accel-rows-reversed', unit: 'accel_top', file: 'hdl/accel_top.sv', designs: ['tiny-mixed'],
    description: 'array rows captured in the wrong order: row r written as pixel Rows-1-r of the tile',
    pattern: 'a_m_q <= capm_q + cap_row;', replacement: 'a_m_q <= capm_q + Rows - 1 - cap_row;',
  },
  {
    id: 'accel-tile-step', unit: 'accel_top', file: 'hdl/conv_window.sv', designs: ['tiny-mixed'],
    description: 'off by one: a tile advances one pixel column too far',
    pattern: "if (rows_i == 32'(r)) begin", replacement: "if (rows_i + 1 == 32'(r)) begin",
  },
  {
    id: 'accel-pool-narrow', unit: 'accel_top', file: 'hdl/max_pool.sv', designs: ['tiny-mixed'],
    description: 'off by one: the pooling window drops its last column',
    pattern: "32'(j) < kw_i && v > best", replacement: "32'(j) < kw_i - 1 && v > best",
  },
  {
    id: 'accel-segment-short', unit: 'accel_top', file: 'hdl/conv_window.sv', designs: ['binary-32'],
    description: 'off by one: an XNOR kernel-row segment counts one lane fewer',
    pattern: "seg_nbits_o = seg_ok ? NbW'(hi - lo) : '0;", replacement: "seg_nbits_o = seg_ok ? NbW'(hi - lo - 1) : '0;",
  },
  {
    id: 'accel-xnor-pad-row', unit: 'accel_top', file: 'hdl/conv_window.sv', designs: ['binary-32'],
    description: 'a kernel row in the top/bottom padding is counted on the XNOR unit instead of adding 0',
    pattern: "seg_ok = xiy >= 0 && xiy < $signed(34'(map_h_i)) && hi > lo;", replacement: 'seg_ok = hi > lo;',
  },
  {
    id: 'accel-xnor-pad-left', unit: 'accel_top', file: 'hdl/conv_window.sv', designs: ['binary-32'],
    description: 'left padding not cut from an XNOR kernel row: its taps are counted',
    pattern: "jlo = xc_q < 0 ? -xc_q : '0;", replacement: "jlo = '0;",
  },
  {
    id: 'accel-shift-expbits', unit: 'accel_top', file: 'hdl/accel_top.sv', designs: ['tiny-shift'],
    description: 'off by one: the array of shift PEs gets WExpBits + 1, so its code lanes and exponent fields are one bit wide too many',
    pattern: '.WShift(WShift), .WExpBits(WExpBits)', replacement: '.WShift(WShift), .WExpBits(WExpBits + 1)',
  },
  {
    id: 'accel-xnor-wshift', unit: 'accel_top', file: 'hdl/accel_top.sv', designs: ['binary-32'],
    description: 'the weight word is not shifted with a kernel row cut by the padding',
    pattern: 'assign x_w = wmem_q[x_waddr][Lanes-1:0] >> x_sh;', replacement: 'assign x_w = wmem_q[x_waddr][Lanes-1:0];',
  },
];

/**
 * Mutations of the per-group weight scales (`hdl/group_scale.sv` and their control in `hdl/accel_top.sv`),
 * killed by co-simulating grouped MLPs and 1x1 convolutions on a Design with group multipliers
 * (test/slow/accel_group.slow.test.ts, `runAccelMutant`).
 */
export const GROUP_MUTATIONS: readonly Mutation[] = [
  {
    id: 'group-boundary-late', unit: 'accel_top', file: 'hdl/accel_top.sv',
    description: 'off by one: a weight group ends one beat late (its pass takes the next group\'s first beat)',
    pattern: 'gk_q == desc.wgroup_size - 1', replacement: 'gk_q == desc.wgroup_size',
  },
  {
    id: 'group-multiplier-dropped', unit: 'accel_top', file: 'hdl/group_scale.sv',
    description: 'the group multiplier dropped: each partial sum is added unscaled',
    pattern: 'assign acc_o = prev + dot_i * 32\'(m_i);', replacement: 'assign acc_o = prev + dot_i;',
  },
  {
    id: 'group-row-fold', unit: 'accel_top', file: 'hdl/accel_top.sv',
    description: 'the group-multiplier row ignores the fold: row g_base + f + j instead of g_base + f*G + j',
    pattern: 'desc.g_base + capf_q * desc.wgroups + capj_q', replacement: 'desc.g_base + capf_q + capj_q',
  },
  {
    id: 'group-index-no-wrap', unit: 'accel_top', file: 'hdl/accel_top.sv',
    description: 'the group of pass p is p, not p mod G: a k x k window\'s later taps read the next folds\' multipliers',
    pattern: "capj_d = capj_q == desc.wgroups - 1 ? '0 : capj_q + 1;", replacement: 'capj_d = capj_q + 1;',
  },
];
