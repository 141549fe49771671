/**
 * Chips for what narrows the results: the filters the user chose, and the constraints the server
 * understood from the query text (removing one of those asks the server to ignore it).
 */
import { Anchor, Group, Pill, Text } from '@mantine/core';
import type { QueryConstraint } from '../api/types';
import { formatCpu, formatFacetValue, formatFitsIn, formatMinContext } from './facet-labels';
import { VALUE_FACETS, hasFilters, type SearchState, type ValueFacetName } from './search-state';

export interface ActiveFiltersProps {
  state: SearchState;
  constraints: QueryConstraint[];
  ignored: QueryConstraint[];
  onToggle(name: ValueFacetName, value: string): void;
  onChoice(key: 'fitsInGb' | 'minContext' | 'cpu', value: null): void;
  onClear(): void;
  onIgnore(id: string): void;
  onRestoreIgnored(id?: string): void;
}

export function ActiveFilters({ state, constraints, ignored, onToggle, onChoice, onClear, onIgnore, onRestoreIgnored }: ActiveFiltersProps) {
  const chips: { key: string; label: string; remove(): void }[] = [];
  for (const f of VALUE_FACETS) {
    for (const v of state.values[f.name] ?? []) {
      chips.push({ key: `${f.name}:${v}`, label: `${f.label}: ${formatFacetValue(f.name, v)}`, remove: () => onToggle(f.name, v) });
    }
  }
  if (state.fitsInGb !== null) chips.push({ key: 'fitsInGb', label: formatFitsIn(String(state.fitsInGb)), remove: () => onChoice('fitsInGb', null) });
  if (state.cpu !== null) chips.push({ key: 'cpu', label: formatCpu(String(state.cpu)), remove: () => onChoice('cpu', null) });
  if (state.minContext !== null) {
    chips.push({ key: 'minContext', label: formatMinContext(String(state.minContext)), remove: () => onChoice('minContext', null) });
  }

  if (chips.length === 0 && constraints.length === 0 && state.ignore.length === 0) return null;
  return (
    <Group gap="xs" align="center" wrap="wrap" aria-label="Active filters" role="region">
      {constraints.length > 0 && (
        <Text size="sm" c="dimmed">
          Understood from your search:
        </Text>
      )}
      {constraints.map((c) => (
        <Pill
          key={c.id}
          size="md"
          withRemoveButton
          onRemove={() => onIgnore(c.id)}
          removeButtonProps={{ 'aria-label': `Ignore “${c.label}”`, 'aria-hidden': false, tabIndex: 0 }}
          title={`Read from “${c.source}”`}
          data-constraint={c.id}
          style={{ background: 'var(--mantine-color-blue-light)', color: 'var(--mantine-color-blue-light-color)', maxWidth: '100%' }}
        >
          {c.label}
        </Pill>
      ))}
      {ignored.map((c) => (
        <Anchor
          key={c.id}
          component="button"
          type="button"
          size="sm"
          c="dimmed"
          td="line-through"
          title={`Ignored; click to apply “${c.label}” again`}
          aria-label={`Apply “${c.label}” again`}
          data-ignored={c.id}
          onClick={() => onRestoreIgnored(c.id)}
        >
          {c.label}
        </Anchor>
      ))}
      {state.ignore.length > ignored.length && (
        <Anchor component="button" type="button" size="sm" onClick={() => onRestoreIgnored()}>
          Restore ignored constraints
        </Anchor>
      )}
      {chips.length > 0 && constraints.length > 0 && <span aria-hidden style={{ width: 8 }} />}
      {chips.map((c) => (
        <Pill
          key={c.key}
          size="md"
          withRemoveButton
          onRemove={c.remove}
          removeButtonProps={{ 'aria-label': `Remove filter ${c.label}`, 'aria-hidden': false, tabIndex: 0 }}
          title={c.label}
          data-filter={c.key}
          style={{ maxWidth: '100%' }}
        >
          {c.label}
        </Pill>
      ))}
      {hasFilters(state) && chips.length > 1 && (
        <Anchor component="button" type="button" size="sm" onClick={onClear}>
          Clear all
        </Anchor>
      )}
    </Group>
  );
}
