/**
 * Where the session stands: asked once on start (GET /me), set by the login form, and ended by
 * sign-out or by any API call answering 401 (the session expired or was revoked).
 */
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useState } from 'react';
import { getMe, logout } from '../api/auth';
import { isApiError } from '../api/client';
import { AUTH_CONFIG_KEY } from '../api/queries';
import { onUnauthenticated } from '../api/session';
import type { Me } from '../api/types';

export type AuthState =
  | { status: 'loading' }
  /** `expired`: the session ended on its own, not by signing out. */
  | { status: 'signed-out'; expired: boolean }
  | { status: 'signed-in'; me: Me }
  /** GET /me failed for another reason than 401: the server is down or unreachable. */
  | { status: 'unavailable'; error: unknown };

const isUnauthenticated = (err: unknown) => isApiError(err) && err.status === 401;

export function useAuthState() {
  const queryClient = useQueryClient();
  const [state, setState] = useState<AuthState>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    getMe(controller.signal).then(
      (me) => setState({ status: 'signed-in', me }),
      (err: unknown) => {
        if (controller.signal.aborted) return;
        setState(isUnauthenticated(err) ? { status: 'signed-out', expired: false } : { status: 'unavailable', error: err });
      },
    );
    return () => controller.abort();
  }, [attempt]);

  useEffect(
    () => onUnauthenticated(() => setState((s) => (s.status === 'signed-in' ? { status: 'signed-out', expired: true } : s))),
    [],
  );

  // Nothing one user saw stays in memory for the next; the pages are unmounted by now.
  const signedOut = state.status === 'signed-out';
  useEffect(() => {
    if (signedOut) queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== AUTH_CONFIG_KEY });
  }, [signedOut, queryClient]);

  const retry = useCallback(() => {
    setState({ status: 'loading' });
    setAttempt((n) => n + 1);
  }, []);

  const signedIn = useCallback((me: Me) => setState({ status: 'signed-in', me }), []);

  const signOut = useCallback(async () => {
    try {
      await logout();
    } catch (err) {
      // Already signed out (expired, or signed out in another tab): the goal is reached.
      if (!isUnauthenticated(err)) throw err;
    }
    setState({ status: 'signed-out', expired: false });
  }, []);

  return { state, retry, signedIn, signOut };
}
