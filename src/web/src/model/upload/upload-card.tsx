/**
 * Uploading files into a draft version from the browser: choose files or a folder, check the
 * paths, then hash, send and commit them, with progress and a clean stop.
 */
import { Alert, Button, Card, Code, Group, Stack, Text, Title } from '@mantine/core';
import { IconCheck, IconInfoCircle, IconPlayerStop, IconRefresh, IconUpload } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import { ErrorAlert } from '../../components/error-alert';
import { formatBytes } from '../../lib/format';
import { checkPaths } from './check-paths';
import { DropZone } from './drop-zone';
import type { Picked, PickedFile } from './pick-files';
import { SelectedFiles } from './selected-files';
import { UploadProgress } from './upload-progress';
import type { UploadRun } from './upload-run';
import type { useUpload } from './use-upload';

export interface UploadCardProps {
  version: string;
  upload: ReturnType<typeof useUpload>;
  /** Paths the version already has. */
  existing: ReadonlySet<string>;
}

function Outcome({ run, upload, onChooseAgain }: { run: UploadRun; upload: UploadCardProps['upload']; onChooseAgain(): void }) {
  if (run.phase === 'committed') {
    const stored = run.files.filter((f) => f.status === 'stored').length;
    return (
      <Alert color="green" variant="light" icon={<IconCheck aria-hidden />} title="Upload complete" role="status">
        <Text size="sm">
          {run.files.length} {run.files.length === 1 ? 'file is' : 'files are'} now part of this version
          {stored > 0 ? ` (${stored} already stored — not sent)` : ''}.
        </Text>
        <Button mt="sm" size="xs" variant="default" leftSection={<IconUpload size={14} aria-hidden />} onClick={onChooseAgain}>
          Upload more files
        </Button>
      </Alert>
    );
  }
  const again = (
    <Group gap="sm">
      <Button size="xs" leftSection={<IconRefresh size={14} aria-hidden />} onClick={upload.resume}>
        {run.phase === 'stopped' ? 'Resume' : 'Try again'}
      </Button>
      <Button size="xs" variant="default" onClick={onChooseAgain}>
        Choose other files
      </Button>
    </Group>
  );
  if (run.phase === 'stopped') {
    return (
      <Alert color="yellow" variant="light" icon={<IconInfoCircle aria-hidden />} title="Upload stopped" role="status">
        <Text size="sm" mb="sm">
          The server keeps what it already received. Resume, or choose the same files again later: they are checked again and
          sending continues where it stopped.
        </Text>
        {again}
      </Alert>
    );
  }
  if (run.phase === 'failed') {
    const title = run.files.some((f) => f.status === 'failed') ? 'Some files could not be uploaded' : 'The files could not be added to the version';
    return <ErrorAlert error={run.error} title={title} action={again} />;
  }
  return null;
}

export function UploadCard({ version, upload, existing }: UploadCardProps) {
  const [picked, setPicked] = useState<PickedFile[]>([]);
  const [skipped, setSkipped] = useState<string[]>([]);
  const issues = useMemo(() => checkPaths(picked), [picked]);
  const { run } = upload;
  const total = picked.reduce((s, f) => s + f.file.size, 0);

  const add = (p: Picked) => {
    setPicked((prev) => [...prev, ...p.files]);
    setSkipped((prev) => [...new Set([...prev, ...p.skipped])]);
  };
  const clear = () => {
    setPicked([]);
    setSkipped([]);
  };
  const chooseAgain = () => {
    upload.reset();
    clear();
  };

  return (
    <Card withBorder radius="md" padding="lg" component="section" aria-labelledby="upload-title">
      <Group justify="space-between" mb="md" gap="xs">
        <Title order={2} size="h4" id="upload-title">
          Upload files to version {version}
        </Title>
        {run && (run.phase === 'hashing' || run.phase === 'sending') && (
          <Button color="red" variant="light" leftSection={<IconPlayerStop size={16} aria-hidden />} onClick={upload.cancel}>
            Cancel
          </Button>
        )}
      </Group>
      {run ? (
        <Stack gap="md">
          <UploadProgress run={run} />
          <Outcome run={run} upload={upload} onChooseAgain={chooseAgain} />
        </Stack>
      ) : (
        <Stack gap="md">
          <DropZone onPick={add} />
          {skipped.length > 0 && (
            <Text size="sm" c="dimmed">
              Left out, as <Code>garden push</Code> does: {skipped.join(', ')}
            </Text>
          )}
          {picked.length > 0 && (
            <>
              <SelectedFiles files={picked} issues={issues} existing={existing} onRemove={(i) => setPicked((prev) => prev.filter((_, n) => n !== i))} />
              <Group justify="space-between">
                <Text size="sm" c="dimmed" aria-live="polite">
                  {picked.length} {picked.length === 1 ? 'file' : 'files'}, {formatBytes(total)}
                </Text>
                <Group gap="sm">
                  <Button variant="default" onClick={clear}>
                    Clear
                  </Button>
                  <Button leftSection={<IconUpload size={16} aria-hidden />} disabled={issues.length > 0} onClick={() => upload.start(picked)}>
                    Start upload
                  </Button>
                </Group>
              </Group>
            </>
          )}
        </Stack>
      )}
    </Card>
  );
}
