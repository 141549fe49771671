/** Deployment templates: what each standard way to run a model sets, and (admins) editing one as JSON. */
import { Badge, Button, Card, Group, Modal, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { putTemplate, type DeploymentTemplate } from '../api/deployments';
import { ErrorAlert } from '../components/error-alert';
import { useTemplates } from '../deploy/deployment-queries';
import { formatDateTime } from '../lib/format';

export function TemplatesPanel({ canEdit }: { canEdit: boolean }) {
  const templates = useTemplates();
  const [editing, setEditing] = useState<DeploymentTemplate | null>(null);
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="templates-title">
      <Stack gap="md">
        <div>
          <Title order={2} size="h4" id="templates-title">
            Deployment templates
          </Title>
          <Text size="sm" c="dimmed" mt={4}>
            The standard ways to run a model. Evaluation endpoints use the “evaluation” template.
          </Text>
        </div>
        {templates.isError ? (
          <ErrorAlert error={templates.error} title="The templates could not be loaded" />
        ) : templates.isPending ? (
          <Text size="sm" c="dimmed">Loading…</Text>
        ) : (
          <Table.ScrollContainer minWidth={980}>
            <Table fz="sm" verticalSpacing={6} aria-label="Deployment templates">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Resources</Table.Th>
                  <Table.Th ta="right">GPUs</Table.Th>
                  <Table.Th>Replicas</Table.Th>
                  <Table.Th>Scales on</Table.Th>
                  <Table.Th ta="right">Timeout</Table.Th>
                  <Table.Th ta="right">Latency target</Table.Th>
                  <Table.Th>Updated</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {templates.data.map((t) => {
                  const s = t.settings;
                  return (
                    <Table.Tr key={t.name} data-template={t.name}>
                      <Table.Td maw={280}>
                        <Group gap={6} wrap="nowrap">
                          <Text size="sm" fw={600} ff="monospace">
                            {t.name}
                          </Text>
                          {t.builtIn && (
                            <Badge size="xs" variant="outline" color="gray">
                              built in
                            </Badge>
                          )}
                        </Group>
                        <Text size="xs" c="dimmed" lineClamp={2} title={t.description}>
                          {t.description}
                        </Text>
                      </Table.Td>
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>
                        {s.resources.cpu} CPU · {s.resources.memory}
                      </Table.Td>
                      <Table.Td ta="right">{s.resources.gpus}</Table.Td>
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>
                        {s.autoscaling.minReplicas}–{s.autoscaling.maxReplicas}
                      </Table.Td>
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>
                        {s.autoscaling.metric} {s.autoscaling.target}
                      </Table.Td>
                      <Table.Td ta="right">{s.timeoutSeconds} s</Table.Td>
                      <Table.Td ta="right">{s.latencyTargetMs} ms</Table.Td>
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(t.updatedAt)}</Table.Td>
                      <Table.Td ta="right">
                        {canEdit && (
                          <Button size="xs" variant="light" onClick={() => setEditing(t)} aria-label={`Edit ${t.name}`}>
                            Edit
                          </Button>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Stack>
      {editing && <EditTemplateModal key={editing.name} template={editing} onClose={() => setEditing(null)} />}
    </Card>
  );
}

function parseSettings(text: string): { value: unknown } | { error: string } {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return { error: 'The settings must be a JSON object.' };
    return { value: v };
  } catch (err) {
    return { error: `Not valid JSON: ${(err as Error).message}` };
  }
}

function EditTemplateModal({ template, onClose }: { template: DeploymentTemplate; onClose: () => void }) {
  const client = useQueryClient();
  const [description, setDescription] = useState(template.description);
  const [text, setText] = useState(() => JSON.stringify(template.settings, null, 2));
  const parsed = parseSettings(text);
  const save = useMutation({
    mutationFn: (settings: unknown) => putTemplate(template.name, description, settings),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['deployment-templates'] });
      onClose();
    },
  });
  return (
    <Modal opened onClose={onClose} title={`Edit template “${template.name}”`} size="lg">
      <Stack gap="md">
        <Textarea label="Description" value={description} onChange={(e) => setDescription(e.currentTarget.value)} autosize minRows={2} maxLength={500} />
        <Textarea
          label="Settings"
          description="Resources, health checks, autoscaling, timeout, deployment mode, labels and latency target. The server checks every field."
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
          spellCheck={false}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 'var(--mantine-font-size-xs)' } }}
          autosize
          minRows={12}
          maxRows={24}
          error={'error' in parsed ? parsed.error : undefined}
        />
        {save.isError && <ErrorAlert error={save.error} title="The template was not saved" />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button loading={save.isPending} disabled={'error' in parsed} onClick={() => 'value' in parsed && save.mutate(parsed.value)}>
            Save template
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
