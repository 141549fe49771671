/** Route "/endpoints": the live evaluation endpoints the user can see, with time left, the playground and "Stop". */
import { Button, Card, Container, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { IconArrowsDiff } from '@tabler/icons-react';
import { useEffect } from 'react';
import { Link } from 'react-router-dom';
import { ErrorAlert } from '../components/error-alert';
import { DeploymentCard } from '../deploy/deployment-card';
import { useDeployments } from '../deploy/deployment-queries';

export function EndpointsPage() {
  // Endpoints also stop by themselves (expiry, failure): look again now and then.
  const endpoints = useDeployments({ environment: 'evaluation', live: true }, { refetchMs: 30_000 });
  useEffect(() => {
    document.title = 'Evaluation endpoints · Model Garden';
  }, []);
  const items = endpoints.data ?? [];
  const ready = items.filter((d) => d.state === 'ready');
  return (
    <Container size={1280} px="lg" py="lg">
      <Stack gap="lg">
        <Group justify="space-between" align="flex-end">
          <div>
            <Title order={1} size="h2">
              Evaluation endpoints
            </Title>
            <Text size="sm" c="dimmed" mt={4}>
              Temporary endpoints that are starting or running. Start one from a model’s “Deploy &amp; evaluate” tab; each stops by itself when its time is up.
            </Text>
          </div>
          {ready.length >= 2 && (
            <Button variant="default" component={Link} to={`/compare?ids=${ready.slice(0, 4).map((d) => d.id).join(',')}`} leftSection={<IconArrowsDiff size={16} aria-hidden />}>
              Compare ready endpoints
            </Button>
          )}
        </Group>
        {endpoints.isError ? (
          <ErrorAlert error={endpoints.error} title="The endpoints could not be loaded" />
        ) : endpoints.isPending ? (
          <Loader size="sm" aria-label="Loading the endpoints" />
        ) : items.length === 0 ? (
          <Card withBorder padding="lg">
            <Text size="sm" c="dimmed">
              No evaluation endpoints are running.
            </Text>
          </Card>
        ) : (
          items.map((d) => <DeploymentCard key={d.id} deployment={d} showModel />)
        )}
      </Stack>
    </Container>
  );
}
