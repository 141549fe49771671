/** Route "/admin": the audit log, deployment templates and evaluation limits (reviewers and admins; admins edit), and the background jobs (admins). */
import { Container, Stack, Title } from '@mantine/core';
import { useEffect } from 'react';
import { useAuth } from '../auth/auth-context';
import { NotFoundPage } from '../components/not-found-page';
import { AuditPanel } from './audit-panel';
import { JobsPanel } from './jobs-panel';
import { LimitsPanel } from './limits-panel';
import { TemplatesPanel } from './templates-panel';

export function AdminPage() {
  const { me } = useAuth();
  const role = me.user.platformRole;
  useEffect(() => {
    document.title = 'Admin · Model Garden';
  }, []);
  if (role === 'none') return <NotFoundPage title="Not available" description="The admin pages are for platform reviewers and administrators." />;
  return (
    <Container size={1280} px="lg" py="lg">
      <Stack gap="lg">
        <Title order={1} size="h2">
          Admin
        </Title>
        <AuditPanel />
        <TemplatesPanel canEdit={role === 'admin'} />
        <LimitsPanel canEdit={role === 'admin'} />
        {role === 'admin' && <JobsPanel />}
      </Stack>
    </Container>
  );
}
