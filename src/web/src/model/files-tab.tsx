/**
 * Files: what a version is made of (path, size, sha256, format), with download links. On a draft,
 * files can be uploaded from the browser and the model card read out of them.
 */
import { Card, Code, EmptyState, Skeleton, Stack, Text } from '@mantine/core';
import { IconFiles } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import { useVersionFiles } from '../api/queries';
import { ErrorAlert } from '../components/error-alert';
import { FilesTable } from './files-table';
import { ExtractionCard } from './upload/extraction-card';
import { UploadCard } from './upload/upload-card';
import { useUpload } from './upload/use-upload';

export interface FilesTabProps {
  slug: string;
  version: string;
  /** Drafts take uploads; the server decides who may upload. */
  draft: boolean;
}

export function FilesTab({ slug, version, draft }: FilesTabProps) {
  const files = useVersionFiles(slug, version);
  const upload = useUpload(slug, version);
  const [readAsked, setReadAsked] = useState(false);
  const items = files.data?.items;
  const existing = useMemo(() => new Set(items?.map((f) => f.path)), [items]);

  let list;
  if (files.isPending) list = <Skeleton height={120} radius="md" />;
  else if (files.isError) list = <ErrorAlert error={files.error} title="The files could not be loaded" />;
  else if (files.data.items.length === 0) {
    const push = `garden push ./folder --model ${slug} --version ${version}`;
    list = draft ? (
      <Card withBorder radius="md" padding="md">
        <Text size="sm" c="dimmed">
          No files yet. Upload them above, or with <Code>{push}</Code>
        </Text>
      </Card>
    ) : (
      <Card withBorder radius="md" py="xl">
        <EmptyState icon={<IconFiles size={28} aria-hidden />} variant="light" color="gray" title="No files yet" description={`Upload them with: ${push}`} />
      </Card>
    );
  } else list = <FilesTable slug={slug} version={version} items={files.data.items} />;

  if (!draft) return list;
  const hasFiles = (items?.length ?? 0) > 0;
  return (
    <Stack gap="lg">
      <UploadCard version={version} upload={upload} existing={existing} />
      {hasFiles && (
        <ExtractionCard slug={slug} version={version} open={readAsked || upload.run?.phase === 'committed'} onOpen={() => setReadAsked(true)} />
      )}
      {list}
    </Stack>
  );
}
