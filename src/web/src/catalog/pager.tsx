/** Previous / Next over the API's cursor pagination, with the page number. */
import { Button, Group, Text } from '@mantine/core';
import { IconChevronLeft, IconChevronRight } from '@tabler/icons-react';

export interface PagerProps {
  page: number;
  pageCount: number | null;
  hasPrevious: boolean;
  nextCursor: string | null;
  onPrevious(): void;
  onNext(cursor: string): void;
}

export function Pager({ page, pageCount, hasPrevious, nextCursor, onPrevious, onNext }: PagerProps) {
  if (!hasPrevious && !nextCursor) return null;
  return (
    <Group justify="space-between" component="nav" aria-label="Pagination" mt="lg">
      <Button variant="default" leftSection={<IconChevronLeft size={16} aria-hidden />} disabled={!hasPrevious} onClick={onPrevious}>
        Previous
      </Button>
      <Text size="sm" c="dimmed" aria-current="page">
        Page {page}
        {pageCount ? ` of ${pageCount}` : ''}
      </Text>
      <Button
        variant="default"
        rightSection={<IconChevronRight size={16} aria-hidden />}
        disabled={!nextCursor}
        onClick={() => nextCursor && onNext(nextCursor)}
      >
        Next
      </Button>
    </Group>
  );
}
