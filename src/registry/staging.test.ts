import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createFsStaging } from './staging.js';

const dir = () => mkdtempSync(path.join(tmpdir(), 'garden-staging-'));

describe('upload staging', () => {
  it('appends chunks in order and reads back the whole upload', async () => {
    const s = await createFsStaging(dir());
    const id = randomUUID();
    expect(await s.append(id, 0, Readable.from([Buffer.from('hello ')]), 11)).toBe(6);
    expect(await s.append(id, 6, Readable.from([Buffer.from('world')]), 11)).toBe(11);
    expect(Buffer.concat(await s.read(id).toArray()).toString()).toBe('hello world');
    expect(await s.list()).toEqual([id]);
    await s.remove(id);
    expect(await s.list()).toEqual([]);
  });

  it('refuses a chunk that does not start where the upload ends, and says where that is', async () => {
    const s = await createFsStaging(dir());
    const id = randomUUID();
    await s.append(id, 0, Readable.from([Buffer.from('abc')]), 10);
    await expect(s.append(id, 1, Readable.from([Buffer.from('zzz')]), 10)).rejects.toMatchObject({ code: 'CONFLICT', details: { offset: 3 } });
    expect(await s.length(id)).toBe(3);
  });

  it('refuses more bytes than declared without growing past the last good offset', async () => {
    const s = await createFsStaging(dir());
    const id = randomUUID();
    await s.append(id, 0, Readable.from([Buffer.from('abc')]), 5);
    await expect(s.append(id, 3, Readable.from([Buffer.from('defgh')]), 5)).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    expect(await s.length(id)).toBe(3);
  });

  it('keeps what arrived before a connection broke, so the client can resume', async () => {
    const s = await createFsStaging(dir());
    const id = randomUUID();
    let sent = false;
    const broken = new Readable({
      read() {
        if (!sent) {
          sent = true;
          this.push(Buffer.from('partial'));
        } else this.destroy(new Error('reset'));
      },
    });
    await expect(s.append(id, 0, broken, 100)).rejects.toThrow('reset');
    const have = await s.length(id);
    expect(have).toBe(7);
    expect(await s.append(id, have, Readable.from([Buffer.from(' rest')]), 100)).toBe(12);
  });

  it('refuses ids that could name other files', async () => {
    const s = await createFsStaging(dir());
    await expect(s.length('../../etc/passwd')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
