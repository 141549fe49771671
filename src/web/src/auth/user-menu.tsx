/** The header's account menu: who is signed in, their roles and teams, "API tokens" and "Sign out". */
import { Avatar, Group, Menu, Text, UnstyledButton } from '@mantine/core';
import { IconChevronDown, IconKey, IconLogout } from '@tabler/icons-react';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { useAuth } from './auth-context';
import { UserSummary } from './user-summary';

export function UserMenu() {
  const { me, signOut } = useAuth();
  const [signingOut, setSigningOut] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const display = me.user.name || me.user.username;

  const onSignOut = async () => {
    setSigningOut(true);
    setError(null);
    try {
      await signOut(); // unmounts this menu on success
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setSigningOut(false);
    }
  };

  return (
    <Menu position="bottom-end" width={280} shadow="md" withinPortal>
      <Menu.Target>
        <UnstyledButton aria-label={`Account menu: ${display}`} className="user-menu-target">
          <Group gap={8} wrap="nowrap">
            <Avatar name={display} color="initials" size={32} radius="xl" />
            <Text size="sm" fw={500} truncate="end" maw={180} visibleFrom="sm" data-testid="user-name">
              {display}
            </Text>
            <IconChevronDown size={14} aria-hidden />
          </Group>
        </UnstyledButton>
      </Menu.Target>
      <Menu.Dropdown>
        <UserSummary me={me} />
        <Menu.Divider />
        <Menu.Item component={Link} to="/tokens" leftSection={<IconKey size={16} aria-hidden />}>
          API tokens
        </Menu.Item>
        <Menu.Divider />
        {error && (
          <Text size="xs" c="red" px="sm" py={4} role="alert">
            Could not sign out: {error}
          </Text>
        )}
        <Menu.Item
          leftSection={<IconLogout size={16} aria-hidden />}
          closeMenuOnClick={false}
          disabled={signingOut}
          onClick={() => void onSignOut()}
        >
          Sign out
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
