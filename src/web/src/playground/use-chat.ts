/**
 * The chat playground's conversation: each answer is appended as an assistant message and sent
 * back with the next question. Answers are streamed (text as it arrives, Stop aborts) or asked
 * for in one call through the try route.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { streamChat, type ChatMessage } from '../api/chat-stream';
import { tryDeployment } from '../api/deployments';

export interface Turn {
  role: 'user' | 'assistant';
  content: string;
  /** Assistant turns: how long the answer took (and, streamed, until its first piece). */
  timing?: { latencyMs: number; firstTokenMs: number | null; chunks: number | null };
  /** The answer was cut short with Stop. */
  stopped?: boolean;
  /** The endpoint's raw answer (not streamed). */
  raw?: unknown;
}

export interface ChatOptions {
  system: string;
  stream: boolean;
  maxTokens?: number;
  temperature?: number;
}

const isAbort = (err: unknown) => (err as Error | null)?.name === 'AbortError';

export function useChat(id: string) {
  const [turns, setTurns] = useState<Turn[]>([]);
  /** The answer arriving now (streamed), or '' while waiting for its first piece. */
  const [live, setLive] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const controller = useRef<AbortController | null>(null);
  const startedAt = useRef(0);

  // Leaving the page stops a stream still running.
  useEffect(() => () => controller.current?.abort(), []);

  const send = useCallback(
    async (question: string, opts: ChatOptions): Promise<boolean> => {
      controller.current?.abort();
      const abort = new AbortController();
      controller.current = abort;
      const history: ChatMessage[] = turns.map((t) => ({ role: t.role, content: t.content }));
      const messages: ChatMessage[] = [...(opts.system.trim() ? [{ role: 'system' as const, content: opts.system }] : []), ...history, { role: 'user', content: question }];
      const settings = { ...(opts.maxTokens !== undefined ? { maxTokens: opts.maxTokens } : {}), ...(opts.temperature !== undefined ? { temperature: opts.temperature } : {}) };
      setError(null);
      setTurns((ts) => [...ts, { role: 'user', content: question }]);
      setLive('');
      startedAt.current = performance.now();
      let text = '';
      try {
        let answer: Turn;
        if (opts.stream) {
          const done = await streamChat(id, { messages, ...settings }, (piece) => {
            text += piece;
            setLive(text);
          }, abort.signal);
          answer = { role: 'assistant', content: text, timing: { latencyMs: done.latencyMs, firstTokenMs: done.firstTokenMs, chunks: done.chunks } };
        } else {
          const res = await tryDeployment(id, { mode: 'chat', messages, ...settings });
          if (abort.signal.aborted) throw new DOMException('Aborted', 'AbortError');
          if (res.errors[0]) throw new Error(res.errors[0]);
          answer = { role: 'assistant', content: res.outputs[0] ?? '', timing: { latencyMs: res.latencyMs, firstTokenMs: null, chunks: null }, raw: res.raw };
        }
        setTurns((ts) => [...ts, answer]);
        return true;
      } catch (err) {
        if (isAbort(err)) {
          // Stopped: what arrived so far stays as the answer, so the conversation goes on from it.
          const latencyMs = performance.now() - startedAt.current;
          if (controller.current === abort) setTurns((ts) => [...ts, { role: 'assistant', content: text, stopped: true, timing: { latencyMs, firstTokenMs: null, chunks: null } }]);
          return true;
        }
        // The question goes back to the box, so it can be sent again.
        setTurns((ts) => ts.slice(0, -1));
        setError(err);
        return false;
      } finally {
        if (controller.current === abort) {
          controller.current = null;
          setLive(null);
        }
      }
    },
    [id, turns],
  );

  const stop = useCallback(() => controller.current?.abort(), []);

  const reset = useCallback(() => {
    const c = controller.current;
    controller.current = null;
    c?.abort();
    setTurns([]);
    setLive(null);
    setError(null);
  }, []);

  return { turns, live, busy: live !== null, error, send, stop, reset };
}
