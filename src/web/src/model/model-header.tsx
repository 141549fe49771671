/** The model page header: name, copyable slug, owner, status badges and the version selector. */
import { ActionIcon, Anchor, Breadcrumbs, Code, CopyButton, Group, Select, Stack, Text, Title, Tooltip } from '@mantine/core';
import { IconCheck, IconCopy, IconUsers } from '@tabler/icons-react';
import { Link } from 'react-router-dom';
import type { ModelDetail, VersionView } from '../api/types';
import { ComplianceBadge, LifecycleBadge, MaturityBadge } from '../components/status-badges';

export interface ModelHeaderProps {
  model: ModelDetail;
  versions: VersionView[];
  selected: VersionView | null;
  headVersion: string | null;
  onSelectVersion(version: string): void;
}

function versionLabel(v: VersionView, headVersion: string | null): string {
  const note = v.lifecycle !== 'approved' ? v.lifecycle : v.version === headVersion ? 'current' : null;
  return note ? `${v.version} · ${note}` : v.version;
}

export function ModelHeader({ model, versions, selected, headVersion, onSelectVersion }: ModelHeaderProps) {
  return (
    <Stack gap="sm">
      <Breadcrumbs separatorMargin={6}>
        <Anchor component={Link} to="/" size="sm">
          Catalog
        </Anchor>
        <Text size="sm" c="dimmed" truncate="end" maw={480} title={model.name}>
          {model.name}
        </Text>
      </Breadcrumbs>
      <Group justify="space-between" align="flex-start" wrap="wrap" gap="lg">
        <Stack gap={8} style={{ flex: '1 1 420px', minWidth: 0 }}>
          <Title order={1} size="h2" className="break-anywhere" lineClamp={3} title={model.name}>
            {model.name}
          </Title>
          <Group gap="md" wrap="wrap" style={{ rowGap: 6 }}>
            <Group gap={4} wrap="nowrap" style={{ minWidth: 0, maxWidth: '100%' }}>
              <Code className="break-anywhere" title={model.slug} data-testid="model-slug">
                {model.slug}
              </Code>
              <CopyButton value={model.slug} timeout={1500}>
                {({ copied, copy }) => (
                  <Tooltip label={copied ? 'Copied' : 'Copy slug'} withArrow>
                    <ActionIcon variant="subtle" color={copied ? 'teal' : 'gray'} onClick={copy} aria-label={copied ? 'Slug copied' : 'Copy slug'}>
                      {copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
                    </ActionIcon>
                  </Tooltip>
                )}
              </CopyButton>
            </Group>
            <Group gap={6} wrap="nowrap" style={{ minWidth: 0 }}>
              <IconUsers size={16} aria-hidden color="var(--mantine-color-dimmed)" />
              <Text size="sm" truncate="end" title={`Owner team: ${model.ownerTeam}`}>
                <Text span c="dimmed" size="sm">
                  Owner{' '}
                </Text>
                {model.ownerTeam}
              </Text>
            </Group>
          </Group>
          {selected && (
            <Group gap={6} wrap="wrap" aria-label={`Status of version ${selected.version}`} role="group">
              <MaturityBadge maturity={selected.maturity} size="lg" />
              <LifecycleBadge lifecycle={selected.lifecycle} size="lg" />
              <ComplianceBadge status={selected.compliance.status} size="lg" />
            </Group>
          )}
        </Stack>
        {versions.length > 0 && (
          <Select
            label="Version"
            description={`${versions.length} ${versions.length === 1 ? 'version' : 'versions'}, newest first`}
            w={260}
            data={versions.map((v) => ({ value: v.version, label: versionLabel(v, headVersion) }))}
            value={selected?.version ?? null}
            allowDeselect={false}
            checkIconPosition="right"
            onChange={(v) => v && onSelectVersion(v)}
            comboboxProps={{ withinPortal: true }}
          />
        )}
      </Group>
    </Stack>
  );
}
