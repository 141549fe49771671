/** The submission's path as a stepper: submitted → scan → acknowledgement (if warned) → sign-off → approval → decision. */
import { Stepper, Text } from '@mantine/core';
import { IconX } from '@tabler/icons-react';
import type { HistoryEvent, Submission } from '../../api/governance';
import { formatDateTime } from '../../lib/format';

interface Step {
  label: string;
  done: boolean;
  description: string;
}

function actorOf(history: HistoryEvent[], action: string): string | null {
  return [...history].reverse().find((e) => e.action === action)?.actorName ?? null;
}

function stepsOf(s: Submission, history: HistoryEvent[]): Step[] {
  const warned = s.scanVerdict === 'warn' || s.stage === 'awaiting_ack';
  const past = (stages: Submission['stage'][]) => !stages.includes(s.stage);
  const steps: Step[] = [
    { label: 'Submitted', done: true, description: `${s.submittedBy ?? 'unknown'} · ${formatDateTime(s.submittedAt)}${s.evaluationOnly ? ' · evaluation only' : ''}` },
    { label: 'Security scan', done: s.scanVerdict !== null, description: s.scanVerdict ? `verdict: ${s.scanVerdict}` : 'scanning files…' },
  ];
  if (warned) {
    const by = actorOf(history, 'submission.acknowledge');
    steps.push({ label: 'Acknowledgement', done: by !== null || (s.scanVerdict !== null && past(['checks', 'awaiting_ack', 'rejected'])), description: by ? `by ${by}` : 'a platform reviewer accepts the warnings' });
  }
  steps.push(
    { label: 'Team-lead sign-off', done: s.signedOffBy !== null, description: s.signedOffBy ? `by ${s.signedOffBy}` : `a team lead of ${s.ownerTeam}` },
    { label: 'Platform approval', done: s.approvedBy !== null, description: s.approvedBy ? `by ${s.approvedBy}` : 'a platform reviewer' },
  );
  return steps;
}

export function ReviewStepper({ submission, history }: { submission: Submission; history: HistoryEvent[] }) {
  const steps = stepsOf(submission, history);
  const rejected = submission.stage === 'rejected';
  const firstOpen = steps.findIndex((st) => !st.done);
  const active = firstOpen === -1 ? steps.length : firstOpen;
  const rejectedBy = actorOf(history, 'submission.reject');
  return (
    <Stepper active={rejected ? active : submission.stage === 'approved' ? steps.length + 1 : active} size="sm" aria-label="Review progress" allowNextStepsSelect={false}>
      {steps.map((st, i) => (
        <Stepper.Step
          key={st.label}
          label={st.label}
          description={<Text size="xs" c="dimmed" maw={180}>{rejected && i === active ? `stopped here${rejectedBy ? ` by ${rejectedBy}` : ''}` : st.description}</Text>}
          {...(rejected && i === active ? { color: 'red', icon: <IconX size={18} aria-hidden />, completedIcon: <IconX size={18} aria-hidden /> } : {})}
        />
      ))}
      <Stepper.Step
        label={rejected ? 'Rejected' : 'Approved'}
        description={<Text size="xs" c="dimmed" maw={180}>{rejected ? 'see the reason below' : submission.stage === 'approved' ? (submission.evaluationOnly ? 'experimental: evaluation only' : 'validated for use') : 'the decision'}</Text>}
        {...(rejected ? { color: 'red', icon: <IconX size={18} aria-hidden /> } : {})}
      />
    </Stepper>
  );
}
