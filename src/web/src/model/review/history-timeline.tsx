/** Who did what to this version, when and why: the audit events, oldest first. */
import { Card, Text, Timeline, Title } from '@mantine/core';
import type { HistoryEvent } from '../../api/governance';
import { formatDateTime } from '../../lib/format';
import { actionLabel } from './review-format';

/** The "why" of an event: its comment or reason, when it has one. */
function reasonOf(e: HistoryEvent): string | null {
  for (const key of ['reason', 'comment'] as const) {
    const v = e.details[key];
    if (typeof v === 'string' && v.trim()) return v;
  }
  return null;
}

export function HistoryTimeline({ events }: { events: HistoryEvent[] }) {
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="history-title">
      <Title order={3} size="h4" id="history-title" mb="md">
        History
      </Title>
      {events.length === 0 ? (
        <Text size="sm" c="dimmed">Nothing has happened to this version yet.</Text>
      ) : (
        <Timeline active={events.length - 1} bulletSize={14} lineWidth={2} data-testid="review-history">
          {events.map((e) => {
            const why = reasonOf(e);
            const verdict = typeof e.details.verdict === 'string' ? e.details.verdict : null;
            return (
              <Timeline.Item key={e.seq} title={actionLabel(e.action)}>
                <Text size="sm">
                  {e.actorName}{' '}
                  <Text span size="xs" c="dimmed">
                    · {formatDateTime(e.at)}
                  </Text>
                </Text>
                {verdict && (
                  <Text size="sm" c="dimmed" mt={2}>
                    Verdict: {verdict}
                  </Text>
                )}
                {why && (
                  <Text size="sm" c="dimmed" fs="italic" mt={2}>
                    “{why}”
                  </Text>
                )}
              </Timeline.Item>
            );
          })}
        </Timeline>
      )}
    </Card>
  );
}
