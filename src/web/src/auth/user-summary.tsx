/** Who is signed in, as the user menu shows it: name, username, email, platform role and teams. */
import { Badge, Group, Stack, Text } from '@mantine/core';
import type { Me } from '../api/types';
import { PLATFORM_ROLE_LABELS, TEAM_ROLE_LABELS } from './role-labels';

export function UserSummary({ me }: { me: Me }) {
  const { user, teams } = me;
  return (
    <Stack gap={10} px="sm" py={8} data-testid="user-summary">
      <div>
        <Text size="sm" fw={600} className="break-anywhere">
          {user.name || user.username}
        </Text>
        <Text size="xs" c="dimmed" className="break-anywhere">
          {user.username}
          {user.email && ` · ${user.email}`}
        </Text>
      </div>
      {user.platformRole !== 'none' && (
        <Badge variant="light" color={user.platformRole === 'admin' ? 'grape' : 'blue'} data-testid="platform-role">
          {PLATFORM_ROLE_LABELS[user.platformRole]}
        </Badge>
      )}
      <Stack gap={4}>
        <Text size="xs" fw={600} c="dimmed" tt="uppercase">
          Teams
        </Text>
        {teams.length === 0 ? (
          <Text size="sm" c="dimmed">
            Not a member of any team
          </Text>
        ) : (
          teams.map((t) => (
            <Group key={t.slug} gap="xs" justify="space-between" wrap="nowrap" data-team={t.slug}>
              <Text size="sm" truncate="end" title={t.name}>
                {t.name}
              </Text>
              <Badge size="sm" variant="outline" color="gray" style={{ flexShrink: 0 }}>
                {TEAM_ROLE_LABELS[t.role]}
              </Badge>
            </Group>
          ))
        )}
      </Stack>
    </Stack>
  );
}
