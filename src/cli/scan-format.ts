/** How `garden scan` prints a report: JSON in the documented shape, or a table for people. */
import type { ScanReport } from '../scanner/types.js';

export function toJsonReport(r: ScanReport) {
  return {
    verdict: r.verdict,
    files: r.files.map((f) => ({
      path: f.path,
      format: f.format,
      verdict: f.verdict,
      findings: f.findings.map((x) => ({ code: x.code, severity: x.severity, message: x.message, offset: x.offset, ...(x.member ? { member: x.member } : {}) })),
    })),
  };
}

const MARK = { block: 'BLOCK', warn: 'WARN ', pass: 'pass ' } as const;

export function renderScanReport(r: ScanReport): string {
  const lines: string[] = [];
  for (const f of r.files) {
    lines.push(`${MARK[f.verdict]}  ${f.path}  (${f.format})`);
    for (const x of f.findings) {
      const where = [x.member ? `in ${x.member}` : '', x.offset !== null ? `at offset ${x.offset}` : ''].filter(Boolean).join(' ');
      lines.push(`         ${x.severity.toUpperCase()} ${x.code}: ${x.message}${where ? ` (${where})` : ''}`);
    }
  }
  const count = (v: string) => r.files.filter((f) => f.verdict === v).length;
  lines.push('', `verdict: ${r.verdict.toUpperCase()} · ${r.files.length} file${r.files.length === 1 ? "" : "s"}: ${count('block')} blocked, ${count('warn')} to review, ${count('pass')} passed`);
  return lines.join('\n');
}
