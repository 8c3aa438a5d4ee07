import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

/**
 * An option that does not apply exits 2 with one line: why, then one fix. When the option would apply with
 * another option, the fix offers both (never "add --rtl; remove it").
 */
describe('an option that does not apply names one fix', () => {
  const cases: [string[], string][] = [
    [['run', '--model', 'sfc-w4a4', '--design', 'int8-mnist', '--images', '5', '--rtl-images', '3'],
      '--rtl-images does not apply here: it applies to the images run through the RTL; add --rtl or remove it'],
    [['estimate', '--model', 'sfc-w4a4', '--design', 'int8-mnist', '--no-area', '--images', '5'],
      '--images does not apply here: it counts the images of --accuracy; add --accuracy or remove it'],
    [['compress', '--checkpoint', 'ckpt', '--huffman'],
      '--huffman does not apply here: Huffman coding codes the cluster indices; give --clusters K too or remove it'],
    [['infer', '--model', 'sfc-w4a4', '--input', 'x.npy', '--dequantize'],
      '--dequantize does not apply here: it chooses the dtype of the outputs written to --out; add --out FILE.npy or remove it'],
    [['simulate', '--a', 'a.npy', '--w', 'w.npy', '--seed', '3'],
      '--seed does not apply here: it seeds --random operands; remove it'],
  ];
  for (const [args, message] of cases) {
    it(`${args[0]} ${args[args.length - 2]!.startsWith('--') ? args[args.length - 2] : args[args.length - 1]}`, async () => {
      const r = await runCli(args);
      expect(r.err).toBe(`lowbit: ${message}\n`);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
    });
  }
});

describe('the "off" spelling of a boolean option asks for nothing, so it is accepted where the option does not apply', () => {
  it('estimate --gemm: --no-area and --accuracy=false run as without them; --area and --accuracy are refused', async () => {
    const plain = await runCli(['estimate', '--design', 'int8', '--gemm', '16,64,16', '--json']);
    expect(plain.code, plain.err).toBe(0);
    for (const off of [['--no-area'], ['--area=false'], ['--no-accuracy'], ['--no-area', '--no-accuracy']]) {
      const r = await runCli(['estimate', '--design', 'int8', '--gemm', '16,64,16', '--json', ...off]);
      expect(r.code, `${off.join(' ')}: ${r.err}`).toBe(0);
      expect(r.out).toBe(plain.out);
    }
    for (const on of ['--area', '--accuracy']) {
      const r = await runCli(['estimate', '--design', 'int8', '--gemm', '16,64,16', on]);
      expect(r.err).toBe(`lowbit: ${on} does not apply here: it applies to --model (a whole network), not to --gemm; remove it\n`);
      expect(r.code).toBe(2);
    }
  });

  it('quantize --model X.onnx (an import): --no-per-channel runs as without it; --per-channel is refused', async () => {
    const onnx = join(__dirname, 'fixtures', 'ort_static', 'mlp_qdq_pc.onnx');
    const plain = await runCli(['quantize', '--model', onnx, '--images', '20', '--json']);
    expect(plain.code, plain.err).toBe(0);
    const off = await runCli(['quantize', '--model', onnx, '--images', '20', '--json', '--no-per-channel']);
    expect(off.code, off.err).toBe(0);
    const seconds = (t: string) => t.replace(/"seconds": [\d.]+/g, '');
    expect(seconds(off.out)).toBe(seconds(plain.out));
    const on = await runCli(['quantize', '--model', onnx, '--images', '20', '--per-channel']);
    expect(on.err).toBe('lowbit: --per-channel does not apply here: --model imports an already quantized model (they apply to --checkpoint); remove it\n');
    expect(on.code).toBe(2);
  });
});
