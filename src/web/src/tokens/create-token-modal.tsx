/** "Create token": name, scopes and expiry; then the new token, shown once, ready to copy. */
import { ActionIcon, Alert, Button, Checkbox, Code, CopyButton, Group, Modal, NumberInput, Stack, Text, TextInput, Tooltip } from '@mantine/core';
import { IconAlertTriangle, IconCheck, IconCopy } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { createToken, TOKEN_SCOPES, TOKENS_KEY, type ApiToken, type TokenScope } from '../api/tokens';
import { ErrorAlert } from '../components/error-alert';

const SCOPE_HELP: Record<TokenScope, string> = {
  read: 'Search and download models',
  write: 'Create models and versions, upload files',
  deploy: 'Deployment tooling',
  admin: 'Everything an administrator may do',
};

export interface CreateTokenModalProps {
  opened: boolean;
  onClose(): void;
  isAdmin: boolean;
}

export function CreateTokenModal({ opened, onClose, isAdmin }: CreateTokenModalProps) {
  const client = useQueryClient();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['read']);
  const [days, setDays] = useState<string | number>(90);
  const [created, setCreated] = useState<{ token: string; info: ApiToken } | null>(null);
  const create = useMutation({
    mutationFn: createToken,
    onSuccess: (res) => {
      setCreated(res);
      void client.invalidateQueries({ queryKey: TOKENS_KEY });
    },
  });
  // The server refuses the admin scope to anyone else; this only leaves out a box that would fail.
  const available = TOKEN_SCOPES.filter((s) => isAdmin || s !== 'admin');
  const dayCount = typeof days === 'number' ? days : Number(days);
  const daysValid = Number.isInteger(dayCount) && dayCount >= 1 && dayCount <= 366;
  const valid = name.trim().length > 0 && name.trim().length <= 100 && scopes.length > 0 && daysValid;

  const close = () => {
    onClose();
    setName('');
    setScopes(['read']);
    setDays(90);
    setCreated(null);
    create.reset();
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!valid || create.isPending) return;
    create.mutate({ name: name.trim(), scopes: scopes as TokenScope[], expiresInDays: dayCount });
  };

  return (
    <Modal opened={opened} onClose={close} title={created ? 'Token created' : 'Create token'} size="lg" closeOnClickOutside={!created}>
      {created ? (
        <Stack gap="md">
          <Alert color="yellow" variant="light" icon={<IconAlertTriangle aria-hidden />} title="Copy it now" data-testid="token-once-warning">
            This is the only time the token is shown. Store it somewhere safe (a password manager or your CI secrets); if you lose it,
            revoke it and create a new one.
          </Alert>
          <TextInput
            label={`Token “${created.info.name}”`}
            value={created.token}
            readOnly
            data-testid="new-token"
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
            onFocus={(e) => e.currentTarget.select()}
            rightSection={
              <CopyButton value={created.token}>
                {({ copied, copy }) => (
                  <Tooltip label={copied ? 'Copied' : 'Copy'} withArrow>
                    <ActionIcon variant="subtle" color={copied ? 'teal' : 'gray'} onClick={copy} aria-label="Copy token">
                      {copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
                    </ActionIcon>
                  </Tooltip>
                )}
              </CopyButton>
            }
          />
          <div>
            <Text size="sm" mb={4}>
              Use it from a shell or CI job:
            </Text>
            <Code block data-testid="token-example" style={{ wordBreak: 'break-all', whiteSpace: 'pre-wrap' }}>
              {`export GARDEN_TOKEN=${created.token}`}
            </Code>
          </div>
          <Group justify="flex-end">
            <Button onClick={close}>Done</Button>
          </Group>
        </Stack>
      ) : (
        <form onSubmit={submit} noValidate>
          <Stack gap="md">
            <TextInput label="Name" description="What the token is for, e.g. “CI pipeline”" value={name} onChange={(e) => setName(e.currentTarget.value)} maxLength={100} required data-autofocus />
            <Checkbox.Group label="Scopes" description="Pick the least the token needs" value={scopes} onChange={setScopes} required>
              <Stack gap={6} mt={6}>
                {available.map((s) => (
                  <Checkbox key={s} value={s} label={s} description={SCOPE_HELP[s]} />
                ))}
              </Stack>
            </Checkbox.Group>
            <NumberInput
              label="Expires in (days)"
              description="1 to 366"
              min={1}
              max={366}
              allowDecimal={false}
              allowNegative={false}
              value={days}
              onChange={setDays}
              error={daysValid ? undefined : 'Between 1 and 366 days'}
              w={200}
            />
            {create.isError && <ErrorAlert error={create.error} title="The token could not be created" />}
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" loading={create.isPending} disabled={!valid}>
                Create token
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}
