/**
 * Evaluation datasets: JSON lines, one item per line, e.g.
 * `{"id": "q1", "input": "Capital of France?", "expected": ["Paris", "paris, France"]}`.
 */
import { AppError } from '../core/errors.js';

/** One dataset item; `expected` always holds at least one acceptable reference. */
export interface DatasetItem {
  id?: string;
  input: string;
  expected: string[];
}

export interface ParseDatasetOptions {
  /** Refuse datasets with more items than this (default 10,000): a run sends every item to a live endpoint. */
  maxItems?: number;
}

export const DEFAULT_MAX_ITEMS = 10_000;
/** How many bad lines details.errors lists; the rest are only counted, so one broken file does not flood the UI. */
const MAX_LISTED_ERRORS = 10;

/**
 * Parses a JSON-lines dataset. Blank lines are skipped; line numbers in errors are 1-based and
 * count blank lines, so they match what an editor shows. Fields other than id, input and expected
 * are ignored because datasets exported from other tools often carry extra columns.
 * Throws AppError INVALID_INPUT for bad lines (details.errors lists up to 10, details.errorCount
 * counts all), duplicate ids, an empty dataset, or more than maxItems items.
 */
export function parseDataset(text: string, opts: ParseDatasetOptions = {}): DatasetItem[] {
  const maxItems = opts.maxItems ?? DEFAULT_MAX_ITEMS;
  if (!Number.isInteger(maxItems) || maxItems < 1) {
    throw new AppError('INVALID_INPUT', `maxItems must be a positive integer, got ${maxItems}`);
  }
  // Editors on Windows save a byte-order mark that JSON.parse rejects on line 1.
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const items: DatasetItem[] = [];
  const errors: string[] = [];
  let errorCount = 0;
  const idLines = new Map<string, number>();

  for (const [index, raw] of lines.entries()) {
    if (raw.trim() === '') continue;
    const lineNo = index + 1;
    const parsed = parseLine(raw);
    if (typeof parsed === 'string') {
      errorCount++;
      if (errors.length < MAX_LISTED_ERRORS) errors.push(`line ${lineNo}: ${parsed}`);
      continue;
    }
    if (parsed.id !== undefined) {
      const firstLine = idLines.get(parsed.id);
      if (firstLine !== undefined) {
        errorCount++;
        if (errors.length < MAX_LISTED_ERRORS) {
          errors.push(`line ${lineNo}: duplicate id ${JSON.stringify(parsed.id)} (first on line ${firstLine})`);
        }
        continue;
      }
      idLines.set(parsed.id, lineNo);
    }
    if (items.length === maxItems) {
      throw new AppError('INVALID_INPUT', `dataset has more than ${maxItems} items (line ${lineNo})`, { maxItems });
    }
    items.push(parsed);
  }

  if (errorCount > 0) {
    const more = errorCount > 1 ? ` (and ${errorCount - 1} more bad line${errorCount > 2 ? 's' : ''})` : '';
    throw new AppError('INVALID_INPUT', `${errors[0]}${more}`, { errors, errorCount });
  }
  if (items.length === 0) throw new AppError('INVALID_INPUT', 'dataset is empty: it has no items');
  return items;
}

/** Returns the item, or a message saying what is wrong with the line. */
function parseLine(raw: string): DatasetItem | string {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    return `not valid JSON (${err instanceof Error ? err.message : String(err)})`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'expected a JSON object with "input" and "expected"';
  }
  const record = value as Record<string, unknown>;
  const { input, expected, id } = record;
  if (typeof input !== 'string') return `"input" must be a string, got ${describeType(input)}`;
  if (id !== undefined && typeof id !== 'string') return `"id" must be a string when present, got ${describeType(id)}`;

  let references: string[];
  if (typeof expected === 'string') {
    references = [expected];
  } else if (Array.isArray(expected)) {
    if (expected.length === 0) return '"expected" must list at least one reference';
    const bad = expected.findIndex((r) => typeof r !== 'string');
    if (bad !== -1) return `"expected"[${bad}] must be a string, got ${describeType(expected[bad])}`;
    references = expected as string[];
  } else {
    return `"expected" must be a string or an array of strings, got ${describeType(expected)}`;
  }
  return id === undefined ? { input, expected: references } : { id, input, expected: references };
}

function describeType(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
