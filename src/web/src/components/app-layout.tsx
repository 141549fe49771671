/** The application frame: header with the product name and the API docs link, routed content below. */
import { Anchor, AppShell, Group, Text, ThemeIcon, UnstyledButton } from '@mantine/core';
import { IconApi, IconExternalLink, IconPlant2 } from '@tabler/icons-react';
import { Link, Outlet, ScrollRestoration } from 'react-router-dom';

export function AppLayout() {
  return (
    <AppShell header={{ height: 60 }} padding={0}>
      <AppShell.Header>
        <Group h="100%" px="lg" justify="space-between" wrap="nowrap" maw={1500} mx="auto">
          <UnstyledButton component={Link} to="/" aria-label="Model Garden home" className="brand-link">
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
          </UnstyledButton>
          <Group gap="lg" wrap="nowrap">
            <Anchor href="/docs" target="_blank" rel="noopener" size="sm" fw={500}>
              <Group gap={6} wrap="nowrap">
                <IconApi size={18} aria-hidden />
                API docs
                <IconExternalLink size={14} aria-label="(opens in a new tab)" />
              </Group>
            </Anchor>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Main>
        <ScrollRestoration />
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
