/** Overview: description, key facts, structured card sections, use cases and restrictions, Markdown card. */
import { Alert, Badge, Grid, Group, List, Paper, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { IconAlertTriangle, IconCheck, IconX } from '@tabler/icons-react';
import type { ModelDetail, VersionView } from '../api/types';
import { DASH } from '../lib/format';
import { KeyFacts } from './key-facts';
import { MarkdownView } from './markdown';

function Section({ title, text }: { title: string; text: string }) {
  return (
    <Stack gap={4}>
      <Title order={3} size="h5">
        {title}
      </Title>
      <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} className="break-anywhere" c={text.trim() ? undefined : 'dimmed'}>
        {text.trim() || DASH}
      </Text>
    </Stack>
  );
}

export function OverviewTab({ model, version }: { model: ModelDetail; version: VersionView }) {
  return (
    <Stack gap="lg">
      {model.description && (
        <Text size="md" className="break-anywhere">
          {model.description}
        </Text>
      )}
      <KeyFacts version={version} />
      {model.tags.length > 0 && (
        <Group gap={6} wrap="wrap" aria-label="Tags" role="list">
          {model.tags.map((t) => (
            <Badge key={t} variant="default" radius="sm" tt="none" maw="100%" title={t} role="listitem">
              #{t}
            </Badge>
          ))}
        </Group>
      )}

      <Grid gap="lg">
        <Grid.Col span={{ base: 12, md: 6 }}>
          <Paper withBorder p="md" radius="md" h="100%">
            <Title order={3} size="h5" mb="xs">
              Approved use cases
            </Title>
            {version.approvedUseCases.length ? (
              <List
                spacing={6}
                size="sm"
                icon={
                  <ThemeIcon color="teal" size={20} radius="xl" aria-hidden>
                    <IconCheck size={13} />
                  </ThemeIcon>
                }
                data-testid="approved-use-cases"
              >
                {version.approvedUseCases.map((u) => (
                  <List.Item key={u} className="break-anywhere">
                    {u}
                  </List.Item>
                ))}
              </List>
            ) : (
              <Text size="sm" c="dimmed">
                None listed. Ask the owner team before using it in production.
              </Text>
            )}
          </Paper>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 6 }}>
          {version.restrictions.length ? (
            <Alert color="orange" variant="light" title="Restrictions" icon={<IconAlertTriangle aria-hidden />} h="100%" data-testid="restrictions">
              <List spacing={6} size="sm" icon={<IconX size={14} aria-hidden color="var(--mantine-color-red-7)" />}>
                {version.restrictions.map((r) => (
                  <List.Item key={r} className="break-anywhere">
                    <Text span size="sm" fw={500}>
                      {r}
                    </Text>
                  </List.Item>
                ))}
              </List>
            </Alert>
          ) : (
            <Paper withBorder p="md" radius="md" h="100%">
              <Title order={3} size="h5" mb="xs">
                Restrictions
              </Title>
              <Text size="sm" c="dimmed">
                None listed.
              </Text>
            </Paper>
          )}
        </Grid.Col>
      </Grid>

      <Paper withBorder p="md" radius="md">
        <Stack gap="md">
          <Section title="Intended use" text={version.card.intendedUse} />
          <Section title="Limitations" text={version.card.limitations} />
          <Section title="Training data" text={version.card.trainingData} />
        </Stack>
      </Paper>

      <Paper withBorder p="lg" radius="md" component="section" aria-label="Model card">
        <Title order={2} size="h4" mb="sm">
          Model card
        </Title>
        {version.card.markdown.trim() ? (
          <MarkdownView source={version.card.markdown} />
        ) : (
          <Text size="sm" c="dimmed">
            This version has no model card text.
          </Text>
        )}
      </Paper>
    </Stack>
  );
}
