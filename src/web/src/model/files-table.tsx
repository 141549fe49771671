/** The committed files of a version: path (download link), format, size, sha256, shared blobs. */
import { Anchor, Badge, Card, CopyButton, Group, Table, Text, Tooltip, UnstyledButton } from '@mantine/core';
import { API_BASE } from '../api/client';
import { useRegistryStats } from '../api/queries';
import type { VersionFile } from '../api/types';
import { formatBytes } from '../lib/format';

const downloadHref = (slug: string, version: string, path: string) =>
  `${API_BASE}/models/${encodeURIComponent(slug)}/versions/${encodeURIComponent(version)}/files/${path.split('/').map(encodeURIComponent).join('/')}`;

/** Bytes saved catalog-wide; nothing when there is nothing to say (or the stats failed). */
function DedupSavings() {
  const stats = useRegistryStats();
  const saved = stats.data?.savedBytes ?? 0;
  if (saved <= 0) return null;
  return (
    <Text size="sm" c="dimmed" data-testid="dedup-savings">
      {formatBytes(saved)} saved by deduplication across the catalog
    </Text>
  );
}

export function FilesTable({ slug, version, items }: { slug: string; version: string; items: VersionFile[] }) {
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
              <Table.Tr key={f.path} data-file={f.path} data-digest={f.digest} data-size={f.size}>
                <Table.Td>
                  <Anchor href={downloadHref(slug, version, f.path)} size="sm" ff="monospace" className="break-anywhere" download>
                    {f.path}
                  </Anchor>
                  {f.shared && (
                    <Tooltip label="Stored once: another version has the same bytes" withArrow>
                      <Badge ml="xs" size="xs" variant="light" color="grape" tabIndex={0} data-testid="shared-badge">
                        shared
                      </Badge>
                    </Tooltip>
                  )}
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{f.format}</Text>
                </Table.Td>
                <Table.Td ta="right">
                  <Text size="sm" style={{ whiteSpace: 'nowrap' }} title={`${f.size.toLocaleString('en-US')} bytes`}>
                    {formatBytes(f.size)}
                  </Text>
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
      <Group px="md" py="sm" justify="space-between" gap="xs">
        <Group gap="lg" wrap="wrap">
          <Text size="sm" c="dimmed">
            {items.length} {items.length === 1 ? 'file' : 'files'}, {formatBytes(total)}
          </Text>
          <DedupSavings />
        </Group>
        <Text size="sm" c="dimmed" ff="monospace">
          garden pull {slug}@{version} ./{slug}
        </Text>
      </Group>
    </Card>
  );
}
