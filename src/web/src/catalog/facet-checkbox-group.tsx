/** A multi-select facet: checkboxes with counts, the top 8 shown and the rest behind "Show more". */
import { Anchor, Checkbox, Group, Stack, Text } from '@mantine/core';
import { useId, useState } from 'react';
import type { FacetCount } from '../api/types';

const TOP = 8;

export interface FacetCheckboxGroupProps {
  label: string;
  counts: FacetCount[];
  selected: string[];
  onToggle(value: string): void;
  format?: (value: string) => string;
}

export function FacetCheckboxGroup({ label, counts, selected, onToggle, format = (v) => v }: FacetCheckboxGroupProps) {
  const [expanded, setExpanded] = useState(false);
  const listId = useId();
  // Selected values stay visible even when nothing matches them any more (count 0).
  const known = new Set(counts.map((c) => c.value));
  const all = [...counts, ...selected.filter((v) => !known.has(v)).map((value) => ({ value, count: 0 }))];
  const shown = expanded ? all : all.filter((c, i) => i < TOP || selected.includes(c.value));
  const hidden = all.length - shown.length;
  if (all.length === 0) return null;

  return (
    <Checkbox.Group label={label} value={selected} labelProps={{ fw: 600, mb: 6 }}>
      <Stack gap={6} id={listId}>
        {shown.map(({ value, count }) => {
          const text = format(value);
          return (
            <Checkbox
              key={value}
              value={value}
              size="sm"
              onChange={() => onToggle(value)}
              aria-label={`${label}: ${text} (${count} ${count === 1 ? 'model' : 'models'})`}
              styles={{ body: { width: '100%' }, labelWrapper: { flex: 1, minWidth: 0 } }}
              label={
                <Group gap="xs" justify="space-between" wrap="nowrap" w="100%">
                  <Text size="sm" truncate="end" title={text === value ? value : `${text} (${value})`}>
                    {text}
                  </Text>
                  <Text size="xs" c="dimmed" style={{ fontVariantNumeric: 'tabular-nums' }} aria-hidden>
                    {count}
                  </Text>
                </Group>
              }
            />
          );
        })}
        {(hidden > 0 || expanded) && all.length > TOP && (
          <Anchor
            component="button"
            type="button"
            size="sm"
            ta="left"
            aria-expanded={expanded}
            aria-controls={listId}
            onClick={() => setExpanded((e) => !e)}
          >
            {expanded ? 'Show less' : `Show ${hidden} more`}
          </Anchor>
        )}
      </Stack>
    </Checkbox.Group>
  );
}
