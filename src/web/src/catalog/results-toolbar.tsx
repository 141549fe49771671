/** Above the results: how many matched, and the sort order. */
import { Group, Loader, Select, Text } from '@mantine/core';
import { useId } from 'react';
import type { Sort } from './search-state';

export interface ResultsToolbarProps {
  /** null while the first answer loads. */
  total: number | null;
  failed: boolean;
  hasQuery: boolean;
  sort: Sort;
  fetching: boolean;
  onSort(sort: Sort): void;
}

const SORT_LABELS: Record<Sort, string> = { relevance: 'Relevance', name: 'Name (A–Z)', updated: 'Recently updated' };

export function ResultsToolbar({ total, failed, hasQuery, sort, fetching, onSort }: ResultsToolbarProps) {
  const selectId = useId();
  const sorts: readonly Sort[] = hasQuery ? ['relevance', 'name', 'updated'] : ['name', 'updated'];
  return (
    <Group justify="space-between" align="center" wrap="wrap" gap="sm">
      <Group gap="xs" align="center">
        <Text fw={600} aria-live="polite" data-testid="result-count">
          {failed ? 'No results' : total === null ? 'Searching…' : `${total.toLocaleString('en-US')} ${total === 1 ? 'model' : 'models'}`}
        </Text>
        {fetching && total !== null && <Loader size="xs" type="dots" aria-label="Updating results" />}
      </Group>
      <Group gap={8} wrap="nowrap">
        <Text component="label" htmlFor={selectId} size="sm" fw={500} style={{ whiteSpace: 'nowrap' }}>
          Sort by
        </Text>
        <Select
          id={selectId}
          size="sm"
          w={190}
          data={sorts.map((s) => ({ value: s, label: SORT_LABELS[s] }))}
          value={sort}
          allowDeselect={false}
          checkIconPosition="right"
          onChange={(v) => v && onSort(v)}
        />
      </Group>
    </Group>
  );
}
