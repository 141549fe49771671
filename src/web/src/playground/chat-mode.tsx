/** Chat mode: a conversation with an OpenAI-style chat endpoint (generative models), streamed or in one call. */
import { Button, Code, Group, NumberInput, Paper, Stack, Switch, Text, Textarea } from '@mantine/core';
import { IconMessagePlus, IconPlayerStop, IconSend } from '@tabler/icons-react';
import { useState } from 'react';
import { ErrorAlert } from '../components/error-alert';
import { formatMs } from '../evaluate/format-result';
import { useChat, type Turn } from './use-chat';

function Timing({ turn }: { turn: Turn }) {
  const t = turn.timing;
  if (!t) return null;
  const parts = [`Total ${formatMs(t.latencyMs)}`];
  if (t.firstTokenMs !== null) parts.push(`time to first token ${formatMs(t.firstTokenMs)}`);
  if (t.chunks !== null) parts.push(t.chunks === 1 ? '1 chunk' : `${t.chunks} chunks`);
  return (
    <Text size="xs" c="dimmed" data-testid="chat-timing">
      {turn.stopped ? 'Stopped after ' : ''}
      {turn.stopped ? formatMs(t.latencyMs) : parts.join(' · ')}
    </Text>
  );
}

function Message({ turn, live = false, last = false }: { turn: Turn; live?: boolean; last?: boolean }) {
  const assistant = turn.role === 'assistant';
  return (
    <Paper
      withBorder
      p="sm"
      radius="md"
      bg={assistant ? 'var(--mantine-color-gray-0)' : undefined}
      ml={assistant ? 0 : 'xl'}
      mr={assistant ? 'xl' : 0}
      data-testid={`chat-${turn.role}`}
      aria-busy={live || undefined}
    >
      <Stack gap={4}>
        <Group justify="space-between" gap="xs">
          <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
            {assistant ? 'Assistant' : 'You'}
          </Text>
          {assistant && !live && <Timing turn={turn} />}
          {live && (
            <Text size="xs" c="dimmed">
              {turn.content ? 'answering…' : 'waiting for the first token…'}
            </Text>
          )}
        </Group>
        <Text size="sm" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }} data-testid={assistant && (live || last) ? 'chat-output' : undefined}>
          {turn.content || (live ? '\u00a0' : '(empty answer)')}
          {live && <span className="chat-caret" aria-hidden>▍</span>}
        </Text>
        {assistant && turn.raw !== undefined && last && (
          <details>
            <summary style={{ cursor: 'pointer', fontSize: 'var(--mantine-font-size-xs)' }}>Raw response</summary>
            <Code block mt="xs" style={{ maxHeight: 320, overflow: 'auto' }}>
              {JSON.stringify(turn.raw, null, 2)}
            </Code>
          </details>
        )}
      </Stack>
    </Paper>
  );
}

export function ChatMode({ id, disabled }: { id: string; disabled: boolean }) {
  const [system, setSystem] = useState('You are a helpful assistant.');
  const [user, setUser] = useState('');
  const [maxTokens, setMaxTokens] = useState<number | string>(64);
  const [temperature, setTemperature] = useState<number | string>(0);
  const [stream, setStream] = useState(true);
  const chat = useChat(id);
  const onSend = () => {
    const question = user;
    setUser('');
    void chat
      .send(question, {
        system,
        stream,
        ...(typeof maxTokens === 'number' ? { maxTokens } : {}),
        ...(typeof temperature === 'number' ? { temperature } : {}),
      })
      .then((ok) => {
        if (!ok) setUser((now) => now || question);
      });
  };
  const started = chat.turns.length > 0 || chat.busy;
  return (
    <>
      <Text size="sm" c="dimmed">
        For generative models. Each answer is sent back with the next message; a classifier’s endpoint answers chat requests with an error, shown below.
      </Text>
      <Textarea
        label="System message"
        value={system}
        onChange={(e) => setSystem(e.currentTarget.value)}
        autosize
        minRows={1}
        maxRows={6}
        description={started ? 'Sent with every message of this conversation.' : undefined}
      />
      {started && (
        <Stack gap="xs" aria-label="Conversation" role="log" data-testid="conversation">
          {chat.turns.map((t, i) => (
            <Message key={i} turn={t} last={i === chat.turns.length - 1} />
          ))}
          {chat.live !== null && <Message turn={{ role: 'assistant', content: chat.live }} live />}
        </Stack>
      )}
      {chat.error !== null && <ErrorAlert error={chat.error} title="The endpoint refused the request" />}
      <Textarea
        label={chat.turns.length > 0 ? 'Your next message' : 'User message'}
        value={user}
        onChange={(e) => setUser(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !disabled && !chat.busy && user.trim() !== '') onSend();
        }}
        autosize
        minRows={2}
        maxRows={10}
        placeholder="Ask something… (Ctrl+Enter sends)"
      />
      <Group align="flex-end" justify="space-between" wrap="wrap" gap="sm">
        <Group align="flex-end" wrap="wrap" gap="sm">
          <NumberInput label="Max tokens" value={maxTokens} onChange={setMaxTokens} min={1} max={2048} w={120} />
          <NumberInput label="Temperature" value={temperature} onChange={setTemperature} min={0} max={2} step={0.1} decimalScale={2} w={120} />
          <Switch
            label="Stream"
            checked={stream}
            onChange={(e) => setStream(e.currentTarget.checked)}
            disabled={chat.busy}
            mb={8}
          />
        </Group>
        <Group gap="sm">
          <Button variant="default" leftSection={<IconMessagePlus size={16} aria-hidden />} onClick={chat.reset} disabled={!started && chat.error === null}>
            New conversation
          </Button>
          {chat.busy && stream ? (
            <Button color="red" variant="light" leftSection={<IconPlayerStop size={16} aria-hidden />} onClick={chat.stop}>
              Stop answer
            </Button>
          ) : (
            <Button leftSection={<IconSend size={16} aria-hidden />} onClick={onSend} loading={chat.busy} disabled={disabled || user.trim() === ''}>
              Send
            </Button>
          )}
        </Group>
      </Group>
    </>
  );
}
