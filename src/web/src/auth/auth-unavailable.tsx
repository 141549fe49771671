/** The server did not say who is signed in (down or unreachable): the error and a retry. */
import { Button, Container } from '@mantine/core';
import { IconRefresh } from '@tabler/icons-react';
import { ErrorAlert } from '../components/error-alert';

export function AuthUnavailable({ error, onRetry }: { error: unknown; onRetry(): void }) {
  return (
    <Container size="sm" py={80}>
      <ErrorAlert
        error={error}
        title="Model Garden is not available right now"
        action={
          <Button variant="light" color="red" leftSection={<IconRefresh size={16} aria-hidden />} onClick={onRetry}>
            Try again
          </Button>
        }
      />
    </Container>
  );
}
