/** A friendly page for unknown routes and models that do not exist. */
import { Button, Container, EmptyState } from '@mantine/core';
import { IconArrowLeft, IconSearchOff } from '@tabler/icons-react';
import { Link } from 'react-router-dom';

export function NotFoundPage({ title = 'Page not found', description }: { title?: string; description?: React.ReactNode }) {
  return (
    <Container size="sm" py={80}>
      <EmptyState
        size="lg"
        variant="light"
        color="gray"
        icon={<IconSearchOff size={36} aria-hidden />}
        title={title}
        description={description ?? 'There is nothing at this address. It may have been moved, or the link is mistyped.'}
      >
        <EmptyState.Actions>
          <Button component={Link} to="/" leftSection={<IconArrowLeft size={16} aria-hidden />}>
            Back to the catalog
          </Button>
        </EmptyState.Actions>
      </EmptyState>
    </Container>
  );
}
