/** Chat mode: a system and a user message to an OpenAI-style chat endpoint (generative models). */
import { Button, Card, Code, Group, NumberInput, Stack, Text, Textarea } from '@mantine/core';
import { IconSend } from '@tabler/icons-react';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { tryDeployment, type TryInput } from '../api/deployments';
import { ErrorAlert } from '../components/error-alert';
import { formatMetric } from '../lib/format';

export function ChatMode({ id, disabled }: { id: string; disabled: boolean }) {
  const [system, setSystem] = useState('You are a helpful assistant.');
  const [user, setUser] = useState('');
  const [maxTokens, setMaxTokens] = useState<number | string>(64);
  const [temperature, setTemperature] = useState<number | string>(0);
  const send = useMutation({ mutationFn: (input: TryInput) => tryDeployment(id, input) });
  const onSend = () => {
    const messages: NonNullable<TryInput['messages']> = [];
    if (system.trim()) messages.push({ role: 'system', content: system });
    messages.push({ role: 'user', content: user });
    send.mutate({
      mode: 'chat',
      messages,
      ...(typeof maxTokens === 'number' ? { maxTokens } : {}),
      ...(typeof temperature === 'number' ? { temperature } : {}),
    });
  };
  return (
    <>
      <Text size="sm" c="dimmed">
        For generative models. A classifier’s endpoint answers chat requests with an error, shown below.
      </Text>
      <Textarea label="System message" value={system} onChange={(e) => setSystem(e.currentTarget.value)} autosize minRows={2} maxRows={6} />
      <Textarea label="User message" value={user} onChange={(e) => setUser(e.currentTarget.value)} autosize minRows={3} maxRows={10} placeholder="Ask something…" />
      <Group align="flex-end">
        <NumberInput label="Max tokens" value={maxTokens} onChange={setMaxTokens} min={1} max={2048} w={140} />
        <NumberInput label="Temperature" value={temperature} onChange={setTemperature} min={0} max={2} step={0.1} decimalScale={2} w={140} />
        <Button leftSection={<IconSend size={16} aria-hidden />} onClick={onSend} loading={send.isPending} disabled={disabled || user.trim() === ''}>
          Send
        </Button>
      </Group>
      {send.isError && <ErrorAlert error={send.error} title="The endpoint refused the request" />}
      {send.data && (
        <Card withBorder padding="md" bg="var(--mantine-color-gray-0)">
          <Stack gap="xs">
            <Group justify="space-between">
              <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
                Assistant
              </Text>
              <Text size="xs" c="dimmed">
                {formatMetric(send.data.latencyMs)} ms
              </Text>
            </Group>
            <Text size="sm" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }} data-testid="chat-output">
              {send.data.outputs[0] || '(empty answer)'}
            </Text>
            <details>
              <summary style={{ cursor: 'pointer', fontSize: 'var(--mantine-font-size-xs)' }}>Raw response</summary>
              <Code block mt="xs" style={{ maxHeight: 320, overflow: 'auto' }}>
                {JSON.stringify(send.data.raw, null, 2)}
              </Code>
            </details>
          </Stack>
        </Card>
      )}
    </>
  );
}
