/** What a version's files say, compactly: shape, size, formats, hardware estimate, languages, licence. */
import { List, SimpleGrid, Text } from '@mantine/core';
import type { Extraction } from '../../api/types';
import { DASH, formatGb, formatParametersPrecise, formatTokens, languageName, orDash } from '../../lib/format';

const PRECISIONS = ['fp32', 'bf16', 'fp16', 'fp8', 'int8', 'int4'];

/** "fp16 17.8 GB · int8 9.3 GB · int4 5.3 GB", in precision order. */
function gpuEstimate(byPrecision: Record<string, number | null> | undefined): string {
  const rows = Object.entries(byPrecision ?? {}).filter((e): e is [string, number] => e[1] !== null);
  if (rows.length === 0) return DASH;
  const rank = (q: string) => (PRECISIONS.includes(q) ? PRECISIONS.indexOf(q) : PRECISIONS.length);
  return rows
    .sort(([a], [b]) => rank(a) - rank(b))
    .map(([q, gb]) => `${q} ${formatGb(gb)}`)
    .join(' · ');
}

const list = (values: string[] | undefined) => (values && values.length > 0 ? values.join(', ') : DASH);

export function ExtractionFacts({ extraction }: { extraction: Extraction }) {
  const f = extraction.fields;
  const facts: { label: string; value: string; title?: string }[] = [
    { label: 'Architecture', value: orDash(f.architecture) },
    {
      label: 'Parameters',
      value: formatParametersPrecise(f.parameters),
      ...(f.parameters ? { title: f.parameters.toLocaleString('en-US') } : {}),
    },
    { label: 'Context length', value: f.contextLength ? `${formatTokens(f.contextLength)} tokens` : DASH },
    { label: 'Formats', value: list(f.compatibility?.formats) },
    { label: 'Quantizations', value: list(f.compatibility?.quantizations) },
    { label: 'GPU memory (estimate)', value: gpuEstimate(f.hardware?.minGpuMemoryGb) },
    { label: 'RAM to load', value: formatGb(f.hardware?.ramGb) },
    { label: 'Languages', value: list(f.languages?.map(languageName)) },
    { label: 'Licence', value: orDash(f.license) },
  ];
  return (
    <>
      <SimpleGrid cols={{ base: 1, xs: 2, md: 3 }} spacing="md" verticalSpacing="sm" component="dl" m={0} data-testid="extraction-facts">
        {facts.map((fact) => (
          <div key={fact.label} style={{ minWidth: 0 }}>
            <Text component="dt" size="xs" c="dimmed" tt="uppercase" fw={600} lts={0.3}>
              {fact.label}
            </Text>
            <Text component="dd" m={0} size="sm" fw={500} className="break-anywhere" title={fact.title}>
              {fact.value}
            </Text>
          </div>
        ))}
      </SimpleGrid>
      {extraction.notes.length > 0 && (
        <div>
          <Text size="sm" fw={600} mt="sm" mb={4}>
            Notes
          </Text>
          <List size="sm" c="dimmed" spacing={2}>
            {extraction.notes.map((n, i) => (
              <List.Item key={i} className="break-anywhere">
                {n}
              </List.Item>
            ))}
          </List>
        </div>
      )}
    </>
  );
}
