/** The chosen files before anything is sent: path and size, with every path problem spelled out. */
import { ActionIcon, Alert, Badge, List, Table, Text, Tooltip, VisuallyHidden } from '@mantine/core';
import { IconAlertTriangle, IconX } from '@tabler/icons-react';
import { formatBytes } from '../../lib/format';
import type { PathIssue } from './check-paths';
import type { PickedFile } from './pick-files';

/** Rows shown at most; a folder of thousands of files stays quick to render. */
const MAX_ROWS = 200;
const MAX_ISSUES = 20;

export interface SelectedFilesProps {
  files: readonly PickedFile[];
  issues: readonly PathIssue[];
  /** Paths the version already has: committing replaces them. */
  existing: ReadonlySet<string>;
  /** Removes the file at this index of `files`. */
  onRemove(index: number): void;
}

export function SelectedFiles({ files, issues, existing, onRemove }: SelectedFilesProps) {
  const bad = new Set(issues.map((i) => i.path));
  return (
    <>
      {issues.length > 0 && (
        <Alert color="red" variant="light" icon={<IconAlertTriangle aria-hidden />} title="These paths cannot be uploaded" role="alert">
          <Text size="sm" mb="xs">
            Nothing has been sent. Remove or rename these files, then choose them again.
          </Text>
          <List size="sm" spacing={2}>
            {issues.slice(0, MAX_ISSUES).map((i, n) => (
              <List.Item key={`${i.path}-${n}`}>
                {i.path && (
                  <Text span ff="monospace" size="sm" className="break-anywhere">
                    {i.path}
                  </Text>
                )}
                {i.path ? ': ' : ''}
                {i.problem}
              </List.Item>
            ))}
          </List>
          {issues.length > MAX_ISSUES && (
            <Text size="sm" mt="xs">
              … and {issues.length - MAX_ISSUES} more.
            </Text>
          )}
        </Alert>
      )}
      <Table.ScrollContainer minWidth={480} maxHeight={320} type="native">
        <Table verticalSpacing={6} horizontalSpacing="sm" stickyHeader aria-label="Chosen files">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Path</Table.Th>
              <Table.Th ta="right">Size</Table.Th>
              <Table.Th w={40}>
                <VisuallyHidden>Remove</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {files.slice(0, MAX_ROWS).map((f, n) => (
              <Table.Tr key={`${f.path}-${n}`} data-chosen={f.path} bg={bad.has(f.path) ? 'var(--mantine-color-red-light)' : undefined}>
                <Table.Td>
                  <Text size="sm" ff="monospace" className="break-anywhere" span>
                    {f.path}
                  </Text>
                  {existing.has(f.path) && (
                    <Tooltip label="The version already has a file at this path: committing replaces it" withArrow>
                      <Badge ml="xs" size="xs" variant="light" color="yellow">
                        replaces
                      </Badge>
                    </Tooltip>
                  )}
                </Table.Td>
                <Table.Td ta="right">
                  <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
                    {formatBytes(f.file.size)}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <ActionIcon variant="subtle" color="gray" size="sm" aria-label={`Remove ${f.path}`} onClick={() => onRemove(n)}>
                    <IconX size={14} aria-hidden />
                  </ActionIcon>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {files.length > MAX_ROWS && (
        <Text size="sm" c="dimmed">
          … and {files.length - MAX_ROWS} more files.
        </Text>
      )}
    </>
  );
}
