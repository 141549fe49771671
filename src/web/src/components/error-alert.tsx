/** Shows an API error to the user: the message, the stable error code and the request id. */
import { Alert, Code, Group, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { IconAlertTriangle } from '@tabler/icons-react';
import { isApiError } from '../api/client';

export function ErrorAlert({ error, title = 'Something went wrong', action }: { error: unknown; title?: string; action?: ReactNode }) {
  const code = isApiError(error) ? error.code : 'UNEXPECTED';
  const message = error instanceof Error ? error.message : String(error);
  const requestId = isApiError(error) ? error.requestId : null;
  return (
    <Alert color="red" variant="light" title={title} icon={<IconAlertTriangle aria-hidden />} role="alert">
      <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
        {message}
      </Text>
      <Group gap="xs" mt="xs">
        <Text size="xs" c="dimmed">
          Error code
        </Text>
        <Code>{code}</Code>
        {requestId && (
          <>
            <Text size="xs" c="dimmed">
              Request id
            </Text>
            <Code>{requestId}</Code>
          </>
        )}
      </Group>
      {action && <Group mt="sm">{action}</Group>}
    </Alert>
  );
}
