/** The first items of a run: input, expected answers, the model's output, latency and error; misses highlighted. */
import { Table, Text, Tooltip } from '@mantine/core';
import { IconCheck, IconX } from '@tabler/icons-react';
import type { RunSample } from '../api/evaluations';
import { formatMs, matchesExpected } from './format-result';

export function SamplesTable({ samples }: { samples: RunSample[] }) {
  return (
    <Table.ScrollContainer minWidth={760} type="native">
      <Table fz="sm" verticalSpacing={6} withTableBorder tabularNums aria-label="Samples" data-testid="samples">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w="38%">Input</Table.Th>
            <Table.Th>Expected</Table.Th>
            <Table.Th>Output</Table.Th>
            <Table.Th ta="right" style={{ whiteSpace: 'nowrap' }}>
              Latency
            </Table.Th>
            <Table.Th>Error</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {samples.map((s, i) => {
            const match = s.error ? false : matchesExpected(s.output, s.expected);
            const wrong = match === false;
            return (
              <Table.Tr key={s.id ?? i} bg={wrong ? 'var(--mantine-color-red-light)' : undefined} data-correct={match === null ? undefined : String(match)}>
                <Table.Td style={{ overflowWrap: 'anywhere' }}>{s.input}</Table.Td>
                <Table.Td ff="monospace" fz="xs" style={{ overflowWrap: 'anywhere' }}>
                  {s.expected.join(' | ')}
                </Table.Td>
                <Table.Td ff="monospace" fz="xs" fw={500} c={wrong ? 'red.8' : undefined} style={{ overflowWrap: 'anywhere', whiteSpace: 'pre-wrap' }}>
                  {match !== null && (
                    <Tooltip label={match ? 'Matches an expected answer' : 'Matches no expected answer'} withArrow>
                      <span style={{ verticalAlign: 'middle', marginRight: 4 }}>
                        {match ? <IconCheck size={13} color="var(--mantine-color-teal-7)" aria-label="correct" /> : <IconX size={13} aria-label="wrong" />}
                      </span>
                    </Tooltip>
                  )}
                  {s.output ?? ''}
                </Table.Td>
                <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                  {formatMs(s.latencyMs)}
                </Table.Td>
                <Table.Td style={{ overflowWrap: 'anywhere' }}>
                  {s.error && (
                    <Text span size="xs" c="red">
                      {s.error}
                    </Text>
                  )}
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
