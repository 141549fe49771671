/** Files: what a version is made of (path, size, sha256, format), with download links. */
import { Anchor, Card, CopyButton, EmptyState, Group, Skeleton, Table, Text, Tooltip, UnstyledButton } from '@mantine/core';
import { IconFiles } from '@tabler/icons-react';
import { useVersionFiles } from '../api/queries';
import { ErrorAlert } from '../components/error-alert';

const formatBytes = (n: number): string =>
  n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} B`;

export function FilesTab({ slug, version }: { slug: string; version: string }) {
  const files = useVersionFiles(slug, version);
  if (files.isPending) return <Skeleton height={120} radius="md" />;
  if (files.isError) return <ErrorAlert error={files.error} title="The files could not be loaded" />;
  const items = files.data.items;
  if (items.length === 0) {
    return (
      <Card withBorder radius="md" py="xl">
        <EmptyState
          icon={<IconFiles size={28} aria-hidden />}
          variant="light"
          color="gray"
          title="No files yet"
          description={`Upload them with: garden push ./folder --model ${slug} --version ${version}`}
        />
      </Card>
    );
  }
  const total = items.reduce((s, f) => s + f.size, 0);
  return (
    <Card withBorder radius="md" p={0}>
      <Table.ScrollContainer minWidth={720} type="native">
        <Table striped highlightOnHover verticalSpacing="sm" horizontalSpacing="md" aria-label="Files">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Path</Table.Th>
              <Table.Th>Format</Table.Th>
              <Table.Th ta="right">Size</Table.Th>
              <Table.Th>SHA-256</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((f) => (
              <Table.Tr key={f.path} data-file={f.path}>
                <Table.Td>
                  <Anchor
                    href={`/api/v1/models/${encodeURIComponent(slug)}/versions/${encodeURIComponent(version)}/files/${f.path.split('/').map(encodeURIComponent).join('/')}`}
                    size="sm"
                    ff="monospace"
                    className="break-anywhere"
                    download
                  >
                    {f.path}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{f.format}</Text>
                </Table.Td>
                <Table.Td ta="right">
                  <Text size="sm">{formatBytes(f.size)}</Text>
                </Table.Td>
                <Table.Td>
                  <CopyButton value={f.digest}>
                    {({ copied, copy }) => (
                      <Tooltip label={copied ? 'Copied' : 'Copy the full digest'}>
                        <UnstyledButton onClick={copy} aria-label={`Copy the sha256 of ${f.path}`}>
                          <Text size="sm" ff="monospace" c="dimmed">
                            {f.digest.slice(7, 23)}…
                          </Text>
                        </UnstyledButton>
                      </Tooltip>
                    )}
                  </CopyButton>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Group px="md" py="sm" justify="space-between">
        <Text size="sm" c="dimmed">
          {items.length} {items.length === 1 ? 'file' : 'files'}, {formatBytes(total)}
        </Text>
        <Text size="sm" c="dimmed" ff="monospace">
          garden pull {slug}@{version} ./{slug}
        </Text>
      </Group>
    </Card>
  );
}
