/**
 * Streamed, bounded decompression of a file for the scanners: zlib, gzip (Node's zlib), bz2
 * (unbzip2-stream's block decoder), xz and lzma-alone (lzma-native, liblzma) and the LZ4 frame format (lz4js block
 * decoder, frames read here) — the codecs joblib writes. Output is yielded chunk by chunk and the
 * total is capped: past `maxBytes` decoding stops and `onLimit` is told (a compression bomb is a
 * finding, never memory exhaustion). Corrupt data makes the generator throw.
 *
 * Memory per codec, besides the capped output: zlib/gzip a 32 KiB window; xz/lzma the dictionary,
 * refused past MAX_LZMA_MEMORY (liblzma's memlimit); bz2 one block (at most 900 kB in, ~46 MB out);
 * LZ4 one block (at most 4 MiB) plus 64 KiB of history.
 */
import { createReadStream } from 'node:fs';
import type { Readable, Transform } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import lz4 from 'lz4js';
import lzma from 'lzma-native';
import bitIterator from 'unbzip2-stream/lib/bit_iterator.js';
import bz2 from 'unbzip2-stream/lib/bzip2.js';
import { errorText } from '../pickle/analyze.js';
import { ByteReader, readableChunks } from '../pickle/byte-reader.js';

export type Codec = 'zlib' | 'gzip' | 'bz2' | 'xz' | 'lzma' | 'lz4';

/** liblzma's memory limit for one decoder (xz -9 needs 65 MiB; LZMA-alone headers may ask for 4 GiB). */
export const MAX_LZMA_MEMORY = 256 * 1024 * 1024;
/**
 * Compressed bytes handed to a decoder at once. Decoders that cannot be paused mid-input (liblzma,
 * unbzip2) expand one write completely, so writes are kept small enough that one cannot explode.
 */
const SMALL_READS = 16 * 1024;
const LARGE_READS = 1 << 20;

/** The decompressed content of `abs` from byte `start`, at most `maxBytes` of it (see the module comment). */
export async function* decompressFile(abs: string, start: number, codec: Codec, maxBytes: number, onLimit: (bytes: number) => void): AsyncGenerator<Buffer> {
  const small = codec === 'bz2' || codec === 'xz' || codec === 'lzma';
  const file = createReadStream(abs, { start, highWaterMark: small ? SMALL_READS : LARGE_READS });
  let out = 0;
  const over = (n: number): boolean => {
    out += n;
    return out > maxBytes;
  };
  const chunks = codec === 'bz2' ? bunzip(readableChunks(file), over) : codec === 'lz4' ? lz4Frames(readableChunks(file)) : piped(file, transformFor(codec));
  let stopped = false;
  try {
    for await (const c of chunks) {
      if (codec !== 'bz2' && over(c.length)) {
        stopped = true;
        break;
      }
      yield c;
    }
  } catch (e) {
    if (!(e instanceof LimitReached)) throw e;
    stopped = true;
  } finally {
    file.destroy();
  }
  if (stopped) onLimit(out);
}

function transformFor(codec: 'zlib' | 'gzip' | 'xz' | 'lzma'): Transform {
  switch (codec) {
    case 'zlib':
      return createInflate();
    case 'gzip':
      return createGunzip();
    case 'xz':
      return lzma.createStream('streamDecoder', { memlimit: MAX_LZMA_MEMORY, synchronous: false });
    case 'lzma':
      return lzma.createStream('aloneDecoder', { memlimit: MAX_LZMA_MEMORY, synchronous: false });
  }
}

/** The output of a Transform fed from `source`; either failing fails both, and stopping closes both. */
function piped(source: Readable, t: Transform): AsyncGenerator<Buffer> {
  source.on('error', (e) => t.destroy(e));
  t.on('close', () => source.destroy());
  return readableChunks(source.pipe(t));
}

class LimitReached extends Error {}

/** Output of one bz2 block, kept in 64 KiB pages (a block can expand to ~46 MB). */
class PageSink {
  readonly pages: Buffer[] = [];
  private page = Buffer.allocUnsafe(BZ2_PAGE);
  private pos = 0;

  constructor(private readonly over: (n: number) => boolean) {}

  /** Called by the decoder for every output byte; throws LimitReached past the cap. */
  readonly byte = (b: number): void => {
    this.page[this.pos++] = b;
    if (this.pos === BZ2_PAGE) {
      if (this.over(BZ2_PAGE)) throw new LimitReached('decompressed size limit reached');
      this.pages.push(this.page);
      this.page = Buffer.allocUnsafe(BZ2_PAGE);
      this.pos = 0;
    }
  };

  flush(): Buffer[] {
    if (this.pos > 0) {
      if (this.over(this.pos)) throw new LimitReached('decompressed size limit reached');
      this.pages.push(this.page.subarray(0, this.pos));
      this.pos = 0;
    }
    return this.pages.splice(0);
  }
}

const BZ2_PAGE = 64 * 1024;

/**
 * bz2 with unbzip2-stream's block decoder, driven here (its stream wrapper collects a whole block
 * in a JavaScript array, ~8 bytes per output byte, before anything can look at it). As there, a
 * block is decoded once enough input is buffered for the largest possible compressed block; every
 * output byte goes to a page sink that stops the decoder at the cap.
 */
