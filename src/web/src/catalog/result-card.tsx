/** One model in the result list: what a consumer needs to shortlist it at a glance. */
import { Anchor, Badge, Card, Group, Stack, Text, Tooltip, VisuallyHidden } from '@mantine/core';
import { IconAlertTriangle, IconCpu, IconGpu, IconLicense, IconRuler2, IconStack2, IconUsers } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';
import type { ModelSummary } from '../api/types';
import { ReplacementLink } from '../components/replacement-link';
import { LifecycleBadge, MaturityBadge } from '../components/status-badges';
import { formatDate, formatGb, formatParameters, formatTokens, humanize } from '../lib/format';
import { modelPath } from '../lib/refs';

function Fact({ icon, label, children }: { icon: ReactNode; label: string; children: ReactNode }) {
  return (
    <Tooltip label={label} withArrow openDelay={400}>
      <Group gap={5} wrap="nowrap" style={{ minWidth: 0 }}>
        <span aria-hidden style={{ display: 'flex', color: 'var(--mantine-color-dimmed)' }}>
          {icon}
        </span>
        <Text size="sm" truncate="end">
          <VisuallyHidden>{label}: </VisuallyHidden>
          {children}
        </Text>
      </Group>
    </Tooltip>
  );
}

export function ResultCard({ model }: { model: ModelSummary }) {
  const head = model.head;
  const deprecated = head?.lifecycle === 'deprecated' || head?.lifecycle === 'retired';
  return (
    <Card withBorder radius="md" padding="lg" className="result-card" component="article" aria-label={model.name} data-slug={model.slug}>
      <Group justify="space-between" align="flex-start" wrap="nowrap" gap="md">
        <Stack gap={2} style={{ minWidth: 0, flex: 1 }}>
          <Anchor component={Link} to={modelPath(model.slug)} fw={650} size="lg" lineClamp={2} title={model.name} className="break-anywhere">
            {model.name}
          </Anchor>
          <Group gap={6} wrap="nowrap" style={{ minWidth: 0 }}>
            <Text size="xs" c="dimmed" ff="monospace" truncate="end" title={model.slug}>
              {model.slug}
            </Text>
            {head && (
              <Text size="xs" c="dimmed" style={{ flexShrink: 0 }} title={`Latest version ${head.version}`}>
                · v{head.version}
              </Text>
            )}
          </Group>
        </Stack>
        <Group gap={6} wrap="wrap" justify="flex-end" style={{ flexShrink: 0, maxWidth: '45%' }}>
          {head && <MaturityBadge maturity={head.maturity} />}
          {head && head.lifecycle !== 'approved' && <LifecycleBadge lifecycle={head.lifecycle} />}
          {!head && (
            <Badge color="gray" variant="outline">
              No version yet
            </Badge>
          )}
        </Group>
      </Group>

      <Text size="sm" c="dimmed" mt="sm" lineClamp={2} title={model.description} className="break-anywhere">
        {model.description || 'No description.'}
      </Text>

      {deprecated && head?.deprecation && (
        <Group gap={6} mt="sm" wrap="wrap" c="red.8" role="note" aria-label="Deprecation">
          <IconAlertTriangle size={16} aria-hidden />
          <Text size="sm" fw={600} c="red.8">
            Deprecated
          </Text>
          {head.deprecation.replacement && (
            <Text size="sm" c="red.8" className="break-anywhere">
              — use <ReplacementLink replacement={head.deprecation.replacement} size="sm" c="red.9" />
            </Text>
          )}
          {head.deprecation.deadline && (
            <Text size="sm" c="red.8">
              by {formatDate(head.deprecation.deadline)}
            </Text>
          )}
        </Group>
      )}

      {(model.tasks.length > 0 || model.domains.length > 0) && (
        <Group gap={6} mt="sm" wrap="wrap">
          {model.tasks.map((t) => (
            <Badge key={`t:${t}`} variant="light" color="grape" radius="sm" tt="none" maw="100%" title={t}>
              {humanize(t)}
            </Badge>
          ))}
          {model.domains.map((d) => (
            <Badge key={`d:${d}`} variant="light" color="cyan" radius="sm" tt="none" maw="100%" title={`domain: ${d}`}>
              {humanize(d)}
            </Badge>
          ))}
        </Group>
      )}

      <Group gap="lg" mt="md" wrap="wrap" style={{ rowGap: 6 }}>
        <Fact icon={<IconUsers size={16} />} label="Owner team">
          {model.ownerTeam}
        </Fact>
        <Fact icon={<IconLicense size={16} />} label="Licence">
          {head?.license ?? '—'}
        </Fact>
        {head?.minGpuMemoryGb !== null && head?.minGpuMemoryGb !== undefined && (
          <Fact icon={<IconGpu size={16} />} label="Smallest GPU memory (best quantization)">
            fits in {formatGb(head.minGpuMemoryGb)}
          </Fact>
        )}
        {head?.contextLength ? (
          <Fact icon={<IconRuler2 size={16} />} label={`Context length (${head.contextLength.toLocaleString('en-US')} tokens)`}>
            {formatTokens(head.contextLength)} context
          </Fact>
        ) : null}
        {head?.parameters ? (
          <Fact icon={<IconStack2 size={16} />} label={`Parameters (${head.parameters.toLocaleString('en-US')})`}>
            {formatParameters(head.parameters)} params
          </Fact>
        ) : null}
        {head?.cpuInference && (
          <Badge variant="outline" color="teal" leftSection={<IconCpu size={12} aria-hidden />} tt="none">
            Runs on CPU
          </Badge>
        )}
      </Group>
    </Card>
  );
}
