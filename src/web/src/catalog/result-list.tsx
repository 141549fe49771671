/** The result cards, their loading skeletons and the empty state. */
import { Button, Card, EmptyState, Group, Skeleton, Stack } from '@mantine/core';
import { IconFilterOff, IconMoodEmpty } from '@tabler/icons-react';
import type { ModelSummary } from '../api/types';
import { ResultCard } from './result-card';

export function ResultSkeletons({ count = 4 }: { count?: number }) {
  return (
    <Stack gap="md" aria-hidden data-testid="result-skeletons">
      {Array.from({ length: count }, (_, i) => (
        <Card key={i} withBorder radius="md" padding="lg">
          <Group justify="space-between" wrap="nowrap">
            <Skeleton height={18} width="40%" radius="sm" />
            <Skeleton height={20} width={90} radius="xl" />
          </Group>
          <Skeleton height={10} width="25%" mt={10} radius="sm" />
          <Skeleton height={12} mt={16} radius="sm" />
          <Skeleton height={12} width="80%" mt={8} radius="sm" />
          <Group gap="xs" mt={16}>
            <Skeleton height={18} width={110} radius="sm" />
            <Skeleton height={18} width={70} radius="sm" />
          </Group>
          <Group gap="lg" mt={16}>
            {[90, 80, 100, 90].map((w, j) => (
              <Skeleton key={j} height={12} width={w} radius="sm" />
            ))}
          </Group>
        </Card>
      ))}
    </Stack>
  );
}

export interface ResultListProps {
  items: ModelSummary[];
  /** Shown in the empty state (the API explains why nothing matched). */
  message: string | null;
  canClear: boolean;
  onClear(): void;
}

export function ResultList({ items, message, canClear, onClear }: ResultListProps) {
  if (items.length === 0) {
    return (
      <Card withBorder radius="md" py={48}>
        <EmptyState
          icon={<IconMoodEmpty size={32} aria-hidden />}
          variant="light"
          color="gray"
          title="No models found"
          description={message ?? 'Nothing in the catalog matches this search yet.'}
        >
          {canClear && (
            <EmptyState.Actions>
              <Button variant="light" leftSection={<IconFilterOff size={16} aria-hidden />} onClick={onClear}>
                Clear search and filters
              </Button>
            </EmptyState.Actions>
          )}
        </EmptyState>
      </Card>
    );
  }
  return (
    <Stack gap="md" component="ul" aria-label="Models" p={0} m={0} style={{ listStyle: 'none' }}>
      {items.map((m) => (
        <li key={m.slug}>
          <ResultCard model={m} />
        </li>
      ))}
    </Stack>
  );
}
