/**
 * What every API call needs to know about the browser session: the CSRF token sent on changing
 * requests, and who to tell when the server says the session is gone (401). The cookie itself is
 * HttpOnly, so the page never sees it; the browser sends it on same-origin requests.
 */

let csrfToken: string | null = null;
const listeners = new Set<() => void>();

/** The token from the last GET /me or login; null when signed out (or signed in with a token). */
export function getCsrfToken(): string | null {
  return csrfToken;
}

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Calls `listener` whenever an API call answers 401; returns the unsubscribe function. */
export function onUnauthenticated(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function reportUnauthenticated(): void {
  csrfToken = null;
  for (const listener of [...listeners]) listener();
}

/** GET and HEAD change nothing, so the server asks no CSRF token for them. */
export function needsCsrfToken(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD';
}
