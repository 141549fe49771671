/** The parts of the decompression packages the scanner uses (they ship no type declarations). */

declare module 'lzma-native' {
  import type { Transform } from 'node:stream';
  interface LzmaStreamOptions {
    /** Most memory the decoder may use, in bytes (past it the stream fails with a memory-limit error). */
    memlimit?: number;
    /** false: decode in liblzma's worker thread. */
    synchronous?: boolean;
  }
  const lzma: {
    createStream(coder: 'streamDecoder' | 'aloneDecoder' | 'autoDecoder', options?: LzmaStreamOptions): Transform;
  };
  export default lzma;
}

declare module 'unbzip2-stream/lib/bit_iterator.js' {
  /** Reads n bits (null: aligns to the next byte) from the buffers nextBuffer returns in turn. */
  interface BitReader {
    (n: number | null): number;
    /** Bytes started so far. */
    bytesRead: number;
  }
  export default function bitIterator(nextBuffer: () => Buffer | undefined): BitReader;
}

declare module 'unbzip2-stream/lib/bzip2.js' {
  import type bitIterator from 'unbzip2-stream/lib/bit_iterator.js';
  type BitReader = ReturnType<typeof bitIterator>;
  const bz2: {
    /** Reads a stream header ('BZh' + level); returns the block size in 100 kB units. Throws on bad data. */
    header(bits: BitReader): number;
    /** Decodes one block into `out`, byte by byte; returns the running CRC, or null at the end of a stream. Throws on bad data. */
    decompress(bits: BitReader, out: (byte: number) => void, buf: Int32Array, bufsize: number, streamCRC: number | null): number | null;
  };
  export default bz2;
}

declare module 'lz4js' {
  const lz4: {
    /** Decodes one LZ4 block from src[sIndex, sIndex + sLength) into dst from dIndex; returns the new end of dst. */
    decompressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, dIndex: number): number;
  };
  export default lz4;
}
