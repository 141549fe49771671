/**
 * The byte sources the pickle interpreter and validator read from: a window over an async stream
 * of chunks (callers keep reading raw bytes after a pickle from the same reader: legacy PyTorch
 * storages, joblib arrays), and chunk sources for files and Readables.
 */
import { open } from 'node:fs/promises';

const EMPTY = Buffer.alloc(0);

/**
 * Reads a file range as a stream of chunks from three reused buffers: no garbage per chunk, so
 * memory stays flat however large the file. The next chunk is read while the consumer works on
 * the current one. A yielded chunk stays valid until the one after next is yielded (ByteReader
 * only keeps the newest chunk and copies what it keeps across chunks).
 */
export async function* fileChunks(path: string, start = 0, end = Infinity, chunkSize = 1 << 20): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r');
  let ahead: Promise<[Buffer, boolean]> | null = null;
  try {
    const pool = [Buffer.allocUnsafe(chunkSize), Buffer.allocUnsafe(chunkSize), Buffer.allocUnsafe(chunkSize)];
    let turn = 0;
    let pos = start;
    // Resolves to the chunk and whether it was a full read (a short one is the end of the file).
    const readNext = (): Promise<[Buffer, boolean]> | null => {
      if (pos >= end) return null;
      const b = pool[turn++ % pool.length] as Buffer;
      const want = Math.min(chunkSize, end - pos);
      const at = pos;
      pos += want;
      return fh.read(b, 0, want, at).then(({ bytesRead }) => [b.subarray(0, bytesRead), bytesRead === want]);
    };
    ahead = readNext();
    while (ahead) {
      const [chunk, full]: [Buffer, boolean] = await ahead;
      ahead = full ? readNext() : null;
      if (chunk.length === 0) return;
      yield chunk;
    }
  } finally {
    // A read still in flight must finish before the file is closed.
    if (ahead) await ahead.catch(() => undefined);
    await fh.close();
  }
}

export class ByteReader {
  buf: Buffer = EMPTY;
  pos = 0;
  /** Absolute offset of buf[0]. */
  base: number;
  eof = false;
  private readonly it: AsyncIterator<unknown>;
  /** The part of the last chunk not yet in `buf` (after a bridge, see fill). */
  private pending: Buffer | null = null;
  /**
   * The error the source failed with (a damaged zip member, corrupt compressed data…). The
   * reader then behaves as if the stream ended, so what was read so far is still analysed; the
   * caller reports this error too.
   */
  sourceError: unknown = null;

  /** `source`: a Readable, an async generator of chunks, or a plain array of Buffers. */
  constructor(source: AsyncIterable<unknown> | Iterable<unknown>, baseOffset = 0) {
    if (Symbol.asyncIterator in source) this.it = source[Symbol.asyncIterator]();
    else {
      const sync = source[Symbol.iterator]();
      this.it = { next: async () => sync.next(), return: async () => ({ done: true, value: undefined }) };
    }
    this.base = baseOffset;
  }

  /** Absolute offset of the next unread byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  get available(): number {
    return this.buf.length - this.pos;
  }

  private async next(): Promise<Buffer | null> {
    if (this.pending) {
      const p = this.pending;
      this.pending = null;
      return p;
    }
    for (;;) {
      let r: IteratorResult<unknown>;
      try {
        r = await this.it.next();
      } catch (e) {
        this.sourceError = e;
        return null;
      }
      if (r.done) return null;
      const v = r.value;
      const chunk = Buffer.isBuffer(v) ? v : v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : typeof v === 'string' ? Buffer.from(v, 'latin1') : null;
      if (!chunk) throw new TypeError('ByteReader: the source yielded something that is not bytes');
      if (chunk.length > 0) return chunk;
    }
  }

  private newlines(lines: number): boolean {
    let from = this.pos;
    for (let i = 0; i < lines; i++) {
      const nl = this.buf.indexOf(10, from);
      if (nl < 0) return false;
      from = nl + 1;
    }
    return true;
  }

  /**
   * Ensures at least `min` unread bytes (and, with `lines`, that many newlines) are buffered;
   * false when the stream ends first. An opcode that straddles two chunks gets a small "bridge"
   * buffer holding just the bytes it needs, so the chunks themselves are never copied.
   */
  async fill(min: number, lines = 0): Promise<boolean> {
    for (;;) {
      const avail = this.buf.length - this.pos;
      if (avail >= min && (lines === 0 || this.newlines(lines))) return true;
      if (this.eof) return false;
      const chunk = await this.next();
      if (!chunk) {
        this.eof = true;
        return false;
      }
      if (avail === 0) {
        this.base += this.buf.length;
        this.buf = chunk;
        this.pos = 0;
        continue;
      }
      let take = Math.max(1, min - avail);
      if (lines > 0) {
        const nl = chunk.indexOf(10);
        take = Math.max(take, nl >= 0 ? nl + 1 : chunk.length);
      }
      if (take >= chunk.length) take = chunk.length;
      else this.pending = chunk.subarray(take);
      this.base += this.pos;
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk.subarray(0, take)], avail + take);
      this.pos = 0;
    }
  }

  /** Skips `n` bytes without keeping them; returns how many were skipped (fewer at the end). */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      const avail = this.buf.length - this.pos;
      if (avail >= left) {
        this.pos += left;
        return n;
      }
      left -= avail;
      this.pos = this.buf.length;
      if (!(await this.fill(1))) return n - left;
    }
    return n;
  }

  /** Reads exactly `n` bytes (n small), or null at the end of the stream. */
  async read(n: number): Promise<Buffer | null> {
    if (!(await this.fill(n))) return null;
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }

  /** Stops the underlying iterator (closes a file stream early). */
  async close(): Promise<void> {
    if (this.eof && this.sourceError === null) return;
    try {
      await this.it.return?.();
    } catch {
      // The source is being abandoned; its close error changes nothing.
    }
  }
}

/**
 * The chunks of a Readable, in order, and then its error if it fails. Unlike the Readable's own
 * async iterator, data emitted before an error (a zip member whose CRC check fails at the end) is
 * not dropped, so it is still analysed.
 */
export async function* readableChunks(s: NodeJS.ReadableStream & { destroy(): void }): AsyncGenerator<Buffer> {
  const queue: Buffer[] = [];
  let done = false;
  let error: unknown = null;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  s.on('data', (c: Buffer) => {
    queue.push(c);
    if (queue.length > 8) s.pause();
    notify();
  });
  s.on('end', () => {
    done = true;
    notify();
  });
  s.on('close', () => {
    done = true;
    notify();
  });
  s.on('error', (e: unknown) => {
    error ??= e;
    done = true;
    notify();
  });
  try {
    for (;;) {
      const c = queue.shift();
      if (c) {
        if (queue.length < 2 && s.isPaused()) s.resume();
        yield c;
        continue;
      }
      if (done) {
        if (error !== null) throw error instanceof Error ? error : new Error(`stream failed: ${JSON.stringify(error)}`);
        return;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    s.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Memo. The pickler memoizes nearly every container and string, so a 200 MB pickle of small
// objects can hold tens of millions of entries. Entries keep their full descriptor up to a
// memory budget; beyond it an entry is one byte in a paged array: its kind (a container, a
// number…), or "result of calling global #n", or a recent string (kept in a ring, keyed by
// index). Module and attribute names used by globals always stay exact, so STACK_GLOBAL built
// from memoized strings still resolves; a string compacted out of the memo cannot be resolved
// and is reported as such (fail closed).
