/** Compatibility: file formats, inference frameworks, quantizations and the longest context tested. */
import { Badge, Group, Paper, SimpleGrid, Text, Title } from '@mantine/core';
import type { VersionView } from '../api/types';
import { DASH, formatTokens } from '../lib/format';

function Values({ title, values, color }: { title: string; values: string[]; color: string }) {
  return (
    <Paper withBorder p="md" radius="md" style={{ minWidth: 0 }}>
      <Title order={3} size="h5" mb="sm">
        {title}
      </Title>
      {values.length ? (
        <Group gap={6} wrap="wrap" role="list" aria-label={title}>
          {values.map((v) => (
            <Badge key={v} variant="light" color={color} radius="sm" tt="none" size="lg" maw="100%" title={v} role="listitem">
              {v}
            </Badge>
          ))}
        </Group>
      ) : (
        <Text size="sm" c="dimmed">
          {DASH}
        </Text>
      )}
    </Paper>
  );
}

export function CompatibilityTab({ version }: { version: VersionView }) {
  const c = version.compatibility;
  return (
    <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="lg">
      <Values title="Formats" values={c.formats} color="indigo" />
      <Values title="Inference frameworks" values={c.frameworks} color="violet" />
      <Values title="Quantizations" values={c.quantizations} color="cyan" />
      <Paper withBorder p="md" radius="md">
        <Title order={3} size="h5" mb="sm">
          Context
        </Title>
        <Text size="sm">
          <Text span c="dimmed" size="sm">
            Max context tested:{' '}
          </Text>
          <Text span fw={600} size="sm">
            {c.maxContextTested ? `${formatTokens(c.maxContextTested)} tokens` : DASH}
          </Text>
        </Text>
        <Text size="sm" mt={4}>
          <Text span c="dimmed" size="sm">
            Context length (declared):{' '}
          </Text>
          <Text span fw={600} size="sm">
            {version.contextLength ? `${formatTokens(version.contextLength)} tokens` : DASH}
          </Text>
        </Text>
      </Paper>
    </SimpleGrid>
  );
}
