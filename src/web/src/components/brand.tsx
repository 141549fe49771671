/** The product's mark: the plant icon, the name and the tagline (header and login page). */
import { Group, Text, ThemeIcon } from '@mantine/core';
import { IconPlant2 } from '@tabler/icons-react';

export function Brand() {
  return (
    <Group gap="xs" wrap="nowrap">
      <ThemeIcon size={34} radius="md" color="green" variant="filled" aria-hidden>
        <IconPlant2 size={22} />
      </ThemeIcon>
      <div>
        <Text fw={700} size="lg" lh={1.1}>
          Model Garden
        </Text>
        <Text size="xs" c="dimmed" lh={1.1} visibleFrom="xs">
          Approved AI models for your team
        </Text>
      </div>
    </Group>
  );
}
