/** "Submit for review" on a draft of the user's team; a 422 shows what the draft still lacks. */
import { Alert, Button, Card, Checkbox, Group, List, Stack, Text, Title } from '@mantine/core';
import { IconListCheck } from '@tabler/icons-react';
import { useState } from 'react';
import { isApiError } from '../../api/client';
import { ErrorAlert } from '../../components/error-alert';
import { useSubmit } from './review-queries';

function missingOf(err: unknown): string[] | null {
  if (!isApiError(err) || err.code !== 'SUBMISSION_INCOMPLETE') return null;
  const m = err.details?.missing;
  return Array.isArray(m) ? m.map(String) : [];
}

export function SubmitPanel({ slug, version }: { slug: string; version: string }) {
  const [evaluationOnly, setEvaluationOnly] = useState(false);
  const submit = useSubmit(slug, version);
  const missing = submit.isError ? missingOf(submit.error) : null;
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="submit-title">
      <Stack gap="sm">
        <Title order={3} size="h4" id="submit-title">
          Submit for review
        </Title>
        <Text size="sm" c="dimmed">
          Version {version} is a draft. Submitting it starts a security scan of its files, then a team-lead sign-off and a platform approval. The draft needs a complete model card, an approved use case, committed files and a benchmark on a registered suite.
        </Text>
        <Checkbox
          label="Evaluation only"
          description="Reviewed for evaluation use, not for production deployment."
          checked={evaluationOnly}
          onChange={(e) => setEvaluationOnly(e.currentTarget.checked)}
        />
        <Group>
          <Button onClick={() => submit.mutate(evaluationOnly)} loading={submit.isPending}>
            Submit for review
          </Button>
        </Group>
        {missing ? (
          <Alert color="orange" variant="light" icon={<IconListCheck aria-hidden />} title="This draft is not ready yet" role="alert">
            <Text size="sm" mb="xs">
              Complete these before submitting:
            </Text>
            <List size="sm" spacing={4}>
              {missing.map((m) => (
                <List.Item key={m}>{m}</List.Item>
              ))}
            </List>
          </Alert>
        ) : (
          submit.isError && <ErrorAlert error={submit.error} title="The version could not be submitted" />
        )}
      </Stack>
    </Card>
  );
}
