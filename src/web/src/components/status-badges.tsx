/** Badges for maturity, lifecycle and compliance, coloured the same everywhere. */
import { Badge, Tooltip, type BadgeProps } from '@mantine/core';
import type { ComplianceStatus, Lifecycle, Maturity } from '../api/types';
import { capitalize } from '../lib/format';

const MATURITY: Record<Maturity, { color: string; hint: string }> = {
  experimental: { color: 'orange', hint: 'Experimental: evaluation endpoints only' },
  validated: { color: 'blue', hint: 'Validated: passed a standard suite, the security scan and both sign-offs' },
  production: { color: 'green', hint: 'Production: validated, with an owner-committed SLA and a production deployment' },
};

const LIFECYCLE: Record<Lifecycle, { color: string; label: string }> = {
  draft: { color: 'gray', label: 'Draft' },
  submitted: { color: 'cyan', label: 'Submitted' },
  approved: { color: 'teal', label: 'Approved' },
  deprecated: { color: 'red', label: 'Deprecated' },
  retired: { color: 'dark', label: 'Retired' },
};

const COMPLIANCE: Record<ComplianceStatus, { color: string; label: string }> = {
  pending: { color: 'yellow', label: 'Compliance pending' },
  approved: { color: 'teal', label: 'Compliance approved' },
  rejected: { color: 'red', label: 'Compliance rejected' },
  expired: { color: 'orange', label: 'Compliance expired' },
};

type Extra = Omit<BadgeProps, 'color' | 'children'>;

export function MaturityBadge({ maturity, ...props }: { maturity: Maturity } & Extra) {
  const m = MATURITY[maturity];
  return (
    <Tooltip label={m.hint} withArrow openDelay={300}>
      <Badge color={m.color} variant="light" {...props}>
        {capitalize(maturity)}
      </Badge>
    </Tooltip>
  );
}

export function LifecycleBadge({ lifecycle, ...props }: { lifecycle: Lifecycle } & Extra) {
  const l = LIFECYCLE[lifecycle];
  const strong = lifecycle === 'deprecated' || lifecycle === 'retired';
  return (
    <Badge color={l.color} variant={strong ? 'filled' : 'light'} {...props}>
      {l.label}
    </Badge>
  );
}

export function ComplianceBadge({ status, ...props }: { status: ComplianceStatus } & Extra) {
  const c = COMPLIANCE[status];
  return (
    <Badge color={c.color} variant="outline" {...props}>
      {c.label}
    </Badge>
  );
}

export const maturityColor = (m: Maturity): string => MATURITY[m].color;
