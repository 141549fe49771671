/** One file's line in the upload progress: its path, a small bar, and what is happening to it. */
import { Badge, Group, Progress, Text } from '@mantine/core';
import { formatBytes } from '../../lib/format';
import type { FileProgress } from './upload-run';

const percent = (part: number, whole: number) => (whole > 0 ? Math.min(100, (part / whole) * 100) : 100);

function describe(f: FileProgress): { text: string; value: number; color: string } {
  switch (f.status) {
    case 'waiting':
      return { text: 'waiting', value: 0, color: 'gray' };
    case 'hashing':
      return { text: `checking (sha256) ${Math.floor(percent(f.hashed, f.size))} %`, value: percent(f.hashed, f.size), color: 'blue' };
    case 'hashed':
      return { text: 'checked, waiting to send', value: 0, color: 'gray' };
    case 'sending':
      return {
        text: `sent ${formatBytes(f.offset)} of ${formatBytes(f.size)}${f.resumedFrom > 0 ? ` (resumed at ${formatBytes(f.resumedFrom)})` : ''}`,
        value: percent(f.offset, f.size),
        color: 'green',
      };
    case 'sent':
      return {
        text: f.size > 0 && f.resumedFrom >= f.size ? 'sent earlier' : f.resumedFrom > 0 ? `sent (resumed at ${formatBytes(f.resumedFrom)})` : 'sent',
        value: 100,
        color: 'green',
      };
    case 'stored':
      return { text: 'already stored — not sent', value: 100, color: 'teal' };
    case 'stopped':
      return {
        text: f.offset > 0 ? `stopped at ${formatBytes(f.offset)} of ${formatBytes(f.size)}` : 'stopped',
        value: percent(f.offset, f.size),
        color: 'yellow',
      };
    case 'failed':
      return { text: f.error ?? 'failed', value: percent(f.offset, f.size), color: 'red' };
  }
}

export function FileStatusRow({ file }: { file: FileProgress }) {
  const d = describe(file);
  return (
    <div data-upload-file={file.path} data-status={file.status}>
      <Group justify="space-between" gap="xs" wrap="nowrap">
        <Text size="sm" ff="monospace" className="break-anywhere" style={{ flex: 1 }}>
          {file.path}
          <Text span size="xs" c="dimmed" ff="inherit" ml={6}>
            {formatBytes(file.size)}
          </Text>
        </Text>
        {file.status === 'stored' ? (
          <Badge size="sm" variant="light" color="teal" style={{ flexShrink: 0 }}>
            {d.text}
          </Badge>
        ) : (
          <Text size="xs" c={file.status === 'failed' ? 'red' : 'dimmed'} ta="right" className="break-anywhere" maw="55%">
            {d.text}
          </Text>
        )}
      </Group>
      <Progress value={d.value} color={d.color} size="xs" mt={4} aria-label={`${file.path}: ${d.text}`} />
    </div>
  );
}
