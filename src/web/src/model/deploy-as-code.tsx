/**
 * "Deploy to production": deployment as code. A ready-to-commit deployment.yaml for this version
 * and the three commands a CI job runs on it (dry run for the GitOps pull request, smoke test,
 * deploy), so a team deploys without filing a ticket and without a form that bypasses review.
 */
import { Alert, Button, Card, Code, CopyButton, Group, Stack, Text, Title } from '@mantine/core';
import { IconCheck, IconCopy, IconInfoCircle } from '@tabler/icons-react';

interface Props {
  slug: string;
  version: string;
  ownerTeam: string;
  approvedUseCases: string[];
  maturity: string;
}

const quote = (s: string) => (/^[\w .-]+$/.test(s) && !/^(yes|no|on|off|true|false|null)$/i.test(s) ? s : JSON.stringify(s));

export function deploymentYaml(p: Props): string {
  return [
    'apiVersion: garden/v1',
    'kind: Deployment',
    `model: ${p.slug}@${p.version}`,
    'template: low-latency        # or batch, streaming, or one your admins added',
    `team: ${quote(p.ownerTeam)}`,
    `useCase: ${quote(p.approvedUseCases[0] ?? 'name an approved use case')}`,
    'environment: production',
    'smoke:',
    '  inputs:',
    '    - replace with a typical request',
    '',
  ].join('\n');
}

export function DeployAsCode(p: Props) {
  const yaml = deploymentYaml(p);
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="deploy-code-title">
      <Stack gap="sm">
        <Title order={3} size="h4" id="deploy-code-title">
          Deploy to production
        </Title>
        <Text size="sm" c="dimmed">
          Production deployments are code: commit this <Code>deployment.yaml</Code> next to the service that calls the model. Policy, quota and the
          rendered manifests are checked before anything starts.
        </Text>
        {p.maturity === 'experimental' && (
          <Alert color="orange" variant="light" icon={<IconInfoCircle aria-hidden />}>
            This version is experimental: it may only be used for evaluation, so a production deployment is refused until it is validated.
          </Alert>
        )}
        <div style={{ position: 'relative' }}>
          <Code block data-testid="deployment-yaml">
            {yaml}
          </Code>
          <CopyButton value={yaml}>
            {({ copied, copy }) => (
              <Button size="xs" variant="default" onClick={copy} leftSection={copied ? <IconCheck size={14} aria-hidden /> : <IconCopy size={14} aria-hidden />} style={{ position: 'absolute', top: 8, right: 8 }}>
                {copied ? 'Copied' : 'Copy'}
              </Button>
            )}
          </CopyButton>
        </div>
        <Group gap="xs" wrap="wrap">
          <Code>garden deploy -f deployment.yaml --dry-run</Code>
          <Text size="sm" c="dimmed">
            manifests for the pull request ·
          </Text>
          <Code>garden smoke-test -f deployment.yaml</Code>
          <Text size="sm" c="dimmed">
            in CI ·
          </Text>
          <Code>garden deploy -f deployment.yaml</Code>
        </Group>
      </Stack>
    </Card>
  );
}
