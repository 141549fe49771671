/** Display helpers for the review screens. */
import { capitalize } from '../../lib/format';

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
  return capitalize(action.replace(/[._]/g, ' '));
}

export const VERDICT_COLORS: Record<string, string> = { pass: 'green', clean: 'green', ok: 'green', warn: 'yellow', block: 'red' };
export const SEVERITY_COLORS: Record<string, string> = { info: 'gray', low: 'gray', warn: 'yellow', warning: 'yellow', medium: 'yellow', high: 'red', critical: 'red', block: 'red' };
