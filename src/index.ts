/**
 * lowbit's public API: `import { ... } from 'lowbit'`. A curated list of named exports, grouped by area
 * and documented name by name in docs/api.md (test/unit/public_api.test.ts checks that the two lists are
 * the same). Everything else under src/ is internal and may change.
 * Layers, lowest first (a layer imports only from the ones before it):
 * util, data, arith, kernels, model, quant, train, hw, rtl, synth, estimate, explore, report, flows, cli.
 */

// package, errors and files
export { lowbitVersion, packageRoot, docPath } from './util/package.js';
export { userCacheDir } from './util/cache.js';
export { LowbitError, InputError, CheckFailedError, ToolError } from './util/errors.js';
export { Rng } from './util/rng.js';
export { readNpy, writeNpy, parseNpy, encodeNpy, type NpyArray } from './util/npy.js';

// data sets
export { loadMnist, defaultMnistDir, type ImageDataset, type MnistSplit } from './data/mnist.js';
export { readIdx, parseIdx, encodeIdx } from './data/idx.js';
export { trainValSplit, batches } from './data/batches.js';

// the arithmetic core
export { ROUNDINGS, OVERFLOWS, type Rounding, type Overflow } from './arith/modes.js';
export { formatRange, formatBits, formatName, intFormat, BINARY, type NumFormat } from './arith/format.js';
export { castInt, castIntArray, castIntBig, wrapInt, saturateInt, intMin, intMax } from './arith/int.js';
export { roundShift, roundShiftArray, roundShiftBig } from './arith/shift.js';
export { quantizeMultiplier, multiplyByQuantizedMultiplier, multiplyByQuantizedMultiplierArray, srdhm, roundingDivideByPOT } from './arith/requant.js';
export { castFixed, castFixedArray, fixedFromFloat, fixedToFloat, fixedRange, addFixed, subFixed, mulFixed } from './arith/index.js';
export { MINIFLOAT_FORMATS, encodeMinifloat, decodeMinifloat, encodeMinifloatArray, decodeMinifloatArray, roundToMinifloatArray, type MinifloatFormat, type MinifloatRounding } from './arith/minifloat.js';
export { quantizeLinear, dequantizeLinear, matMulInteger, qlinearMatMul } from './arith/onnx.js';
export { onnxRescale, onnxRescaleArray } from './arith/index.js';
export { xnorDot, xnorMatVec, popcount32 } from './arith/binary.js';
export { packSubByte, unpackSubByte } from './arith/pack.js';
export { packBits, unpackBits, toLarqBits, fromLarqBits } from './arith/index.js';

// fast exact GEMM kernels (WebAssembly SIMD)
export { gemmInt, gemmIntRef, gemmXnor, gemmXnorRef, simdSupported } from './kernels/index.js';

// the QuantizedModel, the FP32 checkpoint, reference inference, ONNX
export { loadQuantizedModel, saveQuantizedModel } from './model/format.js';
export { loadModel, resolveModelPath, shippedModel, shippedModels, shippedModelsDir } from './model/locate.js';
export { validateModel } from './model/validate.js';
export { integerInference, argmaxRowsInt, dequantizeOutput, inputQuant, type InferOptions, type InferResult } from './model/infer.js';
export { quantizeInput } from './model/stages.js';
export { REQUANT_MODES, type RequantMode } from './model/stages.js';
export { fp32Inference } from './model/fp32_infer.js';
export { loadCheckpoint, saveCheckpoint, type Checkpoint } from './model/checkpoint.js';
export { importOnnx, exportOnnx, exportQonnx } from './model/onnx/index.js';
export { modelShapes } from './model/shapes.js';
export { SCHEMA_VERSION, type QuantizedModel, type Layer, type TensorFormat, type Provenance } from './model/types.js';

