/** The steps the signed-in user may take now (`next`), each confirmed in a modal with a comment or reason. */
import { Button, Group, Modal, Stack, Text, Textarea } from '@mantine/core';
import { useState } from 'react';
import type { ReviewAction, Submission } from '../../api/governance';
import { ErrorAlert } from '../../components/error-alert';
import { useReviewAction } from './review-queries';

const ACTIONS: Record<ReviewAction, { label: string; color: string; field: string; required: boolean; help: string }> = {
  acknowledge: { label: 'Acknowledge warnings', color: 'yellow', field: 'Comment', required: true, help: 'Say why the scan’s warnings are acceptable.' },
  'sign-off': { label: 'Sign off', color: 'blue', field: 'Comment (optional)', required: false, help: 'As team lead, you vouch for this version.' },
  approve: { label: 'Approve', color: 'green', field: 'Comment (optional)', required: false, help: 'The version becomes validated (experimental when submitted for evaluation only).' },
  reject: { label: 'Reject', color: 'red', field: 'Reason', required: true, help: 'The submitter sees this reason; the version cannot be submitted again.' },
};
const ORDER: ReviewAction[] = ['acknowledge', 'sign-off', 'approve', 'reject'];

export function ReviewActions({ submission }: { submission: Submission }) {
  const [open, setOpen] = useState<ReviewAction | null>(null);
  const [text, setText] = useState('');
  const mutation = useReviewAction(submission.slug, submission.version);
  const allowed = ORDER.filter((a) => submission.next.includes(a));
  if (allowed.length === 0) return null;
  const spec = open ? ACTIONS[open] : null;
  const close = () => {
    setOpen(null);
    setText('');
    mutation.reset();
  };
  return (
    <>
      <Group gap="sm">
        {allowed.map((a) => (
          <Button key={a} color={ACTIONS[a].color} variant={a === 'reject' ? 'outline' : 'filled'} onClick={() => setOpen(a)}>
            {ACTIONS[a].label}
          </Button>
        ))}
      </Group>
      <Modal opened={open !== null} onClose={close} title={spec ? `${spec.label}: ${submission.slug} ${submission.version}` : ''} centered>
        {open && spec && (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              mutation.mutate({ action: open, text }, { onSuccess: close });
            }}
          >
            <Stack>
              <Text size="sm">{spec.help}</Text>
              <Textarea label={spec.field} required={spec.required} autosize minRows={3} value={text} onChange={(e) => setText(e.currentTarget.value)} data-autofocus />
              {mutation.isError && <ErrorAlert error={mutation.error} title={`${spec.label} failed`} />}
              <Group justify="flex-end">
                <Button variant="default" onClick={close}>
                  Cancel
                </Button>
                <Button type="submit" color={spec.color} loading={mutation.isPending} disabled={spec.required && !text.trim()}>
                  {spec.label}
                </Button>
              </Group>
            </Stack>
          </form>
        )}
      </Modal>
    </>
  );
}
