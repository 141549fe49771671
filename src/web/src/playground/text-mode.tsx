/** Text mode: one request per input line; a table of input, output, latency and the endpoint's error. */
import { Button, Group, Table, Text, Textarea } from '@mantine/core';
import { IconSend } from '@tabler/icons-react';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { tryDeployment } from '../api/deployments';
import { ErrorAlert } from '../components/error-alert';
import { formatMetric } from '../lib/format';
import { linesOf } from '../lib/lines';

/** The server takes at most 32 inputs in one call. */
const MAX_INPUTS = 32;

export function TextMode({ id, disabled }: { id: string; disabled: boolean }) {
  const [text, setText] = useState('');
  const inputs = linesOf(text);
  const send = useMutation({ mutationFn: (lines: string[]) => tryDeployment(id, { mode: 'text', inputs: lines }) });
  const tooMany = inputs.length > MAX_INPUTS;
  const sent = send.variables ?? [];
  return (
    <>
      <Textarea
        label="Inputs"
        description={`One request per line (up to ${MAX_INPUTS}).`}
        placeholder={'I was charged twice for my subscription\nThe app crashes when I open settings'}
        value={text}
        onChange={(e) => setText(e.currentTarget.value)}
        autosize
        minRows={4}
        maxRows={14}
        error={tooMany ? `At most ${MAX_INPUTS} lines; remove ${inputs.length - MAX_INPUTS}.` : undefined}
        styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
      />
      <Group>
        <Button leftSection={<IconSend size={16} aria-hidden />} onClick={() => send.mutate(inputs)} loading={send.isPending} disabled={disabled || inputs.length === 0 || tooMany}>
          Send
        </Button>
        {send.data && (
          <Text size="sm" c="dimmed" data-testid="total-latency">
            {send.data.outputs.length === 1 ? '1 request' : `${send.data.outputs.length} requests`} in {formatMetric(send.data.latencyMs)} ms
          </Text>
        )}
      </Group>
      {send.isError && <ErrorAlert error={send.error} title="The endpoint refused the request" />}
      {send.data && (
        <Table.ScrollContainer minWidth={700}>
          <Table fz="sm" verticalSpacing={6} withTableBorder aria-label="Results" data-testid="results">
            <Table.Thead>
              <Table.Tr>
                <Table.Th w="40%">Input</Table.Th>
                <Table.Th>Output</Table.Th>
                <Table.Th ta="right" style={{ whiteSpace: 'nowrap' }}>
                  Latency (ms)
                </Table.Th>
                <Table.Th>Error</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {send.data.outputs.map((out, i) => (
                <Table.Tr key={i}>
                  <Table.Td style={{ overflowWrap: 'anywhere' }}>{sent[i]}</Table.Td>
                  <Table.Td ff="monospace" fw={500} style={{ overflowWrap: 'anywhere', whiteSpace: 'pre-wrap' }} data-testid="output">
                    {out ?? ''}
                  </Table.Td>
                  <Table.Td ta="right">{send.data.latencies[i] !== undefined ? formatMetric(send.data.latencies[i]) : ''}</Table.Td>
                  <Table.Td c="red" fz="xs" style={{ overflowWrap: 'anywhere' }}>
                    {send.data.errors[i] ?? ''}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </>
  );
}
