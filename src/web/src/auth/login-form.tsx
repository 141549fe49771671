/** Username and password sign-in; shows the server's message when it refuses. */
import { Alert, Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { login } from '../api/auth';
import { isApiError } from '../api/client';
import type { Me } from '../api/types';

function failureTitle(err: Error): string {
  if (isApiError(err) && err.code === 'RATE_LIMITED') return 'Too many attempts';
  if (isApiError(err) && err.status === 401) return 'Sign-in refused';
  return 'Could not sign in';
}

export function LoginForm({ onSignedIn }: { onSignedIn(me: Me): void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<Error | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSubmitting(true);
    setError(null);
    try {
      onSignedIn(await login(username.trim(), password));
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
      setSubmitting(false);
    }
  };

  return (
    <form onSubmit={(e) => void submit(e)} aria-label="Sign in with username and password">
      <Stack gap="md">
        {error && (
          <Alert color="red" variant="light" title={failureTitle(error)} icon={<IconAlertTriangle aria-hidden />} role="alert">
            {error.message}
          </Alert>
        )}
        <TextInput
          label="Username"
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
          withAsterisk={false}
          autoFocus
          value={username}
          onChange={(e) => setUsername(e.currentTarget.value)}
        />
        <PasswordInput
          label="Password"
          name="password"
          autoComplete="current-password"
          required
          withAsterisk={false}
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
        />
        <Button type="submit" fullWidth loading={submitting} disabled={submitting} mt={4}>
          Sign in
        </Button>
      </Stack>
    </form>
  );
}
