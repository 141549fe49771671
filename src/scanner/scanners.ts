/** Which scanner handles which format. Formats with no entry and no rule in scan.ts are blocked. */
import type { FormatScanner } from './context.js';
import type { FileFormat } from './types.js';

export const SCANNERS: Partial<Record<FileFormat, FormatScanner>> = {};
