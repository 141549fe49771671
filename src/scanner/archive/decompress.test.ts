import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import lzma from 'lzma-native';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../formats/test-fixtures.js';
import { decompressFile, MAX_LZMA_MEMORY, type Codec } from './decompress.js';

const dir = tempDir('garden-decompress-');
let n = 0;
function file(data: Buffer): string {
  const abs = path.join(dir, `f${n++}`);
  writeFileSync(abs, data);
  return abs;
}

/** Decompresses a whole file; `limit` is the byte count where decoding stopped, or null. */
async function run(data: Buffer, codec: Codec, maxBytes = 1 << 30): Promise<{ out: Buffer; limit: number | null }> {
  let limit: number | null = null;
  const chunks: Buffer[] = [];
  for await (const c of decompressFile(file(data), 0, codec, maxBytes, (b) => (limit = b))) chunks.push(c);
  return { out: Buffer.concat(chunks), limit };
}

const xz = async (data: Buffer, coder: 'easyEncoder' | 'aloneEncoder'): Promise<Buffer> =>
  buffer(Readable.from([data]).pipe((lzma as unknown as { createStream(c: string, o: object): NodeJS.ReadWriteStream }).createStream(coder, { preset: 1 })));

/** An LZ4 frame (4 MiB blocks, independent) of `blocks` blocks that each decode to `size` zero bytes. */
function lz4Zeros(blocks: number, size: number): Buffer {
  let rest = size - 1 - 4 - 15; // one literal, then one match of size - 1 bytes (4 implied, 15 in the token)
  const ext: number[] = [];
  for (; rest >= 255; rest -= 255) ext.push(255);
  ext.push(rest);
  const block = Buffer.from([0x1f, 0x00, 0x01, 0x00, ...ext]);
  const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x70, 0x00]);
  const parts = [header];
  for (let i = 0; i < blocks; i++) parts.push(Buffer.from(new Uint32Array([block.length]).buffer), block);
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

// Written by Python's bz2.compress (level 9).
const BZ2_PICKLE = Buffer.from('QlpoOTFBWSZTWeq1QHgAABZf4PyAAEFAAMCAAAIi4w7CQAQGAABAIAAiImnqGjIAN6TTUMYAAAABjjBxEr3SuV9iRuC2mYWCIAOVrpT6gvjvVrMc2/F3JFOFCQ6rVAeA', 'base64');
const BZ2_50MB_ZEROS = Buffer.from('QlpoOTFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZk8TsPQAfaMEAwAAAEAAIIAAwzAmqaZUiDapSIPF3JFOFCQj9cpgw', 'base64');
const PICKLE = Buffer.from('80049530000000000000007d94288c0777656967687473945d9428473ff8000000000000474004000000000000658c046e616d65948c01789475 2e'.replace(/ /g, ''), 'hex');

describe('decompressFile', () => {
  it('decompresses bz2 as Python writes it', async () => {
    const { out, limit } = await run(BZ2_PICKLE, 'bz2');
    expect(limit).toBeNull();
    expect(out.equals(PICKLE)).toBe(true);
  });

  it('decompresses xz and lzma-alone (liblzma)', async () => {
    const data = Buffer.from('weights '.repeat(10_000));
    for (const [codec, coder] of [
      ['xz', 'easyEncoder'],
      ['lzma', 'aloneEncoder'],
    ] as const) {
      const { out, limit } = await run(await xz(data, coder), codec);
      expect(limit, codec).toBeNull();
      expect(out.equals(data), codec).toBe(true);
    }
  });

  it('decompresses LZ4 frames, stored and compressed blocks, linked to the previous block', async () => {
    // Block 1 stored ("abcdefgh"), block 2 compressed: 0 literals, a 16-byte match 8 bytes back (into block 1).
    const frame = Buffer.concat([
      Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x40, 0x40, 0x00]),
      Buffer.from([0x08, 0x00, 0x00, 0x80]),
      Buffer.from('abcdefgh'),
      Buffer.from([0x03, 0x00, 0x00, 0x00, 0x0c, 0x08, 0x00]),
      Buffer.alloc(4),
    ]);
    const { out } = await run(frame, 'lz4');
    expect(out.toString()).toBe('abcdefgh'.repeat(3));
    expect((await run(lz4Zeros(3, 1000), 'lz4')).out.equals(Buffer.alloc(3000))).toBe(true);
  });

  it('stops a bomb at the cap instead of filling memory, for every codec', async () => {
    const cap = 1024 * 1024;
    const zeros = Buffer.alloc(6 * 1024 * 1024);
    const bombs: [Codec, Buffer][] = [
      ['bz2', BZ2_50MB_ZEROS],
      ['xz', await xz(zeros, 'easyEncoder')],
      ['lzma', await xz(zeros, 'aloneEncoder')],
      ['lz4', lz4Zeros(4, 4 * 1024 * 1024)],
    ];
    for (const [codec, data] of bombs) {
      const { out, limit } = await run(data, codec, cap);
      expect(limit, codec).toBeGreaterThan(cap);
      expect(out.length, codec).toBeLessThanOrEqual(cap);
    }
  });

  it('fails on corrupt data and on an LZMA dictionary over the memory limit', async () => {
    await expect(run(Buffer.concat([BZ2_PICKLE.subarray(0, 40), Buffer.alloc(40, 0x55)]), 'bz2')).rejects.toThrow();
    await expect(run(Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x40, 0x70, 0x00, 0xff, 0xff, 0xff, 0x00]), 'lz4')).rejects.toThrow(/larger than/);
    const alone = await xz(Buffer.from('x'.repeat(100)), 'aloneEncoder');
    alone.writeUInt32LE(0xffffffff, 1); // dictionary size: 4 GiB
    expect(MAX_LZMA_MEMORY).toBeLessThan(0xffffffff);
    await expect(run(alone, 'lzma')).rejects.toThrow(/[Mm]emory/);
  });
});
