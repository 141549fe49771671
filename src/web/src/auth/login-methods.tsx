/**
 * The ways to sign in the server offers (GET /auth/config): single sign-on, the local form, or
 * both with an "or" between them. A server without that endpoint offers the local form only.
 */
import { Alert, Divider, Skeleton, Stack, Text } from '@mantine/core';
import { IconInfoCircle } from '@tabler/icons-react';
import { useAuthConfig } from '../api/queries';
import type { Me } from '../api/types';
import { LoginForm } from './login-form';
import { SsoButton } from './sso-button';

export function LoginMethods({ onSignedIn }: { onSignedIn(me: Me): void }) {
  const config = useAuthConfig();
  if (config.isPending) {
    return (
      <Stack gap="md" aria-busy="true" aria-label="Loading sign-in options">
        <Skeleton height={58} />
        <Skeleton height={58} />
        <Skeleton height={36} />
      </Stack>
    );
  }
  // Unreadable config (server trouble): the local form still works, or says what went wrong.
  const { oidc, local } = config.data ?? { oidc: { enabled: false, label: '' }, local: true };
  if (!oidc.enabled && !local) {
    return (
      <Alert color="yellow" variant="light" icon={<IconInfoCircle aria-hidden />} title="Sign-in is turned off">
        No way to sign in is enabled on this server. Ask your platform team.
      </Alert>
    );
  }
  return (
    <Stack gap="md">
      {oidc.enabled && <SsoButton label={oidc.label || 'single sign-on'} />}
      {oidc.enabled && local && (
        <Divider
          label={
            <Text size="xs" c="dimmed">
              or with a local account
            </Text>
          }
          labelPosition="center"
        />
      )}
      {local && <LoginForm onSignedIn={onSignedIn} />}
    </Stack>
  );
}
