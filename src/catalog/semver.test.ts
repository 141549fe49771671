import { describe, expect, it } from 'vitest';
import { versionSortKey } from './semver.js';

describe('versionSortKey', () => {
  it('orders versions the way semver does', () => {
    const ordered = ['0.9.0', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.2.0', '1.10.0', '2.0.0'];
    const shuffled = [...ordered].reverse();
    const sorted = shuffled.sort((a, b) => (versionSortKey(a) < versionSortKey(b) ? -1 : 1));
    expect(sorted).toEqual(ordered);
  });

  it('ignores build metadata', () => {
    expect(versionSortKey('1.0.0+build.5')).toBe(versionSortKey('1.0.0'));
  });
});
