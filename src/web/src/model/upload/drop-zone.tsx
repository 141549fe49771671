/** Where files are chosen: a drop area for files and folders, plus "Choose files" and "Choose folder". */
import { Button, Code, Group, Stack, Text } from '@mantine/core';
import { IconFileUpload, IconFolderUp, IconUpload } from '@tabler/icons-react';
import { useRef, useState, type DragEvent } from 'react';
import { pickFromDrop, pickFromInput, type Picked } from './pick-files';

export function DropZone({ onPick }: { onPick(picked: Picked): void }) {
  const filesInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const [reading, setReading] = useState(false);

  const onDrop = (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    setOver(false);
    setReading(true);
    void pickFromDrop(e.dataTransfer)
      .then(onPick)
      .finally(() => setReading(false));
  };
  const onInput = (input: HTMLInputElement | null) => {
    if (!input) return;
    onPick(pickFromInput(input.files));
    // Choosing the same files again (to resume) must fire `change` again.
    input.value = '';
  };

  return (
    <div
      className="drop-zone"
      data-over={over || undefined}
      data-testid="drop-zone"
      onDragOver={(e) => {
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        setOver(true);
      }}
      onDragLeave={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setOver(false);
      }}
      onDrop={onDrop}
    >
      <Stack align="center" gap="xs">
        <IconUpload size={32} aria-hidden color="var(--mantine-color-dimmed)" />
        <Text fw={600}>{reading ? 'Reading the dropped folder…' : 'Drop model files or a folder here'}</Text>
        <Text size="sm" c="dimmed" ta="center" maw={520}>
          A folder’s contents keep their paths inside it (for example <Code>onnx/model.onnx</Code>), as in a Hugging Face
          repository. Nothing is sent before you start the upload.
        </Text>
        <Group gap="sm" mt="xs">
          <Button variant="default" leftSection={<IconFileUpload size={16} aria-hidden />} onClick={() => filesInput.current?.click()}>
            Choose files
          </Button>
          <Button variant="default" leftSection={<IconFolderUp size={16} aria-hidden />} onClick={() => folderInput.current?.click()}>
            Choose folder
          </Button>
        </Group>
      </Stack>
      <input
        ref={filesInput}
        type="file"
        multiple
        hidden
        tabIndex={-1}
        aria-hidden
        data-testid="upload-files-input"
        onChange={(e) => onInput(e.currentTarget)}
      />
      <input
        // webkitdirectory is not in React's input attributes; every current browser supports it.
        ref={(el) => {
          folderInput.current = el;
          el?.setAttribute('webkitdirectory', '');
        }}
        type="file"
        multiple
        hidden
        tabIndex={-1}
        aria-hidden
        data-testid="upload-folder-input"
        onChange={(e) => onInput(e.currentTarget)}
      />
    </div>
  );
}
