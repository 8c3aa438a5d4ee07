import { bitSerialModel } from './bit_serial_model.js';
import { gemmModel } from './gemm_model.js';
import { macPe, requantizerModel, xnorPopcount, type BindModel } from './models.js';
import type { BindModelName } from './spec.js';

/** The golden models a stream binding can name (`"model"` in bind.json), by name; `accelerator` is made per network (accel_model.ts). */
export const BIND_MODEL_TABLE: Record<Exclude<BindModelName, 'accelerator'>, BindModel> = {
  mac_pe: macPe,
  gemm: gemmModel,
  xnor_popcount: xnorPopcount,
  bit_serial: bitSerialModel,
  requantizer: requantizerModel,
};
