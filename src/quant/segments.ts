/**
 * The shape of an FP32 network as the integer hardware sees it: a list of segments, each one compute
 * layer (dense/conv2d) with the batch-norm and activation that its output stage absorbs, followed by
 * pooling/flatten layers that run on the integers.
 *
 * Accepted pattern per segment: `dense|conv2d [batchnorm] [relu|hardtanh|sign]` with `maxpool2d` and
 * `flatten` anywhere after the compute layer (max-pooling commutes with a monotone non-decreasing stage;
 * a batch-norm after a max-pool must therefore have positive scales). Layers before the first compute
 * layer may only be maxpool2d/flatten.
 */
import { InputError } from '../util/errors.js';
import type { BatchNormCkpt, Checkpoint, Conv2dCkpt, DenseCkpt, MaxPoolCkpt } from '../model/checkpoint.js';
import { bnScale } from './fold.js';

export type SegmentActivation = 'relu' | 'hardtanh' | 'sign' | null;

export interface Segment {
  /** index of the compute layer in the checkpoint */
  index: number;
  compute: DenseCkpt | Conv2dCkpt;
  bn: BatchNormCkpt | null;
  act: SegmentActivation;
  /** checkpoint index whose output is this segment's activation tensor (calibration point) */
  statsIndex: number;
  /** pooling/flatten layers after the stage, in order */
  tail: (MaxPoolCkpt | { kind: 'flatten' })[];
}

export interface NetPlan {
  lead: (MaxPoolCkpt | { kind: 'flatten' })[];
  segments: Segment[];
}

export function planNetwork(ckpt: Checkpoint, where = 'checkpoint'): NetPlan {
  const lead: NetPlan['lead'] = [];
  const segments: Segment[] = [];
  let cur: Segment | null = null;
  let poolSeen = false;
  ckpt.layers.forEach((l, i) => {
    const at = `${where}: layers[${i}] (${l.kind})`;
    switch (l.kind) {
      case 'dense':
      case 'conv2d':
        cur = { index: i, compute: l, bn: null, act: null, statsIndex: i, tail: [] };
        segments.push(cur);
        poolSeen = false;
        return;
      case 'maxpool2d':
      case 'flatten':
        if (cur === null) lead.push(l.kind === 'flatten' ? { kind: 'flatten' } : (l as MaxPoolCkpt));
        else {
          cur.tail.push(l.kind === 'flatten' ? { kind: 'flatten' } : (l as MaxPoolCkpt));
          if (l.kind === 'maxpool2d') poolSeen = true;
        }
        return;
      case 'batchnorm': {
        if (cur === null) throw new InputError(`${at}: a batch-norm before the first dense/conv2d layer is not supported`);
        const seg: Segment = cur;
        if (seg.bn !== null || seg.act !== null) {
          throw new InputError(`${at}: batch-norm after ${seg.act ? `an activation (${seg.act})` : 'another batch-norm'}; allowed per layer: dense|conv2d [batchnorm] [relu|hardtanh|sign] [maxpool2d|flatten]*`);
        }
        if (poolSeen && bnScale(l).a.some((a) => !(a > 0))) {
          throw new InputError(`${at}: batch-norm with a non-positive scale after a max-pool does not commute with it; put the pool after the activation`);
        }
        seg.bn = l;
        seg.statsIndex = i;
        return;
      }
      case 'relu':
      case 'hardtanh':
      case 'sign': {
        if (cur === null) throw new InputError(`${at}: an activation before the first dense/conv2d layer is not supported`);
        const seg: Segment = cur;
        if (seg.act !== null) throw new InputError(`${at}: a second activation after ${seg.act}; allowed: one of relu, hardtanh, sign per layer`);
        seg.act = l.kind;
        seg.statsIndex = i;
        return;
      }
    }
  });
  if (segments.length === 0) throw new InputError(`${where}: no dense or conv2d layer to quantize`);
  return { lead, segments };
}
