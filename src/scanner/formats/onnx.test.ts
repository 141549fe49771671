import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ScanTarget } from '../context.js';
import type { Finding } from '../types.js';
import { createScanner } from '../scan.js';
import { scanOnnx } from './onnx.js';
import { fileTarget, pbBytes as bytes, pbInt as int, pbStr as str, tempDir } from './test-fixtures.js';

const cat = (...b: Buffer[]) => Buffer.concat(b);

const entry = (k: string, v: string) => bytes(13, cat(str(1, k), str(2, v)));
function tensor(name: string, location?: string, extra: Buffer[] = []): Buffer {
  if (location === undefined) return cat(int(1, 4), int(2, 1), str(8, name), bytes(9, Buffer.alloc(16)));
  return cat(int(1, 4), int(2, 1), str(8, name), entry('location', location), entry('offset', '0'), entry('length', '16'), int(14, 1), ...extra);
}
const node = (op: string, domain = '', attrs: Buffer[] = []) => cat(str(1, 'x'), str(2, 'y'), str(4, op), ...(domain ? [str(7, domain)] : []), ...attrs.map((a) => bytes(5, a)));
const graph = (nodes: Buffer[], inits: Buffer[] = []) => cat(...nodes.map((n) => bytes(1, n)), str(2, 'g'), ...inits.map((t) => bytes(5, t)));
const model = (g: Buffer, opsets: string[] = [''], more: Buffer[] = []) => cat(int(1, 8), bytes(7, g), ...opsets.map((d) => bytes(8, cat(str(1, d), int(2, 17)))), ...more);

const base = tempDir('garden-onnx-');
let n = 0;

async function scanIn(files: Record<string, Buffer>, opts: { depth?: number; root?: 'folder' | null } = {}): Promise<{ f: Finding[]; t: ScanTarget; claimed: string[] }> {
  const dir = path.join(base, `m${n++}`);
  for (const [rel, data] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), data);
  }
  const claimed: string[] = [];
  const t = fileTarget(path.join(dir, 'model.onnx'), files['model.onnx']!, 'onnx', {
    root: opts.root === null ? null : dir,
    depth: opts.depth ?? 0,
    claimData: (p) => claimed.push(p),
  });
  return { f: await scanOnnx(t), t, claimed };
}
const codes = (fs: Finding[]) => fs.map((f) => f.code);

