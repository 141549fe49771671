/** Overall progress of an upload (bytes, rate, time left) and every file's own line. */
import { Group, Progress, ScrollArea, Stack, Text } from '@mantine/core';
import { formatBytes, formatDuration, formatRate } from '../../lib/format';
import { FileStatusRow } from './file-status';
import type { UploadRun } from './upload-run';

const MAX_ROWS = 200;

function headline(run: UploadRun): string {
  const n = run.files.length;
  const files = `${n} ${n === 1 ? 'file' : 'files'}`;
  switch (run.phase) {
    case 'hashing':
      return `Checking ${files} (sha256)…`;
    case 'sending':
      return `Sending ${files}…`;
    case 'committing':
      return 'Adding the files to the version…';
    case 'committed':
      return `${files} added to the version`;
    case 'stopped':
    case 'failed': {
      const held = run.files.filter((f) => f.status === 'sent' || f.status === 'stored').length;
      return `${run.phase === 'stopped' ? 'Stopped' : 'Failed'}: ${held} of ${files} on the server`;
    }
  }
}

export function UploadProgress({ run }: { run: UploadRun }) {
  const measuring = run.phase === 'hashing' || run.phase === 'sending';
  const value = run.totalBytes > 0 ? (run.doneBytes / run.totalBytes) * 100 : 100;
  const shown = run.phase === 'committing' || run.phase === 'committed' ? 100 : value;
  const details = [
    `${formatBytes(run.doneBytes)} of ${formatBytes(run.totalBytes)}`,
    run.rate ? formatRate(run.rate) : null,
    run.secondsLeft !== null ? `about ${formatDuration(run.secondsLeft)} left` : null,
  ].filter(Boolean);
  return (
    <Stack gap="sm">
      <div>
        <Group justify="space-between" gap="xs" mb={6}>
          {/* Phase changes are announced; byte counts are not (they change ten times a second). */}
          <Text fw={600} aria-live="polite" data-testid="upload-phase">
            {headline(run)}
          </Text>
          {measuring && (
            <Text size="sm" c="dimmed" data-testid="upload-bytes">
              {details.join(' · ')}
            </Text>
          )}
        </Group>
        <Progress
          value={shown}
          size="lg"
          radius="sm"
          color={run.phase === 'failed' ? 'red' : run.phase === 'stopped' ? 'yellow' : run.phase === 'hashing' ? 'blue' : 'green'}
          animated={measuring || run.phase === 'committing'}
          aria-label={headline(run)}
        />
      </div>
      <ScrollArea.Autosize mah={280} type="auto" offsetScrollbars="present">
        <Stack gap="xs" role="list" aria-label="Files being uploaded">
          {run.files.slice(0, MAX_ROWS).map((f) => (
            <div role="listitem" key={f.path}>
              <FileStatusRow file={f} />
            </div>
          ))}
        </Stack>
      </ScrollArea.Autosize>
      {run.files.length > MAX_ROWS && (
        <Text size="sm" c="dimmed">
          … and {run.files.length - MAX_ROWS} more files.
        </Text>
      )}
    </Stack>
  );
}
