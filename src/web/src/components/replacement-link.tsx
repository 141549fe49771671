/** A link to a deprecation's replacement (`slug[@version]`), pinned to the version when named. */
import { Anchor, type AnchorProps } from '@mantine/core';
import { Link } from 'react-router-dom';
import { modelPath, parseRef } from '../lib/refs';

export function ReplacementLink({ replacement, ...props }: { replacement: string } & AnchorProps) {
  const ref = parseRef(replacement);
  return (
    <Anchor component={Link} to={modelPath(ref.slug, ref.version)} className="break-anywhere" fw={600} {...props}>
      {replacement}
    </Anchor>
  );
}
