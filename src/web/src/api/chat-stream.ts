/**
 * The playground's streamed chat: POST /deployments/:id/chat/stream answers with server-sent
 * events. EventSource cannot POST, so the body is read here with fetch and split on blank lines.
 */
import { ApiError, requestStream } from './client';
import type { TryInput } from './deployments';

export type ChatMessage = NonNullable<TryInput['messages']>[number];

export interface ChatStreamRequest {
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
}

/** The stream's last event when all went well. */
export interface ChatStreamDone {
  latencyMs: number;
  firstTokenMs: number | null;
  chunks: number;
}

type StreamEvent = { delta: string } | ({ done: true } & ChatStreamDone) | { error: string };

/**
 * Splits what has arrived so far into whole events ("data: …" lines ended by a blank line);
 * `rest` is the unfinished tail to prepend to the next piece.
 */
export function splitSseEvents(buffer: string): { events: string[]; rest: string } {
  const parts = buffer.replace(/\r\n?/g, '\n').split('\n\n');
  const rest = parts.pop() ?? '';
  const events = parts
    .map((block) =>
      block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).replace(/^ /, ''))
        .join('\n'),
    )
    .filter((data) => data !== '');
  return { events, rest };
}

function parseEvent(data: string): StreamEvent {
  try {
    return JSON.parse(data) as StreamEvent;
  } catch {
    throw new ApiError(200, 'INVALID_RESPONSE', 'The server sent a malformed stream event.');
  }
}

/**
 * Streams one chat answer: `onDelta` gets each piece of text as it arrives; resolves with the
 * timings once the server says done. An error before streaming is the server's ApiError (409
 * when the endpoint is not ready, say), one mid-stream an ApiError with code STREAM_ERROR.
 * Aborting `signal` rejects with an AbortError.
 */
export async function streamChat(id: string, body: ChatStreamRequest, onDelta: (text: string) => void, signal?: AbortSignal): Promise<ChatStreamDone> {
  const res = await requestStream(`/deployments/${encodeURIComponent(id)}/chat/stream`, { method: 'POST', body, signal });
  if (!res.body) throw new ApiError(res.status, 'INVALID_RESPONSE', 'The server answered without a body.');
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      // At the end, a last event without its closing blank line still counts.
      const { events, rest } = splitSseEvents(done ? `${buffer}\n\n` : buffer);
      buffer = rest;
      for (const data of events) {
        const e = parseEvent(data);
        if ('error' in e) throw new ApiError(res.status, 'STREAM_ERROR', e.error);
        if ('done' in e) return { latencyMs: e.latencyMs, firstTokenMs: e.firstTokenMs, chunks: e.chunks };
        if (typeof e.delta === 'string' && e.delta !== '') onDelta(e.delta);
      }
      if (done) throw new ApiError(res.status, 'STREAM_INCOMPLETE', 'The stream ended before the answer was complete.');
    }
  } finally {
    // Stops reading (and tells the server) when we leave early: done, an error or an abort.
    reader.cancel().catch(() => undefined);
  }
}
