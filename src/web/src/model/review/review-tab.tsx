/** The "Review" tab of a version: where its review stands, what the user may do, the scan report and the history. */
import { Alert, Badge, Card, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { IconInfoCircle } from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { STAGE_COLORS, STAGE_LABELS } from '../../api/governance';
import type { Lifecycle } from '../../api/types';
import { useAuth } from '../../auth/auth-context';
import { ErrorAlert } from '../../components/error-alert';
import { HistoryTimeline } from './history-timeline';
import { ReviewActions } from './review-actions';
import { useHistory, useSubmission } from './review-queries';
import { ReviewStepper } from './review-stepper';
import { ScanReport } from './scan-report';
import { SubmitPanel } from './submit-panel';

interface Props {
  slug: string;
  version: string;
  ownerTeam: string;
  lifecycle: Lifecycle;
}

export function ReviewTab({ slug, version, ownerTeam, lifecycle }: Props) {
  const { me } = useAuth();
  const submission = useSubmission(slug, version);
  const history = useHistory(slug, version);
  const client = useQueryClient();
  const stage = submission.data?.stage;
  const reviewedLifecycle = submission.data?.lifecycle;
  const seenStage = useRef<string | undefined>(undefined);
  // The scan job moves the stage on its own: its audit event belongs in the history, and the
  // version's lifecycle (shown in the header) may have changed too. The first answer only
  // refreshes the model when the header is out of date; the history was just loaded with it.
  useEffect(() => {
    if (stage === undefined) return;
    const changed = seenStage.current !== undefined && seenStage.current !== stage;
    seenStage.current = stage;
    if (changed) void client.invalidateQueries({ queryKey: ['review', slug, version, 'history'] });
    if (changed || reviewedLifecycle !== lifecycle) void client.invalidateQueries({ queryKey: ['model', slug] });
  }, [client, slug, version, stage, reviewedLifecycle, lifecycle]);
  // The server decides (contributors of the owner team); this only hides a button that would fail.
  const mayAct = me.user.platformRole === 'admin' || me.teams.some((t) => t.slug === ownerTeam);
  const canSubmit = lifecycle === 'draft' && mayAct;

  if (submission.isPending) return <Loader size="sm" aria-label="Loading the review" />;
  if (submission.isError) return <ErrorAlert error={submission.error} title="The review could not be loaded" />;
  const sub = submission.data;
  const events = history.data?.items ?? [];

  return (
    <Stack gap="lg" data-testid="review-panel">
      {sub !== null && (
        <Card withBorder padding="lg" component="section" aria-labelledby="review-status-title">
          <Stack gap="md">
            <Group justify="space-between" wrap="wrap">
              <Group gap="sm">
                <Title order={3} size="h4" id="review-status-title">
                  Review of version {version}
                </Title>
                <Badge color={STAGE_COLORS[sub.stage]} variant="light" size="lg" data-testid="review-stage">
                  {STAGE_LABELS[sub.stage]}
                </Badge>
                {sub.evaluationOnly && (
                  <Badge color="gray" variant="outline">
                    Evaluation only
                  </Badge>
                )}
              </Group>
              <ReviewActions submission={sub} />
            </Group>
            <ReviewStepper submission={sub} history={events} />
            {sub.stage === 'rejected' && sub.rejectReason && (
              <Alert color="red" variant="light" title="Rejected" role="status">
                {sub.rejectReason}
              </Alert>
            )}
          </Stack>
        </Card>
      )}
      {sub === null && !canSubmit && (
        <Alert color="gray" variant="light" icon={<IconInfoCircle aria-hidden />} title="Not submitted">
          Version {version} has not been submitted for review.
        </Alert>
      )}
      {canSubmit && sub === null && <SubmitPanel slug={slug} version={version} />}
      {sub !== null && <ScanReport slug={slug} version={version} scanned={sub.scanVerdict !== null} />}
      {history.isError ? (
        <ErrorAlert error={history.error} title="The history could not be loaded" />
      ) : history.isPending ? (
        <Text size="sm" c="dimmed">Loading the history…</Text>
      ) : (
        <HistoryTimeline events={events} />
      )}
    </Stack>
  );
}
