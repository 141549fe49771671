/** Shown instead of the app while nobody is signed in: the product name and a card to sign in. */
import { Alert, Card, Center, Stack, Text, Title } from '@mantine/core';
import { IconAlertTriangle, IconClockHour4 } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import type { Me } from '../api/types';
import { Brand } from '../components/brand';
import { router } from '../router';
import { LoginMethods } from './login-methods';
import { signinErrorMessage, SIGNIN_ERROR_PARAM, withoutSigninError } from './signin-error';

export interface LoginPageProps {
  /** The session ended on its own: say so, since the user did not ask to sign out. */
  expired: boolean;
  onSignedIn(me: Me): void;
}

export function LoginPage({ expired, onSignedIn }: LoginPageProps) {
  // Read once: the parameter leaves the address bar (and the router's location) right away.
  const [signinError] = useState(() => signinErrorMessage(window.location.search));
  useEffect(() => {
    if (new URLSearchParams(window.location.search).has(SIGNIN_ERROR_PARAM)) void router.navigate(withoutSigninError(window.location), { replace: true });
  }, []);
  useEffect(() => {
    const before = document.title;
    document.title = 'Sign in · Model Garden';
    return () => {
      document.title = before;
    };
  }, []);

  return (
    <Center component="main" mih="100vh" px="md" py="xl">
      <Stack gap="lg" w="100%" maw={400}>
        <Center>
          <Brand />
        </Center>
        <Card withBorder shadow="sm" radius="md" padding="xl">
          <Stack gap="lg">
            <div>
              <Title order={1} size="h3">
                Sign in
              </Title>
              <Text size="sm" c="dimmed" mt={4}>
                Find, evaluate and deploy the models your organisation has approved.
              </Text>
            </div>
            {signinError && (
              <Alert color="red" variant="light" icon={<IconAlertTriangle aria-hidden />} title="Single sign-on failed" role="alert" data-testid="signin-error">
                {signinError}
              </Alert>
            )}
            {expired && (
              <Alert color="blue" variant="light" icon={<IconClockHour4 aria-hidden />} data-testid="session-ended">
                Your session has ended. Sign in again to carry on where you were.
              </Alert>
            )}
            <LoginMethods onSignedIn={onSignedIn} />
          </Stack>
        </Card>
        <Text size="xs" c="dimmed" ta="center">
          No account yet? Ask your platform team.
        </Text>
      </Stack>
    </Center>
  );
}
