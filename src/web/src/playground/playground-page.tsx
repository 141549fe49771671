/** Route "/playground/:id": send requests to a ready endpoint (text, chat or a raw OIP body) and see outputs and latency. */
import { Alert, Anchor, Card, Container, Group, Loader, SegmentedControl, Stack, Text, Title } from '@mantine/core';
import { IconInfoCircle } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { isApiError } from '../api/client';
import { deploymentLabel, type Deployment } from '../api/deployments';
import { ErrorAlert } from '../components/error-alert';
import { NotFoundPage } from '../components/not-found-page';
import { DeploymentStateBadge, EndpointUrl, TimeLeft } from '../deploy/deployment-bits';
import { useDeployment } from '../deploy/deployment-queries';
import { StopButton } from '../deploy/stop-button';
import { ChatMode } from './chat-mode';
import { OipMode } from './oip-mode';
import { TextMode } from './text-mode';

type Mode = 'text' | 'chat' | 'oip';

export function PlaygroundPage() {
  const { id = '' } = useParams();
  const query = useDeployment(id);
  useEffect(() => {
    document.title = `Playground${query.data ? ` · ${deploymentLabel(query.data)}` : ''} · Model Garden`;
  }, [query.data]);

  if (query.isPending) {
    return (
      <Container size={1280} px="lg" py="lg">
        <Loader size="sm" aria-label="Loading the endpoint" />
      </Container>
    );
  }
  if (query.isError) {
    if (isApiError(query.error) && (query.error.status === 404 || query.error.status === 400)) {
      return <NotFoundPage title="Endpoint not found" description="There is no such endpoint, or you may not see it. It may have been stopped and removed." />;
    }
    return (
      <Container size={1280} px="lg" py="lg">
        <ErrorAlert error={query.error} title="The endpoint could not be loaded" />
      </Container>
    );
  }
  return <Playground deployment={query.data} />;
}

function Playground({ deployment: d }: { deployment: Deployment }) {
  const [mode, setMode] = useState<Mode>('text');
  const ready = d.state === 'ready';
  return (
    <Container size={1280} px="lg" py="lg">
      <Stack gap="lg">
        <Card withBorder padding="lg" component="header">
          <Stack gap="sm">
            <Group justify="space-between" wrap="wrap" gap="sm">
              <Group gap="sm" wrap="wrap" style={{ minWidth: 0 }}>
                <Title order={1} size="h2" className="break-anywhere">
                  Playground:{' '}
                  <Anchor component={Link} to={`/models/${encodeURIComponent(d.model.slug)}?version=${encodeURIComponent(d.model.version)}&tab=deploy`} inherit>
                    {d.model.slug}@{d.model.version}
                  </Anchor>
                </Title>
                <DeploymentStateBadge state={d.state} size="lg" />
                <TimeLeft deployment={d} />
              </Group>
              {d.canStop && <StopButton deployment={d} size="sm" />}
            </Group>
            <Group gap="lg" wrap="wrap">
              <Group gap={6} wrap="nowrap" style={{ minWidth: 0 }}>
                <Text size="sm" c="dimmed">
                  Endpoint
                </Text>
                <EndpointUrl url={d.endpointUrl} />
              </Group>
              <Text size="sm" c="dimmed">
                Team <Text span c="var(--mantine-color-text)">{d.team}</Text> · template <Text span c="var(--mantine-color-text)">{d.template}</Text> · engine{' '}
                <Text span c="var(--mantine-color-text)">{d.engine}</Text>
              </Text>
            </Group>
          </Stack>
        </Card>
        {!ready && (
          <Alert color={d.state === 'failed' ? 'red' : 'gray'} variant="light" icon={<IconInfoCircle aria-hidden />} title={`The endpoint is ${d.state}`}>
            {d.state === 'starting' || d.state === 'pending'
              ? 'Requests can be sent once it is ready; this page looks again every 2 seconds.'
              : d.lastError ?? 'It no longer answers requests. Start a new evaluation endpoint from the model page.'}
          </Alert>
        )}
        <Card withBorder padding="lg" component="section" aria-label="Requests">
          <Stack gap="md">
            <SegmentedControl
              value={mode}
              onChange={setMode}
              data={[
                { value: 'text', label: 'Text' },
                { value: 'chat', label: 'Chat' },
                { value: 'oip', label: 'Raw OIP' },
              ]}
              w={360}
              aria-label="Request mode"
            />
            {mode === 'text' && <TextMode id={d.id} disabled={!ready} />}
            {mode === 'chat' && <ChatMode id={d.id} disabled={!ready} />}
            {mode === 'oip' && <OipMode id={d.id} modelName={d.modelName} disabled={!ready} />}
          </Stack>
        </Card>
      </Stack>
    </Container>
  );
}
