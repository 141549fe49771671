/**
 * What a format scanner is given, and what it returns. One scanner per format family; the
 * orchestrator (scan.ts) detects each file's format from its content and calls the right one.
 */
import type { Readable } from 'node:stream';
import type { FileFormat, Finding, ScanLimits } from './types.js';

export interface ScanTarget {
  /** Display path: relative to the scanned folder (forward slashes), or the file's name. */
  path: string;
  /** Absolute path on disk (random access allowed). */
  abs: string;
  size: number;
  /** The first bytes of the file (up to 64 KiB; fewer for a small file). */
  head: Buffer;
  format: FileFormat;
  /** The scanned model folder, for checks that need it (ONNX external data must stay inside); null for a lone file. */
  root: string | null;
  limits: ScanLimits;
  /** How deep inside archives this target is (0: a file on disk). */
  depth: number;
  /**
   * Scans content found inside this file (an archive member, say) as a file of its own: the
   * content is spooled to a temporary file (within the limits), its format detected, and its
   * findings returned with `member` set to `name`. Depth is checked against maxArchiveDepth.
   */
  scanNested(name: string, content: Readable, size: number): Promise<Finding[]>;
  /**
   * Declares another file of the folder (absolute, resolved) to be raw data this file reads, such
   * as an ONNX model's external data: the orchestrator then treats it as data, not as unknown.
   */
  claimData?(abs: string): void;
}

/** A scanner for one format family. It throws only for bugs: problems in the file are findings. */
export type FormatScanner = (target: ScanTarget) => Promise<Finding[]>;
