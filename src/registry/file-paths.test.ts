import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { formatOf, joinInside, pathProblem, validateFilePaths } from './file-paths.js';

describe('file paths', () => {
  it('accepts the paths of a Hugging Face style folder', () => {
    expect(() =>
      validateFilePaths(['config.json', 'model-00001-of-00002.safetensors', 'model.safetensors.index.json', 'onnx/model.onnx', 'README.md']),
    ).not.toThrow();
  });

  it.each([
    ['', 'EMPTY'],
    ['/etc/passwd', 'ABSOLUTE'],
    ['C:/weights.bin', 'ABSOLUTE'],
    ['..\\evil', 'BACKSLASH'],
    ['../evil', 'TRAVERSAL'],
    ['a/../../b', 'TRAVERSAL'],
    ['a//b', 'TRAVERSAL'],
    ['./a', 'TRAVERSAL'],
    ['a\u0000b', 'CONTROL_CHARACTER'],
    ['x'.repeat(256), 'TOO_LONG'],
    [`${'d/'.repeat(600)}f`, 'TOO_LONG'],
    // Windows drops trailing dots and spaces: these segments are "." or ".." there
    ['a/.. /b', 'TRAVERSAL'],
    ['a/.../b', 'TRAVERSAL'],
    // version-control metadata, under every name a disk resolves to it
    ['.git/config', 'VCS_METADATA'],
    ['.git', 'VCS_METADATA'], // a FILE .git is a gitdir: redirect
    ['sub/.git/hooks/post-checkout', 'VCS_METADATA'],
    ['.GIT/config', 'VCS_METADATA'],
    ['.git./config', 'VCS_METADATA'],
    ['.git /config', 'VCS_METADATA'],
    ['.git::$INDEX_ALLOCATION/config', 'VCS_METADATA'],
    ['GIT~1/config', 'VCS_METADATA'],
    ['.g\u200cit/config', 'VCS_METADATA'],
    ['.hg/hgrc', 'VCS_METADATA'],
    ['.svn/wc.db', 'VCS_METADATA'],
    ['.bzr/branch/branch.conf', 'VCS_METADATA'],
    ['_darcs/prefs/defaults', 'VCS_METADATA'],
    ['CVS/Root', 'VCS_METADATA'],
    ['.jj/repo/config.toml', 'VCS_METADATA'],
    // files tools act on wherever they are
    ['.gitattributes', 'TOOL_TRUSTED'],
    ['onnx/.gitattributes', 'TOOL_TRUSTED'],
    ['.GitModules', 'TOOL_TRUSTED'],
    ['GITMOD~1', 'TOOL_TRUSTED'],
    ['gi7d29~1', 'TOOL_TRUSTED'],
    ['.lfsconfig', 'TOOL_TRUSTED'],
    ['.gitconfig', 'TOOL_TRUSTED'],
    ['.hgrc', 'TOOL_TRUSTED'],
    ['.hgsub', 'TOOL_TRUSTED'],
    ['.envrc', 'TOOL_TRUSTED'],
    ['tools/.envrc', 'TOOL_TRUSTED'],
    ['.pre-commit-config.yaml', 'TOOL_TRUSTED'],
    ['.github/workflows/release.yml', 'TOOL_TRUSTED'],
  ])('refuses %j as %s', (p, reason) => {
    expect(pathProblem(p)).toBe(reason);
  });

  it.each(['.gitignore', '.github/README.md', 'git/config', '.gitkeep', 'my.git/x', 'cvs-notes.txt', '.cache/huggingface/x.metadata', 'model~1.bin', 'a.b/c'])(
    'accepts %j',
    (p) => {
      expect(pathProblem(p)).toBeNull();
    },
  );

  it('says why VCS metadata is refused, and counts names Windows treats as one as duplicates', () => {
    expect(() => validateFilePaths(['model.safetensors', '.git/config'])).toThrow(/\.git\/config.*VCS_METADATA.*core\.fsmonitor/);
    try {
      validateFilePaths(['model.bin', 'model.bin.', 'MODEL.BIN ', 'caf\u00e9.bin', 'cafe\u0301.bin']);
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ details: { problems: [{ path: 'model.bin.', reason: 'DUPLICATE' }, { path: 'MODEL.BIN ', reason: 'DUPLICATE' }, { path: 'cafe\u0301.bin', reason: 'DUPLICATE' }] } });
    }
  });

  it('refuses a file whose path is also a folder of another file', () => {
    try {
      validateFilePaths(['config', 'Config/x.json', 'model.bin']);
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: 'INVALID_INPUT', details: { problems: [{ path: 'config', reason: 'FILE_AND_FOLDER' }] } });
    }
  });

  it('joins a stored path under a folder only when it stays inside and is not refused', () => {
    expect(joinInside('/scratch/x', 'onnx/model.onnx')).toBe(path.resolve('/scratch/x/onnx/model.onnx'));
    expect(() => joinInside('/scratch/x', '../y')).toThrow(/refusing to write/);
    expect(() => joinInside('/scratch/x', '.git/config')).toThrow(/VCS/);
    expect(joinInside('/scratch/x', '.git/config', { allowRefusedNames: true })).toBe(path.resolve('/scratch/x/.git/config'));
    expect(() => joinInside('/scratch/x', '/etc/passwd', { allowRefusedNames: true })).toThrow(/absolute/);
  });

  it('reports every problem at once, including case-insensitive duplicates', () => {
    try {
      validateFilePaths(['ok.json', '../x', 'Model.safetensors', 'model.safetensors']);
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({
        code: 'INVALID_INPUT',
        details: { problems: [{ path: '../x', reason: 'TRAVERSAL' }, { path: 'model.safetensors', reason: 'DUPLICATE' }] },
      });
    }
  });

  it('limits the number of files', () => {
    expect(() => validateFilePaths(Array.from({ length: 10_001 }, (_, i) => `f${i}`))).toThrow(/at most 10000 files/);
  });

  it('names formats for display', () => {
    expect(['a.safetensors', 'model.safetensors.index.json', 'm.gguf', 'onnx/model.onnx', 'model.onnx_data', 'tokenizer.json', 'README.md', 'config.json', 'x.bin'].map(formatOf)).toEqual([
      'safetensors',
      'safetensors-index',
      'gguf',
      'onnx',
      'onnx-data',
      'tokenizer',
      'readme',
      'config',
      'other',
    ]);
  });
});
