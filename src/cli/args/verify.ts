import type { CommandModule } from 'yargs';
import { DESCRIBE } from '../commands/list.js';
import type { RtlArgs } from '../commands/verify_rtl.js';

/** `lowbit verify`: its options (light, all that --help and parsing load); the work is `verifyHandler` in
 * commands/verify.ts, loaded when the command runs. */
export interface Args extends Partial<Omit<RtlArgs, 'keepVcd' | 'json' | 'vcdDir' | 'design'>> {
  unit?: string;
  all?: boolean;
  design?: string;
  seed: number;
  cases: number;
  jobs?: number;
  keepVcd: boolean;
  vcdDir?: string;
  mutate: boolean;
  inProcess?: boolean;
  json: boolean;
}

export const verifyCommand: CommandModule<object, Args> = {
  command: 'verify',
  describe: DESCRIBE.verify,
  builder: (y) =>
    y
      .option('unit', { type: 'string', describe: 'unit name (or a path to a module exporting a UnitSpec)' })
      .option('all', { type: 'boolean', describe: 'every registered unit' })
      .option('design', { type: 'string', describe: "one of the unit's design labels, a preset or a JSON file (default: all the unit's designs)" })
      .option('seed', { type: 'number', default: 1, describe: 'stimulus seed' })
      .option('cases', { type: 'number', default: 200, describe: 'random cases per design (scales the stimulus length)' })
      .option('jobs', { type: 'number', describe: 'parallel builds/simulations (worker pool; default: the machine parallelism)' })
      .option('keep-vcd', { type: 'boolean', default: false, describe: 'keep the VCD of every run (always kept on a mismatch)' })
      .option('vcd-dir', { type: 'string', describe: 'folder for kept VCDs (default <cache>/vcd)' })
      .option('in-process', { type: 'boolean', describe: 'simulate in this process through the koffi shim (the default for the registered units when koffi loads); --no-in-process: a harness process' })
      .option('mutate', { type: 'boolean', default: false, describe: 'run the RTL mutation catalogue and report the kill fraction' })
      .option('rtl', { type: 'string', array: true, describe: 'your RTL files (Verilog/SystemVerilog), checked against a golden model through --bind' })
      .option('include', { alias: 'I', type: 'string', array: true, describe: 'with --rtl: an include directory' })
      .option('define', { alias: 'D', type: 'string', array: true, describe: 'with --rtl: a preprocessor define NAME or NAME=VALUE' })
      .option('param', { type: 'string', array: true, describe: 'with --rtl: a top-level parameter override NAME=VALUE' })
      .option('top', { type: 'string', describe: 'with --rtl: the top module' })
      .option('bind', { type: 'string', describe: 'with --rtl: the port binding bind.json (schema/bind.schema.json)' })
      .option('mutations', { type: 'string', describe: 'with --rtl: a mutations.json of text mutations of your files; fails if one survives' })
      .option('vectors', { type: 'string', describe: 'with --rtl (stream binding): input transactions from a .json or .npy file instead of random ones' })
      .option('model', { type: 'string', describe: 'with --rtl and an accelerator binding: the network (models/NAME, a quantized .onnx or a shipped model); --cases is the image count' })
      .example('$0 verify --unit mac_pe --design int8 --cases 50', 'one unit on one design')
      .example('$0 verify --rtl dot8_core.sv --top dot8_core --bind bind.json --design int8', 'your own RTL against the mac_pe model')
      .example('$0 verify --rtl bnn_mlp.sv --top bnn_mlp --bind accel.json --model sfc-w1a1 --cases 200', 'your accelerator against a network, image by image')
      .example('$0 verify --all --jobs 2', 'every unit on all its designs')
      .example('$0 verify --unit requantizer --design int8 --seed 7 --cases 1000 --keep-vcd', 'one unit, one design, keep the waveform') as never,
  handler: async (argv) => (await import('../commands/verify.js')).verifyHandler(argv),
};
