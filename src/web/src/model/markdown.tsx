/**
 * Model card Markdown. GitHub-flavoured Markdown is rendered by react-markdown, and any raw HTML is
 * passed through rehype-sanitize (GitHub's allow-list), so scripts, event handlers and
 * javascript: URLs in a submitted card never reach the page.
 */
import { Typography } from '@mantine/core';
import Markdown, { type Components } from 'react-markdown';
import rehypeSanitize from 'rehype-sanitize';
import remarkGfm from 'remark-gfm';

const components: Components = {
  // Card links leave the app: open them in a new tab, without handing over window.opener.
  a: ({ node: _node, ...props }) => <a {...props} target="_blank" rel="noopener noreferrer nofollow" />,
};

export function MarkdownView({ source }: { source: string }) {
  return (
    <Typography className="markdown" data-testid="model-card-markdown">
      <Markdown remarkPlugins={[remarkGfm]} rehypePlugins={[rehypeSanitize]} components={components}>
        {source}
      </Markdown>
    </Typography>
  );
}