describe('ONNX validation', () => {
  it('passes a model with embedded weights and standard domains', async () => {
    const m = model(graph([node('Add'), node('FusedMatMul', 'com.microsoft')], [tensor('w')]), ['', 'com.microsoft']);
    expect((await scanIn({ 'model.onnx': m })).f).toEqual([]);
  });

  it('passes external data inside the folder and lists it for the orchestrator', async () => {
    const m = model(graph([node('Add')], [tensor('w', 'weights/w.bin'), tensor('v', 'weights/w.bin')]));
    const { f, t, claimed } = await scanIn({ 'model.onnx': m, 'weights/w.bin': Buffer.alloc(16) });
    expect(f).toEqual([]);
    expect(claimed).toEqual([path.join(path.dirname(t.abs), 'weights/w.bin')]);
    // In a folder scan, the claimed file is tensor data, not an unknown binary.
    const report = await createScanner().scanPath(path.dirname(t.abs));
    expect(report.files.find((x) => x.path === 'weights/w.bin')).toMatchObject({ format: 'onnx-data', verdict: 'pass' });
    expect(report.verdict).toBe('pass');
  });

  it('flags locations that leave the folder as critical, one finding per location', async () => {
    for (const loc of ['../../../etc/passwd', '/etc/passwd', 'C:\\Windows\\win.ini', '..\\..\\secret', '\\\\server\\share\\x', 'file:///etc/passwd']) {
      const m = model(graph([node('Add')], [tensor('a', loc), tensor('b', loc)]));
      const { f } = await scanIn({ 'model.onnx': m });
      expect(f, loc).toEqual([expect.objectContaining({ code: 'ONNX_EXTERNAL_DATA_PATH', severity: 'critical' })]);
    }
  });

  it('follows symlinks: a link out of the folder is critical', async () => {
    const m = model(graph([node('Add')], [tensor('w', 'data.bin')]));
    const dir = path.join(base, `m${n}`);
    mkdirSync(dir, { recursive: true });
    symlinkSync('/etc/hostname', path.join(dir, 'data.bin'));
    const { f } = await scanIn({ 'model.onnx': m });
    expect(f).toEqual([expect.objectContaining({ code: 'ONNX_EXTERNAL_DATA_PATH', severity: 'critical' })]);
  });

  it('reports missing files, bad ranges and locations that cannot be checked', async () => {
    const m = model(graph([node('Add')], [tensor('w', 'gone.bin')]));
    expect(codes((await scanIn({ 'model.onnx': m })).f)).toEqual(['ONNX_EXTERNAL_DATA_MISSING']);
    const short = model(graph([node('Add')], [tensor('w', 'w.bin')]));
    expect(codes((await scanIn({ 'model.onnx': short, 'w.bin': Buffer.alloc(8) })).f)).toEqual(['ONNX_EXTERNAL_DATA_RANGE']);
    const noLoc = model(graph([node('Add')], [cat(str(8, 'w'), int(14, 1))]));
    expect(codes((await scanIn({ 'model.onnx': noLoc })).f)).toEqual(['ONNX_EXTERNAL_DATA']);
    const nested = model(graph([node('Add')], [tensor('w', 'w.bin')]));
    expect(codes((await scanIn({ 'model.onnx': nested, 'w.bin': Buffer.alloc(16) }, { depth: 1 })).f)).toEqual(['ONNX_EXTERNAL_DATA_UNVERIFIED']);
  });

  it('checks tensors in subgraphs, attributes, sparse initializers, training graphs and functions', async () => {
    const evil = tensor('t', '/etc/shadow');
    const variants = [
      model(graph([node('If', '', [cat(str(1, 'then_branch'), bytes(6, graph([node('Add')], [evil])))])])),
      model(graph([node('Loop', '', [cat(str(1, 'body'), bytes(11, graph([node('Add', '', [cat(str(1, 'value'), bytes(5, evil))])])))])])),
      model(cat(graph([node('Add')]), bytes(15, cat(bytes(1, evil), bytes(2, tensor('i')))))),
      model(graph([node('Add')]), [''], [bytes(20, bytes(1, graph([node('Add')], [evil])))]),
      model(graph([node('Add')]), [''], [bytes(25, cat(str(1, 'f'), str(10, 'local'), bytes(7, node('Constant', '', [cat(str(1, 'value'), bytes(5, evil))]))))]),
    ];
    for (const [i, m] of variants.entries()) {
      expect(codes((await scanIn({ 'model.onnx': m })).f), `variant ${i}`).toEqual(['ONNX_EXTERNAL_DATA_PATH']);
    }
  });

  it('flags custom operator domains, but not model-local functions', async () => {
    const custom = model(graph([node('Add'), node('RunPlugin', 'com.example'), node('RunPlugin', 'com.example')]), ['', 'com.example']);
    const f = (await scanIn({ 'model.onnx': custom })).f;
    expect(f).toEqual([expect.objectContaining({ code: 'ONNX_CUSTOM_OP', severity: 'medium' })]);
    expect(f[0]!.message).toContain('2 nodes');
    const py = model(graph([node('PyOp', 'ai.onnx.contrib')]), ['', 'ai.onnx.contrib']);
    expect((await scanIn({ 'model.onnx': py })).f).toEqual([expect.objectContaining({ code: 'ONNX_PYTHON_OP', severity: 'high' })]);
    const local = model(graph([node('MyFn', 'my.local')]), ['', 'my.local'], [bytes(25, cat(str(1, 'MyFn'), str(10, 'my.local'), bytes(7, node('Relu'))))]);
    expect((await scanIn({ 'model.onnx': local })).f).toEqual([]);
    const unused = model(graph([node('Add')]), ['', 'com.unused']);
    expect((await scanIn({ 'model.onnx': unused })).f).toEqual([expect.objectContaining({ code: 'ONNX_CUSTOM_DOMAIN', severity: 'info' })]);
  });

  it('fails closed on malformed protobuf and non-models', async () => {
    const good = model(graph([node('Add')], [tensor('w')]));
    const cases: Buffer[] = [
      good.subarray(0, good.length - 3), // truncated
      cat(good, Buffer.from([0x0b])), // group wire type
      cat(good, Buffer.from([0x00, 0x01])), // field 0
      cat(good, bytes(3, Buffer.alloc(4)).subarray(0, 3)), // length past the end
      cat(int(1, 8), Buffer.from([0x3a, 0x05]), Buffer.from([0x0a, 0x10, 0, 0, 0])), // sub-message overruns its parent
      cat(int(1, 8), Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])), // 11-byte varint
      int(1, 8), // no graph
    ];
    for (const [i, m] of cases.entries()) {
      const f = (await scanIn({ 'model.onnx': m })).f;
      expect(f, `case ${i}`).toEqual([expect.objectContaining({ code: 'ONNX_PARSE', severity: 'high' })]);
    }
  });

  it('refuses subgraphs nested absurdly deep', async () => {
    let g = graph([node('Add')]);
    for (let i = 0; i < 80; i++) g = graph([node('If', '', [cat(str(1, 'then_branch'), bytes(6, g))])]);
    expect(codes((await scanIn({ 'model.onnx': model(g) })).f)).toEqual(['ONNX_PARSE']);
  });
});
