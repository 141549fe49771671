import { describe, expect, it } from 'vitest';
import { pathProblem } from './file-paths.js';
import { refusedPrefix } from './path-names.js';

/** What the web upload leaves out of a dropped folder, by the server's own name rules. */
describe('refusedPrefix', () => {
  it.each([
    ['a/.git/config', 'a/.git'],
    ['.GIT./hooks/pre-commit', '.GIT.'],
    ['GIT~1/config', 'GIT~1'],
    ['sub/.gitattributes', 'sub/.gitattributes'],
    ['.github/workflows/ci.yml', '.github/workflows'],
    ['.envrc', '.envrc'],
  ])('leaves out %s as %s', (path, prefix) => {
    expect(refusedPrefix(path)).toBe(prefix);
    expect(pathProblem(path)).toMatch(/^(VCS_METADATA|TOOL_TRUSTED)$/);
  });

  it.each(['model.safetensors', 'config.json', '.github/README.md', 'gitlike/.gitkeep', 'weights/git.bin'])('keeps %s, which the server accepts', (path) => {
    expect(refusedPrefix(path)).toBeNull();
    expect(pathProblem(path)).toBeNull();
  });
});
