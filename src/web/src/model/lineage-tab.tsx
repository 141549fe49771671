/**
 * Lineage: the chain of base models upwards (catalog models as links, external ids as text) and
 * every model derived from this one, indented by depth. Advisories follow this lineage.
 */
import { Anchor, Badge, Box, Card, Group, Paper, Stack, Text, Timeline, Title } from '@mantine/core';
import { IconArrowDown, IconCornerDownRight, IconExternalLink, IconPoint, IconTopologyStar3 } from '@tabler/icons-react';
import { Link } from 'react-router-dom';
import type { LineageAncestor, LineageNode, ModelDetail } from '../api/types';
import { modelPath, parseRef } from '../lib/refs';

const RELATION_TEXT: Record<string, string> = {
  finetune: 'fine-tuned from',
  quantized: 'quantized from',
  adapter: 'adapter on',
  merge: 'merged from',
  distilled: 'distilled from',
};

function RelationBadge({ relation, derived = false }: { relation: string | null; derived?: boolean }) {
  if (!relation) return null;
  return (
    <Badge variant="light" color="grape" radius="sm" tt="none" title={`relation: ${relation}`}>
      {derived ? relation : (RELATION_TEXT[relation] ?? relation)}
    </Badge>
  );
}

function AncestorTitle({ a }: { a: LineageAncestor }) {
  if (a.slug) {
    const { version } = parseRef(a.ref);
    const old = a.lifecycle === 'deprecated' || a.lifecycle === 'retired';
    return (
      <Group gap={6} wrap="wrap">
        <Anchor component={Link} to={modelPath(a.slug, version)} fw={600} className="break-anywhere" data-lineage="ancestor">
          {a.name ?? a.slug}
        </Anchor>
        {a.ownerTeam && (
          <Text size="xs" c="dimmed">
            {a.ownerTeam}
          </Text>
        )}
        {old && (
          <Badge color="red" variant="filled" size="sm">
            {a.lifecycle === 'retired' ? 'Retired' : 'Deprecated'}
          </Badge>
        )}
      </Group>
    );
  }
  return (
    <Group gap={6} wrap="wrap">
      <Text fw={600} ff="monospace" size="sm" className="break-anywhere" data-lineage="external">
        {a.ref}
      </Text>
      <Badge variant="outline" color="gray" size="sm" leftSection={<IconExternalLink size={11} aria-hidden />}>
        external
      </Badge>
    </Group>
  );
}

function RelationLine({ relation }: { relation: string | null }) {
  if (!relation) return null;
  return (
    <Group gap={4} mt={6} c="dimmed">
      <IconArrowDown size={14} aria-hidden />
      <RelationBadge relation={relation} />
    </Group>
  );
}

/** Each item names how it was made from the next one down, so the chain reads top to bottom. */
function Ancestors({ model }: { model: ModelDetail }) {
  const { ancestors } = model.lineage;
  if (ancestors.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        This model is not derived from another model.
      </Text>
    );
  }
  return (
    <Timeline active={0} bulletSize={22} lineWidth={2} color="green" aria-label="Base model chain">
      <Timeline.Item bullet={<IconPoint size={14} aria-hidden />} title={<Text fw={600} className="break-anywhere">{model.name} (this model)</Text>}>
        <Text size="xs" c="dimmed" ff="monospace" className="break-anywhere">
          {model.slug}
        </Text>
        <RelationLine relation={ancestors[0]?.relation ?? null} />
      </Timeline.Item>
      {ancestors.map((a, i) => (
        <Timeline.Item key={`${a.ref}:${i}`} title={<AncestorTitle a={a} />}>
          {a.slug && (
            <Text size="xs" c="dimmed" ff="monospace" className="break-anywhere">
              {a.ref}
            </Text>
          )}
          <RelationLine relation={ancestors[i + 1]?.relation ?? null} />
        </Timeline.Item>
      ))}
    </Timeline>
  );
}

function DerivedRow({ node }: { node: LineageNode }) {
  const deprecated = node.lifecycle === 'deprecated' || node.lifecycle === 'retired';
  return (
    <Box component="li" pl={(Math.max(1, node.depth) - 1) * 28} style={{ listStyle: 'none' }} data-depth={node.depth}>
      <Group gap="xs" wrap="nowrap" align="flex-start" py={6}>
        <IconCornerDownRight size={16} aria-hidden color="var(--mantine-color-dimmed)" style={{ flexShrink: 0, marginTop: 3 }} />
        <Stack gap={2} style={{ minWidth: 0 }}>
          <Group gap={8} wrap="wrap">
            <Anchor component={Link} to={modelPath(node.slug)} fw={600} className="break-anywhere" data-lineage="derived">
              {node.name}
            </Anchor>
            <RelationBadge relation={node.relation} derived />
            {deprecated && (
              <Badge color="red" variant="filled" size="sm">
                {node.lifecycle === 'retired' ? 'Retired' : 'Deprecated'}
              </Badge>
            )}
          </Group>
          <Text size="xs" c="dimmed" className="break-anywhere">
            <Text span ff="monospace" size="xs">
              {node.slug}
            </Text>
            {' · '}
            {node.ownerTeam}
            {node.via && node.depth > 1 ? ` · from ${node.via}` : ''}
          </Text>
        </Stack>
      </Group>
    </Box>
  );
}

export function LineageTab({ model }: { model: ModelDetail }) {
  const { derived } = model.lineage;
  return (
    <Stack gap="lg">
      <Paper withBorder p="md" radius="md" component="section" aria-labelledby="lineage-base">
        <Title order={3} size="h5" mb="md" id="lineage-base">
          Base model chain
        </Title>
        <Ancestors model={model} />
      </Paper>
      <Paper withBorder p="md" radius="md" component="section" aria-labelledby="lineage-derived">
        <Title order={3} size="h5" mb="xs" id="lineage-derived">
          Derived models {derived.length > 0 && <Text span c="dimmed" size="sm">({derived.length})</Text>}
        </Title>
        {derived.length === 0 ? (
          <Card p={0} bg="transparent">
            <Group gap="xs" c="dimmed">
              <IconTopologyStar3 size={16} aria-hidden />
              <Text size="sm">No catalog model is derived from this one.</Text>
            </Group>
          </Card>
        ) : (
          <Box component="ul" p={0} m={0} aria-label="Derived models">
            {derived.map((n) => (
              <DerivedRow key={`${n.via ?? ''}>${n.slug}`} node={n} />
            ))}
          </Box>
        )}
      </Paper>
    </Stack>
  );
}
