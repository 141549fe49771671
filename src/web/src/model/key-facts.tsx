/** The facts a consumer compares first, for the selected version. */
import { Paper, SimpleGrid, Text } from '@mantine/core';
import type { VersionView } from '../api/types';
import { DASH, formatDate, formatGb, formatParameters, formatTokens, languageName, orDash } from '../lib/format';

export function KeyFacts({ version }: { version: VersionView }) {
  const languages = version.languages.map(languageName).join(', ');
  const facts: { label: string; value: string; title?: string }[] = [
    { label: 'Licence', value: orDash(version.license) },
    {
      label: 'Parameters',
      value: formatParameters(version.parameters),
      ...(version.parameters ? { title: version.parameters.toLocaleString('en-US') } : {}),
    },
    {
      label: 'Context length',
      value: version.contextLength ? `${formatTokens(version.contextLength)} tokens` : DASH,
    },
    { label: 'Smallest GPU memory', value: formatGb(version.hardware.smallestGpuMemoryGb) },
    { label: 'Runs on CPU', value: version.hardware.cpuInference ? 'Yes' : 'No' },
    { label: 'Languages', value: orDash(languages), title: version.languages.join(', ') },
    { label: 'Architecture', value: orDash(version.architecture) },
    { label: 'Updated', value: formatDate(version.updatedAt) },
  ];
  return (
    <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="sm" verticalSpacing="sm" component="dl" m={0}>
      {facts.map((f) => (
        <Paper key={f.label} withBorder p="sm" radius="md" style={{ minWidth: 0 }}>
          <Text component="dt" size="xs" c="dimmed" tt="uppercase" fw={600} lts={0.3}>
            {f.label}
          </Text>
          <Text component="dd" m={0} fw={600} truncate="end" title={f.title ?? f.value}>
            {f.value}
          </Text>
        </Paper>
      ))}
    </SimpleGrid>
  );
}
