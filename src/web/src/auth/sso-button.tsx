/** Single sign-on: a plain link, since the identity provider's pages are a full-page redirect away. */
import { Button } from '@mantine/core';
import { IconLogin2 } from '@tabler/icons-react';
import { OIDC_START_URL } from '../api/auth';

export function SsoButton({ label }: { label: string }) {
  return (
    <Button component="a" href={OIDC_START_URL} fullWidth variant="default" leftSection={<IconLogin2 size={18} aria-hidden />}>
      Sign in with {label}
    </Button>
  );
}
