/** The application frame: header with the product name, the API docs link and the user menu, routed content below. */
import { Anchor, AppShell, Group, UnstyledButton } from '@mantine/core';
import { IconApi, IconChecklist, IconExternalLink, IconServerBolt, IconSettings } from '@tabler/icons-react';
import { Link, NavLink, Outlet, ScrollRestoration } from 'react-router-dom';
import { useAuth } from '../auth/auth-context';
import { UserMenu } from '../auth/user-menu';
import { Brand } from './brand';

export function AppLayout() {
  const { me } = useAuth();
  const staff = me.user.platformRole !== 'none';
  return (
    <AppShell header={{ height: 60 }} padding={0}>
      <AppShell.Header>
        <Group h="100%" px="lg" justify="space-between" wrap="nowrap" maw={1500} mx="auto">
          <UnstyledButton component={Link} to="/" aria-label="Model Garden home" className="brand-link">
            <Brand />
          </UnstyledButton>
          <Group gap="lg" wrap="nowrap">
            <Anchor component={NavLink} to="/reviews" size="sm" fw={500}>
              <Group gap={6} wrap="nowrap">
                <IconChecklist size={18} aria-hidden />
                Reviews
              </Group>
            </Anchor>
            <Anchor component={NavLink} to="/endpoints" size="sm" fw={500}>
              <Group gap={6} wrap="nowrap">
                <IconServerBolt size={18} aria-hidden />
                Endpoints
              </Group>
            </Anchor>
            {staff && (
              <Anchor component={NavLink} to="/admin" size="sm" fw={500}>
                <Group gap={6} wrap="nowrap">
                  <IconSettings size={18} aria-hidden />
                  Admin
                </Group>
              </Anchor>
            )}
            <Anchor href="/docs" target="_blank" rel="noopener" size="sm" fw={500}>
              <Group gap={6} wrap="nowrap">
                <IconApi size={18} aria-hidden />
                API docs
                <IconExternalLink size={14} aria-label="(opens in a new tab)" />
              </Group>
            </Anchor>
            <UserMenu />
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
