/** Versions: every version of the model, newest first; choosing one shows it on the whole page. */
import { Anchor, Badge, Card, Group, Table } from '@mantine/core';
import type { VersionView } from '../api/types';
import { ComplianceBadge, LifecycleBadge, MaturityBadge } from '../components/status-badges';
import { formatDate } from '../lib/format';

export interface VersionsTabProps {
  versions: VersionView[];
  selected: string | null;
  headVersion: string | null;
  onSelect(version: string): void;
}

export function VersionsTab({ versions, selected, headVersion, onSelect }: VersionsTabProps) {
  return (
    <Card withBorder radius="md" p={0}>
      <Table.ScrollContainer minWidth={720} type="native">
        <Table highlightOnHover verticalSpacing="sm" horizontalSpacing="md" aria-label="Versions">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Version</Table.Th>
              <Table.Th>Maturity</Table.Th>
              <Table.Th>Lifecycle</Table.Th>
              <Table.Th>Compliance</Table.Th>
              <Table.Th>Updated</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {versions.map((v) => {
              const isSelected = v.version === selected;
              return (
                <Table.Tr
                  key={v.version}
                  className="clickable-row"
                  onClick={() => onSelect(v.version)}
                  bg={isSelected ? 'var(--mantine-color-green-light)' : undefined}
                  aria-selected={isSelected}
                >
                  <Table.Td>
                    <Group gap={6} wrap="nowrap">
                      <Anchor
                        component="button"
                        type="button"
                        fw={600}
                        ff="monospace"
                        onClick={(e) => {
                          e.stopPropagation();
                          onSelect(v.version);
                        }}
                        aria-current={isSelected ? 'true' : undefined}
                        aria-label={`Show version ${v.version}`}
                      >
                        {v.version}
                      </Anchor>
                      {v.version === headVersion && (
                        <Badge size="xs" variant="light" color="green">
                          current
                        </Badge>
                      )}
                      {isSelected && (
                        <Badge size="xs" variant="outline" color="gray">
                          viewing
                        </Badge>
                      )}
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <MaturityBadge maturity={v.maturity} />
                  </Table.Td>
                  <Table.Td>
                    <LifecycleBadge lifecycle={v.lifecycle} />
                  </Table.Td>
                  <Table.Td>
                    <ComplianceBadge status={v.compliance.status} />
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDate(v.updatedAt)}</Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Card>
  );
}
