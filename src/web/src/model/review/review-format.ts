/** Display helpers for the review screens. */
const ACTION_LABELS: Record<string, string> = {
  'version.create': 'Draft created',
  'version.update': 'Draft edited',
  'version.files_commit': 'Files committed',
  'submission.scanned': 'Security scan finished',
  'submission.auto_reject': 'Rejected by the security scan',
  'submission.submit': 'Submitted for review',
  'submission.acknowledge': 'Acknowledged the scan warnings',
  'submission.sign_off': 'Signed off',
  'submission.approve': 'Approved',
  'submission.reject': 'Rejected',
  'version.promote': 'Promoted to production',
};

/** "submission.sign_off" → "Signed off"; unknown actions read as "Version deprecate". */
export function actionLabel(action: string): string {
  const known = ACTION_LABELS[action];
  if (known) return known;
  const words = action.replace(/[._]/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** "29 Nov 2026, 14:05 UTC": reviews happen within a day, so the time matters. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' })}, ${d.toISOString().slice(11, 16)} UTC`;
}

export const VERDICT_COLORS: Record<string, string> = { pass: 'green', clean: 'green', ok: 'green', warn: 'yellow', block: 'red' };
export const SEVERITY_COLORS: Record<string, string> = { info: 'gray', low: 'gray', warn: 'yellow', warning: 'yellow', medium: 'yellow', high: 'red', critical: 'red', block: 'red' };
