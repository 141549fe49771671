/** The filters column: one group per facet, with counts from the current search. */
import { Button, Divider, Group, Paper, Skeleton, Stack, Title } from '@mantine/core';
import type { FacetCount } from '../api/types';
import { FacetCheckboxGroup } from './facet-checkbox-group';
import { FacetChoice } from './facet-choice';
import { formatCpu, formatFacetValue, formatFitsIn, formatMinContext } from './facet-labels';
import { VALUE_FACETS, hasFilters, type SearchState, type ValueFacetName } from './search-state';

export interface FacetSidebarProps {
  state: SearchState;
  facets: Record<string, FacetCount[]> | null | undefined;
  loading: boolean;
  onToggle(name: ValueFacetName, value: string): void;
  onChoice(key: 'fitsInGb' | 'minContext' | 'cpu', value: string | null): void;
  onClear(): void;
}

export function FacetSidebar({ state, facets, loading, onToggle, onChoice, onClear }: FacetSidebarProps) {
  const counts = (name: string): FacetCount[] => facets?.[name] ?? [];
  return (
    <Paper component="aside" aria-label="Filters" withBorder p="md" radius="md" className="facet-sidebar">
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h5">
          Filters
        </Title>
        {hasFilters(state) && (
          <Button variant="subtle" size="compact-sm" onClick={onClear}>
            Clear all
          </Button>
        )}
      </Group>
      {loading && !facets ? (
        <Stack gap="sm" aria-hidden>
          {Array.from({ length: 12 }, (_, i) => (
            <Skeleton key={i} height={i % 4 === 0 ? 14 : 10} width={i % 4 === 0 ? '50%' : '85%'} radius="sm" />
          ))}
        </Stack>
      ) : (
        <Stack gap="md">
          <FacetChoice
            label="GPU memory"
            counts={counts('fitsInGb')}
            selected={state.fitsInGb === null ? null : String(state.fitsInGb)}
            onChange={(v) => onChoice('fitsInGb', v)}
            format={formatFitsIn}
          />
          <FacetChoice
            label="CPU inference"
            counts={counts('cpu').filter((c) => c.value === 'true')}
            selected={state.cpu === null ? null : String(state.cpu)}
            onChange={(v) => onChoice('cpu', v)}
            format={formatCpu}
          />
          <FacetChoice
            label="Context length"
            counts={counts('minContext')}
            selected={state.minContext === null ? null : String(state.minContext)}
            onChange={(v) => onChoice('minContext', v)}
            format={formatMinContext}
          />
          <Divider />
          {VALUE_FACETS.map((f) => (
            <FacetCheckboxGroup
              key={f.name}
              label={f.label}
              counts={counts(f.name)}
              selected={state.values[f.name] ?? []}
              onToggle={(v) => onToggle(f.name, v)}
              format={(v) => formatFacetValue(f.name, v)}
            />
          ))}
        </Stack>
      )}
    </Paper>
  );
}
