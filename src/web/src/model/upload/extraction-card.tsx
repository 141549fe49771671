/**
 * "What the files say": reads the committed files' headers on the server and offers to write what
 * they state into the draft's empty fields (what the owner wrote is never overwritten).
 */
import { Alert, Button, Card, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { IconCheck, IconFileSearch, IconInfoCircle, IconWand } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useExtraction } from '../../api/queries';
import { prefillVersion } from '../../api/registry';
import { ErrorAlert } from '../../components/error-alert';
import { ExtractionFacts } from './extraction-facts';

const FIELD_NAMES: Record<string, string> = {
  architecture: 'architecture',
  parameters: 'parameter count',
  contextLength: 'context length',
  languages: 'languages',
  license: 'licence',
  benchmarks: 'benchmarks',
  card: 'model card text',
  hardware: 'hardware needs',
  compatibility: 'compatibility',
};

export interface ExtractionCardProps {
  slug: string;
  version: string;
  open: boolean;
  onOpen(): void;
}

export function ExtractionCard({ slug, version, open, onOpen }: ExtractionCardProps) {
  const queryClient = useQueryClient();
  const extraction = useExtraction(slug, version, open);
  const prefill = useMutation({
    mutationFn: () => prefillVersion(slug, version),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['model', slug] }),
  });

  if (!open) {
    return (
      <Card withBorder radius="md" padding="md">
        <Group justify="space-between" gap="sm">
          <Text size="sm" c="dimmed" style={{ flex: '1 1 320px' }}>
            The files can tell the architecture, parameter count, context length, formats and hardware needs of this version.
          </Text>
          <Button variant="light" leftSection={<IconFileSearch size={16} aria-hidden />} onClick={onOpen}>
            Read model card from files
          </Button>
        </Group>
      </Card>
    );
  }

  const filled = prefill.data?.filled ?? [];
  return (
    <Card withBorder radius="md" padding="lg" component="section" aria-labelledby="extraction-title" aria-busy={extraction.isFetching}>
      <Title order={2} size="h4" id="extraction-title" mb="sm">
        What the files say
      </Title>
      {extraction.isPending ? (
        <Group gap="sm" role="status">
          <Loader size="sm" />
          <Text size="sm" c="dimmed">
            Reading the file headers…
          </Text>
        </Group>
      ) : extraction.isError ? (
        <ErrorAlert error={extraction.error} title="The files could not be read" />
      ) : (
        <Stack gap="md">
          <ExtractionFacts extraction={extraction.data} />
          <Group justify="space-between" gap="sm">
            <Text size="sm" c="dimmed" style={{ flex: '1 1 320px' }}>
              Filling writes these values only into fields of this draft that are still empty.
            </Text>
            <Button leftSection={<IconWand size={16} aria-hidden />} loading={prefill.isPending} onClick={() => prefill.mutate()}>
              Fill empty fields
            </Button>
          </Group>
        </Stack>
      )}
      <div aria-live="polite">
        {prefill.isError && <ErrorAlert error={prefill.error} title="The fields could not be filled" />}
        {prefill.isSuccess &&
          (filled.length > 0 ? (
            <Alert mt="md" color="green" variant="light" icon={<IconCheck aria-hidden />} title="Fields filled" data-testid="prefill-result">
              Filled from the files: {filled.map((k) => FIELD_NAMES[k] ?? k).join(', ')}. The Overview and Hardware tabs show them now.
            </Alert>
          ) : (
            <Alert mt="md" color="gray" variant="light" icon={<IconInfoCircle aria-hidden />} title="Nothing to fill" data-testid="prefill-result">
              Every field the files describe already has a value; nothing was changed.
            </Alert>
          ))}
      </div>
    </Card>
  );
}
