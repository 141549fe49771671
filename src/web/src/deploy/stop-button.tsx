/** "Stop" with a confirmation: the endpoint goes away for everyone using it. */
import { Button, Group, Modal, Stack, Text, type ButtonProps } from '@mantine/core';
import { IconPlayerStop } from '@tabler/icons-react';
import { useState } from 'react';
import { deploymentLabel, type Deployment } from '../api/deployments';
import { ErrorAlert } from '../components/error-alert';
import { useStopDeployment } from './deployment-queries';

export function StopButton({ deployment, ...props }: { deployment: Deployment } & Omit<ButtonProps, 'children' | 'onClick'>) {
  const [opened, setOpened] = useState(false);
  const stop = useStopDeployment();
  const label = deploymentLabel(deployment);
  const close = () => {
    setOpened(false);
    stop.reset();
  };
  return (
    <>
      <Button size="xs" variant="light" color="red" leftSection={<IconPlayerStop size={14} aria-hidden />} onClick={() => setOpened(true)} aria-label={`Stop ${label}`} {...props}>
        Stop
      </Button>
      <Modal opened={opened} onClose={close} title="Stop endpoint?">
        <Stack gap="md">
          <Text size="sm">
            “{label}” stops at once; anything sending it requests gets errors. You can start a new one later.
          </Text>
          {stop.isError && <ErrorAlert error={stop.error} title="The endpoint could not be stopped" />}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button color="red" loading={stop.isPending} onClick={() => stop.mutate(deployment, { onSuccess: close })}>
              Stop endpoint
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