async function* bunzip(src: AsyncIterable<Buffer>, over: (n: number) => boolean): AsyncGenerator<Buffer> {
  const it = src[Symbol.asyncIterator]();
  const queue: Buffer[] = [];
  let has = 0;
  let eof = false;
  const pull = async (): Promise<void> => {
    const r = await it.next();
    if (r.done) eof = true;
    else {
      queue.push(r.value);
      has += r.value.length;
    }
  };
  try {
    while (!eof && has === 0) await pull();
    if (has === 0) throw new Error('the bz2 data is empty');
    const bits = bitIterator(() => queue.shift());
    let blockSize = 0;
    let crc: number | null = null;
    let work: Int32Array | null = null;
    for (;;) {
      const need = blockSize ? 25_000 + 100_000 * blockSize : 4;
      while (!eof && has - bits.bytesRead + 1 < need) await pull();
      if (eof && has <= bits.bytesRead) break;
      if (!blockSize) {
        blockSize = bz2.header(bits);
        if (work?.length !== 100_000 * blockSize) work = new Int32Array(100_000 * blockSize);
        continue;
      }
      const sink = new PageSink(over);
      crc = bz2.decompress(bits, sink.byte, work as Int32Array, 100_000 * blockSize, crc);
      if (crc === null) blockSize = 0;
      for (const page of sink.flush()) yield page;
    }
    if (crc !== null || blockSize !== 0) throw new Error('the bz2 data ends inside a stream');
  } finally {
    await it.return?.();
  }
}

// ---------------------------------------------------------------------------------------------
// LZ4 frame format (https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md); blocks are
// decoded by lz4js. Linked blocks may refer to the 64 KiB before them, so that much is kept.

const LZ4_MAGIC = 0x184d2204;
const LZ4_BLOCK_SIZES: Record<number, number> = { 4: 64 * 1024, 5: 256 * 1024, 6: 1024 * 1024, 7: 4 * 1024 * 1024 };
const LZ4_WINDOW = 64 * 1024;

async function* lz4Frames(src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const r = new ByteReader(src);
  const need = async (n: number, what: string): Promise<Buffer> => {
    const b = await r.read(n);
    if (b) return b;
    if (r.sourceError !== null) throw r.sourceError instanceof Error ? r.sourceError : new Error(errorText(r.sourceError));
    throw new Error(`lz4 data ends inside ${what} (offset ${r.offset})`);
  };
  try {
    let frames = 0;
    while (!(await r.atEnd())) {
      const magic = (await need(4, 'a frame header')).readUInt32LE(0);
      if (magic >= 0x184d2a50 && magic <= 0x184d2a5f) {
        const size = (await need(4, 'a skippable frame')).readUInt32LE(0);
        if ((await r.skip(size)) < size) throw new Error('lz4 skippable frame is truncated');
        continue;
      }
      if (magic !== LZ4_MAGIC) throw new Error(frames === 0 ? 'not an lz4 frame (bad magic number)' : `data after lz4 frame ${frames} is not another frame`);
      frames++;
      const [flg, bd] = await need(2, 'a frame descriptor');
      if (((flg as number) >> 6) !== 1) throw new Error(`unsupported lz4 frame version ${(flg as number) >> 6}`);
      const blockChecksum = ((flg as number) & 0x10) !== 0;
      const contentSize = ((flg as number) & 0x08) !== 0;
      const contentChecksum = ((flg as number) & 0x04) !== 0;
      const dictId = ((flg as number) & 0x01) !== 0;
      const blockMax = LZ4_BLOCK_SIZES[((bd as number) >> 4) & 7];
      if (blockMax === undefined) throw new Error('invalid lz4 block size');
      await need((contentSize ? 8 : 0) + (dictId ? 4 : 0) + 1, 'a frame descriptor');
      let history = new Uint8Array(0);
      for (;;) {
        const word = (await need(4, 'a block header')).readUInt32LE(0);
        if (word === 0) break;
        const stored = (word & 0x80000000) !== 0;
        const size = word & 0x7fffffff;
        if (size > blockMax) throw new Error(`lz4 block of ${size} bytes is larger than the frame's ${blockMax}-byte blocks`);
        const block = await need(size, 'a block');
        if (blockChecksum) await need(4, 'a block checksum');
        let data: Uint8Array;
        if (stored) data = Buffer.from(block);
        else {
          const dst = new Uint8Array(history.length + blockMax);
          dst.set(history);
          const end = lz4.decompressBlock(block, dst, 0, size, history.length);
          if (end > dst.length) throw new Error(`lz4 block decodes to more than the frame's ${blockMax}-byte blocks`);
          data = dst.subarray(history.length, end);
        }
        const joined = new Uint8Array(history.length + data.length);
        joined.set(history);
        joined.set(data, history.length);
        history = joined.subarray(Math.max(0, joined.length - LZ4_WINDOW));
        yield Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      }
      if (contentChecksum) await need(4, 'the content checksum');
    }
  } finally {
    await r.close();
  }
}