// quantization and compression
export { makeScheme, type Scheme } from './quant/scheme.js';
export { parseCalib } from './quant/calibration.js';
export { quantizeCheckpoint, type PtqOptions, type PtqResult } from './quant/ptq.js';
export { foldBatchNorm, quantizeArray, dequantizeArray, chooseQParams, binarizeWeights, ternarizeWeights, pow2Weights } from './quant/index.js';
export { compressCheckpoint, magnitudePrune, kmeans1d, huffmanEncode, huffmanDecode } from './quant/index.js';
export { accuracyInt, accuracyFp32 } from './quant/evaluate.js';

// training: QAT, the training loop, mixed precision
export { runTraining, METHODS, type RunOptions as TrainingOptions, type RunSummary as TrainingSummary, type Method } from './train/run.js';
export { ARCHS, buildNetwork, type ArchName, type NetSpec } from './train/arch.js';
export { train, evaluate, testAccuracy, type TrainConfig, type TrainResult, type EpochLog } from './train/trainer.js';
export { exportQuantized, toCheckpoint } from './train/export.js';
export { saveState, loadState } from './train/state.js';
export { Network, Dense, Conv2d, BatchNorm, Activation, Dropout, Optimizer, softmaxCrossEntropy } from './train/index.js';
export { fakeQuantAffine, fakeQuantLearnable } from './train/fake_quant.js';
export { MixedPrecision, mixedPrecisionHooks, type MixedPrecisionConfig, type MixedFormat } from './train/mixed.js';

// hardware models: Designs, units, the systolic array, the accelerator, the cost model
export { loadDesign, parseDesign, deriveDesign, designToJson, type Design, type OperandJson, type Dataflow } from './hw/design.js';
export { PRESETS, PRESET_NAMES } from './hw/presets.js';
export { MacPe, MacArray, RequantizerModel, XnorPopcountModel, requantize, requantizeArray, bitSerialDot } from './hw/index.js';
export { simulateGemm } from './hw/gemm_schedule.js';
export { gemmCycles, estimateGemm, type GemmCost } from './hw/cost.js';
export { compileModel } from './hw/accel_compile.js';
export { runAccelerator, inferenceCycles, type AccelRun } from './hw/accel_top.js';
export type { AccelProgram } from './hw/accel_program.js';
export { writeImages } from './hw/accel_images.js';
export { scaleSimCycles, writeScaleSim } from './hw/scalesim.js';

// RTL verification through Verilator
export { verilatorVersion, buildSim, cacheRoot } from './rtl/build.js';
export { runSim } from './rtl/run.js';
export { verifyJob, resolveUnit, type VerifyJob, type VerifyResult } from './rtl/verify.js';
export { unitNames } from './rtl/units/index.js';
export { runVerifyJobs, type JobPool } from './rtl/batch.js';
export { readVcd } from './rtl/vcd.js';
export { cosimAccelerator } from './rtl/accel_top.js';
export { runMutant, killFraction } from './rtl/mutate.js';
export { MUTATIONS } from './rtl/mutations.js';
export type { UnitSpec } from './rtl/unit.js';

// estimates, design-space exploration, reports
export { estimateNetwork, estimateProgram, type NetworkEstimate } from './estimate/network.js';
export { modelMemory, type ModelMemory } from './estimate/memory.js';
export { modelAccWidths, type ModelAccWidths } from './estimate/accumulators.js';
export { estimateArea, type AreaResult } from './estimate/area.js';
export { HOROWITZ_45NM, loadEnergyTable, macEnergy } from './estimate/energy.js';
export { synthesize, yosysVersion } from './synth/yosys.js';
export { loadSpace, type Space } from './explore/space.js';
export { runSweep, mergeResults, readResults, type SweepResult } from './explore/sweep.js';
export { paretoFront } from './explore/pareto.js';
export { sweepFront } from './explore/front.js';
export { evaluatePoint } from './explore/evaluate.js';
export { writeReport, markdownTable, type Report } from './report/document.js';
export { sweepReport } from './report/sweep_report.js';
export { estimateReport } from './report/estimate_report.js';

// flows: a model on the accelerator (and its RTL), the main job
export { runModel, type RunReport, type RunOptions, type Disagreement } from './flows/run.js';
export { runDemo, SHIPPED } from './flows/demo.js';
