/** Route "/reviews": what waits for the signed-in user, and the submissions of their teams. */
import { Anchor, Badge, Card, Container, Loader, Stack, Table, Text, Title } from '@mantine/core';
import { useEffect } from 'react';
import { Link } from 'react-router-dom';
import { STAGE_COLORS, STAGE_LABELS, type Submission } from '../api/governance';
import { ErrorAlert } from '../components/error-alert';
import { DASH, formatDateTime } from '../lib/format';
import { useReviewQueue } from '../model/review/review-queries';

const reviewLink = (s: Submission) => `/models/${encodeURIComponent(s.slug)}?version=${encodeURIComponent(s.version)}&tab=review`;

function SubmissionTable({ items, empty, label }: { items: Submission[]; empty: string; label: string }) {
  if (items.length === 0) return <Text size="sm" c="dimmed">{empty}</Text>;
  return (
    <Table.ScrollContainer minWidth={640}>
      <Table highlightOnHover aria-label={label} verticalSpacing="sm">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Model version</Table.Th>
            <Table.Th>Team</Table.Th>
            <Table.Th>Stage</Table.Th>
            <Table.Th>Submitted by</Table.Th>
            <Table.Th>Submitted</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((s) => (
            <Table.Tr key={`${s.slug}@${s.version}`}>
              <Table.Td>
                <Anchor component={Link} to={reviewLink(s)} fw={500}>
                  {s.slug} {s.version}
                </Anchor>
                {s.evaluationOnly && (
                  <Badge ml="xs" size="xs" color="gray" variant="outline">
                    evaluation only
                  </Badge>
                )}
              </Table.Td>
              <Table.Td>{s.ownerTeam}</Table.Td>
              <Table.Td>
                <Badge color={STAGE_COLORS[s.stage]} variant="light">
                  {STAGE_LABELS[s.stage]}
                </Badge>
              </Table.Td>
              <Table.Td>{s.submittedBy ?? DASH}</Table.Td>
              <Table.Td>{formatDateTime(s.submittedAt)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

export function ReviewsPage() {
  const queue = useReviewQueue();
  useEffect(() => {
    document.title = 'Reviews · Model Garden';
  }, []);
  return (
    <Container size={1280} px="lg" py="lg">
      <Stack gap="lg">
        <Title order={1} size="h2">
          Reviews
        </Title>
        {queue.isPending ? (
          <Loader size="sm" aria-label="Loading the review queue" />
        ) : queue.isError ? (
          <ErrorAlert error={queue.error} title="The review queue could not be loaded" />
        ) : (
          <>
            <Card withBorder padding="lg" component="section" aria-labelledby="waiting-title">
              <Title order={2} size="h4" id="waiting-title" mb="sm">
                Waiting for you ({queue.data.waitingForYou.length})
              </Title>
              <SubmissionTable items={queue.data.waitingForYou} label="Waiting for you" empty="Nothing waits for your sign-off, acknowledgement or approval." />
            </Card>
            <Card withBorder padding="lg" component="section" aria-labelledby="teams-title">
              <Title order={2} size="h4" id="teams-title" mb="sm">
                Your teams’ submissions ({queue.data.yourTeams.length})
              </Title>
              <SubmissionTable items={queue.data.yourTeams} label="Your teams’ submissions" empty="Your teams have no submissions." />
            </Card>
          </>
        )}
      </Stack>
    </Container>
  );
}
