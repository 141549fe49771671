/** Raw OIP mode: an Open Inference Protocol v2 infer body, edited as JSON, and the endpoint's raw answer. */
import { Button, Code, Group, Stack, Text, Textarea } from '@mantine/core';
import { IconSend } from '@tabler/icons-react';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { tryDeployment } from '../api/deployments';
import { ErrorAlert } from '../components/error-alert';
import { formatMetric } from '../lib/format';

const EXAMPLE = JSON.stringify({ inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['I was charged twice'] }] }, null, 2);

/** The body as an object, or why it is not one. */
export function parseOipBody(text: string): { body: Record<string, unknown> } | { error: string } {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return { error: 'The body must be a JSON object, such as {"inputs": [...]}.' };
    return { body: v as Record<string, unknown> };
  } catch (err) {
    return { error: `Not valid JSON: ${(err as Error).message}` };
  }
}

export function OipMode({ id, modelName, disabled }: { id: string; modelName: string; disabled: boolean }) {
  const [text, setText] = useState(EXAMPLE);
  const parsed = parseOipBody(text);
  const send = useMutation({ mutationFn: (oip: Record<string, unknown>) => tryDeployment(id, { mode: 'oip', oip }) });
  return (
    <>
      <Text size="sm" c="dimmed">
        Sent as is to <Code>/v2/models/{modelName}/infer</Code>.
      </Text>
      <Textarea
        label="Request body"
        value={text}
        onChange={(e) => setText(e.currentTarget.value)}
          spellCheck={false}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 'var(--mantine-font-size-xs)' } }}
        autosize
        minRows={8}
        maxRows={24}
        error={'error' in parsed ? parsed.error : undefined}
      />
      <Group>
        <Button leftSection={<IconSend size={16} aria-hidden />} onClick={() => 'body' in parsed && send.mutate(parsed.body)} loading={send.isPending} disabled={disabled || 'error' in parsed}>
          Send
        </Button>
        <Button variant="subtle" onClick={() => setText(EXAMPLE)}>
          Reset to the example
        </Button>
        {send.data && (
          <Text size="sm" c="dimmed">
            {formatMetric(send.data.latencyMs)} ms
          </Text>
        )}
      </Group>
      {send.isError && <ErrorAlert error={send.error} title="The endpoint refused the request" />}
      {send.data && (
        <Stack gap={4}>
          <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
            Response
          </Text>
          <Code block data-testid="oip-response" style={{ maxHeight: 420, overflow: 'auto' }}>
            {JSON.stringify(send.data.raw, null, 2)}
          </Code>
        </Stack>
      )}
    </>
  );
}
