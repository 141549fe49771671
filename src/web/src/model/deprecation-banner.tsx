/** A red banner on deprecated (and retired) versions: the replacement, the deadline and the reason. */
import { Alert, Text } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import type { VersionView } from '../api/types';
import { ReplacementLink } from '../components/replacement-link';
import { formatDate } from '../lib/format';

export function DeprecationBanner({ slug, version }: { slug: string; version: VersionView }) {
  if (version.lifecycle !== 'deprecated' && version.lifecycle !== 'retired') return null;
  const d = version.deprecation;
  const retired = version.lifecycle === 'retired';
  return (
    <Alert
      color="red"
      variant="light"
      icon={<IconAlertTriangle aria-hidden />}
      title={`${slug}@${version.version} is ${retired ? 'retired' : 'deprecated'}`}
      role="alert"
      data-testid="deprecation-banner"
    >
      <Text size="sm" className="break-anywhere">
        {d?.replacement ? (
          <>
            Use <ReplacementLink replacement={d.replacement} c="red.9" /> instead
          </>
        ) : (
          'No replacement has been named'
        )}
        {d?.deadline ? (
          <>
            {' '}
            — migrate before <strong>{formatDate(d.deadline)}</strong>.
          </>
        ) : (
          '.'
        )}
        {retired ? ' New deployments are refused.' : ' New deployments of this version are refused.'}
      </Text>
      {d?.reason && (
        <Text size="sm" mt={4} className="break-anywhere">
          <Text span fw={600} size="sm">
            Reason:{' '}
          </Text>
          {d.reason}
        </Text>
      )}
    </Alert>
  );
}
