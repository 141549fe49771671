/** A single-choice facet (GPU memory, CPU, context length): radio buttons with counts and "Any". */
import { Group, Radio, Stack, Text } from '@mantine/core';
import type { FacetCount } from '../api/types';

export interface FacetChoiceProps {
  label: string;
  counts: FacetCount[];
  /** The selected value as the API writes it ("16", "true"), or null for "Any". */
  selected: string | null;
  onChange(value: string | null): void;
  format(value: string): string;
}

const ANY = '__any__';

export function FacetChoice({ label, counts, selected, onChange, format }: FacetChoiceProps) {
  const options = selected !== null && !counts.some((c) => c.value === selected) ? [...counts, { value: selected, count: 0 }] : counts;
  if (options.length === 0) return null;
  return (
    <Radio.Group
      label={label}
      labelProps={{ fw: 600, mb: 6 }}
      value={selected ?? ANY}
      onChange={(v) => onChange(v === ANY ? null : v)}
    >
      <Stack gap={6}>
        <Radio value={ANY} size="sm" label={<Text size="sm">Any</Text>} aria-label={`${label}: any`} />
        {options.map(({ value, count }) => (
          <Radio
            key={value}
            value={value}
            size="sm"
            aria-label={`${label}: ${format(value)} (${count} ${count === 1 ? 'model' : 'models'})`}
            styles={{ body: { width: '100%' }, labelWrapper: { flex: 1, minWidth: 0 } }}
            label={
              <Group gap="xs" justify="space-between" wrap="nowrap" w="100%">
                <Text size="sm" truncate="end">
                  {format(value)}
                </Text>
                <Text size="xs" c="dimmed" style={{ fontVariantNumeric: 'tabular-nums' }} aria-hidden>
                  {count}
                </Text>
              </Group>
            }
          />
        ))}
      </Stack>
    </Radio.Group>
  );
}
