/**
 * SentencePiece tokenizer models (`tokenizer.model`, `spiece.model`): a protobuf of pieces and
 * scores, read as data by the tokenizer. The whole message must parse; anything else blocks.
 */
import { readFile } from 'node:fs/promises';
import type { ScanTarget } from '../context.js';
import { protobufFields } from '../detect.js';
import { finding, type Finding } from '../types.js';

export async function scanSentencePiece(t: ScanTarget): Promise<Finding[]> {
  if (t.size > t.limits.maxHeaderBytes) {
    return [finding('SCAN_LIMIT', 'high', `a ${t.size}-byte tokenizer model is over the ${t.limits.maxHeaderBytes}-byte limit for metadata files`, null)];
  }
  const fields = protobufFields(await readFile(t.abs), true);
  if (!fields?.has(1)) return [finding('SENTENCEPIECE_PARSE', 'high', 'the file is named like a SentencePiece model but is not a well-formed one', 0)];
  return [];
}
