/** Placeholder for the model page while it loads. */
import { Container, Group, SimpleGrid, Skeleton, Stack } from '@mantine/core';

export function ModelPageSkeleton() {
  return (
    <Container size={1280} px="lg" py="lg" aria-busy="true" aria-label="Loading model">
      <Stack gap="lg">
        <Skeleton height={12} width={160} radius="sm" />
        <Group justify="space-between" align="flex-start">
          <Stack gap="sm" style={{ flex: 1 }}>
            <Skeleton height={30} width="45%" radius="sm" />
            <Skeleton height={14} width="30%" radius="sm" />
            <Group gap="xs">
              <Skeleton height={26} width={100} radius="xl" />
              <Skeleton height={26} width={100} radius="xl" />
              <Skeleton height={26} width={160} radius="xl" />
            </Group>
          </Stack>
          <Skeleton height={56} width={240} radius="sm" />
        </Group>
        <Skeleton height={36} radius="sm" />
        <SimpleGrid cols={4} spacing="sm">
          {Array.from({ length: 8 }, (_, i) => (
            <Skeleton key={i} height={58} radius="md" />
          ))}
        </SimpleGrid>
        <Skeleton height={220} radius="md" />
      </Stack>
    </Container>
  );
}
